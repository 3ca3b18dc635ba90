"""How the demo city's citizens report and its crews work: seasons, weekdays, hours, words.

Plain data and small pure functions; `history` draws from them with its seeded generator.
Categories the demo city does not know get a flat season and generic words, so a history can
be written into any catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass

# Share of all reports by category and its factor per month (January first). Potholes follow
# the frost, leaves and fallen branches the autumn, litter bins the summer, dark street lights
# the long nights.
_FLAT = (1.0,) * 12


@dataclass(frozen=True)
class Habit:
    """How often a category is reported, by month."""

    share: float
    months: tuple[float, ...] = _FLAT


HABITS: dict[str, Habit] = {
    "schlagloch": Habit(0.15, (1.6, 2.3, 2.6, 1.8, 1.0, 0.6, 0.5, 0.5, 0.6, 0.7, 0.9, 1.2)),
    "gehweg": Habit(0.07, (1.2, 1.4, 1.4, 1.2, 1.0, 0.9, 0.8, 0.8, 0.9, 0.9, 1.0, 1.1)),
    "verkehrszeichen": Habit(0.04, (1.1, 1.1, 1.0, 1.0, 1.0, 0.9, 0.9, 0.9, 1.0, 1.0, 1.0, 1.1)),
    "strassenlaterne": Habit(0.11, (1.5, 1.3, 1.0, 0.8, 0.6, 0.5, 0.5, 0.6, 0.9, 1.3, 1.7, 1.7)),
    "wilder_muell": Habit(0.18, (1.3, 0.8, 1.0, 1.2, 1.2, 1.1, 1.1, 1.1, 1.0, 0.9, 0.8, 0.9)),
    "papierkorb": Habit(0.10, (0.5, 0.5, 0.7, 1.0, 1.4, 1.8, 2.0, 1.9, 1.2, 0.8, 0.6, 0.7)),
    "verschmutzung": Habit(0.07, (1.1, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.9, 1.8, 2.0, 1.2)),
    "graffiti": Habit(0.07, (0.9, 0.9, 1.0, 1.0, 1.1, 1.1, 1.1, 1.1, 1.0, 1.0, 0.9, 0.9)),
    "baum": Habit(0.07, (0.8, 0.8, 0.9, 0.7, 0.8, 1.0, 1.1, 1.0, 1.3, 2.4, 2.6, 1.0)),
    "spielplatz": Habit(0.03, (0.5, 0.5, 0.8, 1.1, 1.4, 1.5, 1.6, 1.5, 1.1, 0.8, 0.6, 0.5)),
    "schrottfahrzeug": Habit(0.04),
    "sonstiges": Habit(0.05),
}
DEFAULT_HABIT = Habit(0.05)
# Storms (a few days a year, October to March) bring down branches and trees.
STORM_CATEGORIES = ("baum",)
STORM_FACTOR = 8.0
STORM_MONTHS = (10, 11, 12, 1, 2, 3)
STORMS_PER_YEAR = 2
# Monday first: fewer reports at the weekend.
WEEKDAYS = (1.15, 1.1, 1.05, 1.05, 1.0, 0.75, 0.6)
# Reports per local hour: the way to work, lunch, the way home; later at the weekend.
HOURS_WEEKDAY = (
    *(0.15, 0.08, 0.05, 0.05, 0.08, 0.25, 0.6, 1.2, 1.6, 1.5, 1.4, 1.3),
    *(1.3, 1.3, 1.3, 1.4, 1.6, 1.8, 1.8, 1.5, 1.1, 0.8, 0.5, 0.3),
)
HOURS_WEEKEND = (
    *(0.3, 0.2, 0.1, 0.06, 0.05, 0.08, 0.2, 0.4, 0.8, 1.2, 1.5, 1.6),
    *(1.6, 1.5, 1.5, 1.5, 1.5, 1.5, 1.4, 1.2, 0.9, 0.7, 0.5, 0.4),
)
# More citizens use the service every year: the oldest day of a history has this share of
# the newest day's reports.
GROWTH_FROM = 0.75
# Crews work from 6 to 22 on weekdays and from 8 to 18 at the weekend (local time).
SHIFT_WEEKDAY = (6, 22)
SHIFT_WEEKEND = (8, 18)


# -- what happens to a ticket -----------------------------------------------------------------

P_DUPLICATE = 0.03  # of reports with an earlier open one of the same category nearby
P_REJECTED = 0.035
P_MET = 0.87  # resolved within the promise (the rest late, by a long-tailed delay)
LATE_SPANS = 0.5  # mean delay of a late ticket, in promised spans
P_STUCK = 0.001  # waits for months or longer (a broken pipe under the road, a missing owner)
P_ACKNOWLEDGED = 0.75
P_IN_PROGRESS = 0.45
P_WAITING = 0.02
WAITING_DAYS = (1.0, 14.0)
STUCK_DAYS = (30.0, 400.0)
P_REOPENED = 0.02
P_CONFIRMED = 0.15
P_PUBLISHED = 0.8  # of categories that are not published at once
P_EMAIL = 0.4
P_NOTIFY = 0.9
P_ENGLISH = 0.08
P_ADDRESS = 0.35
P_SUPPORTED = 0.12
P_SUPPORTER_EMAIL = 0.35
P_HOTSPOT = 0.55
HOTSPOTS = 40

# -- words --------------------------------------------------------------------------------------

STREETS = (
    "Hauptstraße",
    "Bahnhofstraße",
    "Schillerstraße",
    "Goethestraße",
    "Lindenallee",
    "Am Hafen",
    "Parkweg",
    "Kirchgasse",
    "Marktplatz",
    "Mühlenweg",
    "Gartenstraße",
    "Rosenstraße",
    "Schulstraße",
    "Friedhofsweg",
    "Am Stadtpark",
    "Uferstraße",
    "Bergstraße",
    "Feldweg",
    "Kastanienallee",
    "Ringstraße",
    "Wiesenstraße",
    "Brunnengasse",
    "Hafenkai",
    "Eichendorffstraße",
    "Lessingstraße",
    "Am Rathaus",
    "Sandweg",
    "Ahornweg",
)
FIRST_NAMES = (
    "anna",
    "ben",
    "clara",
    "deniz",
    "elif",
    "felix",
    "greta",
    "hannes",
    "ida",
    "jonas",
    "karla",
    "leon",
    "mia",
    "noah",
    "olga",
    "paul",
    "rosa",
    "sami",
    "tom",
    "ute",
)
LAST_NAMES = (
    "mueller",
    "schmidt",
    "schneider",
    "fischer",
    "weber",
    "meyer",
    "wagner",
    "becker",
    "schulz",
    "hoffmann",
    "koch",
    "yilmaz",
    "nowak",
    "richter",
    "klein",
    "wolf",
)
MAIL_DOMAINS = ("example.org", "example.net", "example.com")

# What citizens write, by category: German, then English (for reports in English).
_GENERIC = (
    ("Bitte kümmern.", "Bitte schnell beheben, danke!", "Seit Tagen so."),
    ("Please have a look.", "Please fix soon, thanks!"),
)
DESCRIPTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "schlagloch": (
        (
            "Tiefes Schlagloch auf der Fahrbahn.",
            "Schlagloch vor Hausnummer {n}, Radfahrer müssen ausweichen.",
            "Mehrere Schlaglöcher nach dem Frost.",
            "Loch in der Straße, bei Regen nicht zu sehen.",
        ),
        ("Deep pothole in the road.", "Pothole in front of number {n}, dangerous for bikes."),
    ),
    "gehweg": (
        ("Gehwegplatten locker, Stolpergefahr.", "Gehweg abgesackt vor Nr. {n}."),
        ("Loose paving stones, trip hazard.",),
    ),
    "verkehrszeichen": (
        ("Verkehrsschild umgefahren.", "Stoppschild verdreht.", "Schild zugewachsen."),
        ("Traffic sign knocked over.",),
    ),
    "strassenlaterne": (
        (
            "Laterne brennt nicht.",
            "Straßenlaterne vor Nr. {n} flackert.",
            "Mehrere Laternen aus, sehr dunkel.",
            "Laterne brennt auch tagsüber.",
        ),
        ("Street light is out.", "Street light flickering."),
    ),
    "wilder_muell": (
        (
            "Sperrmüll am Straßenrand abgestellt.",
            "Müllsäcke neben dem Container.",
            "Alte Matratze und Kartons im Gebüsch.",
            "Bauschutt abgeladen.",
        ),
        ("Bulky waste dumped on the pavement.", "Rubbish bags next to the container."),
    ),
    "papierkorb": (
        ("Papierkorb quillt über.", "Mülleimer voll, Müll fliegt herum."),
        ("Litter bin overflowing.",),
    ),
    "verschmutzung": (
        (
            "Viel Laub auf dem Gehweg, rutschig.",
            "Glasscherben auf dem Radweg.",
            "Straße stark verschmutzt.",
            "Ölspur auf der Fahrbahn.",
        ),
        ("Broken glass on the cycle path.", "Wet leaves on the pavement, slippery."),
    ),
    "graffiti": (
        ("Graffiti an der Hauswand.", "Schmierereien am Bushäuschen.", "Graffiti an der Brücke."),
        ("Graffiti on the bus shelter.",),
    ),
    "baum": (
        (
            "Laub verstopft den Gully.",
            "Ast abgebrochen, hängt über dem Weg.",
            "Baum nach dem Sturm umgestürzt.",
            "Hecke wächst in den Gehweg.",
            "Viel Laub auf der Wiese und dem Weg.",
        ),
        ("Branch broken off, hanging over the path.", "Leaves blocking the drain."),
    ),
    "spielplatz": (
        ("Schaukel kaputt.", "Rutsche hat scharfe Kante.", "Glasscherben im Sandkasten."),
        ("Swing is broken.",),
    ),
    "schrottfahrzeug": (
        ("Auto ohne Kennzeichen steht seit Wochen hier.", "Fahrradwrack am Bügel."),
        ("Abandoned car without plates.",),
    ),
    "sonstiges": _GENERIC,
}
# What crews write when they finish, by category.
RESOLUTION_NOTES: dict[str, tuple[str, ...]] = {
    "schlagloch": ("Schlagloch verfüllt.", "Fahrbahn ausgebessert."),
    "gehweg": ("Gehwegplatten neu verlegt.", "Gehweg ausgebessert."),
    "verkehrszeichen": ("Schild wieder aufgestellt.", "Schild ersetzt."),
    "strassenlaterne": ("Leuchtmittel getauscht.", "Laterne repariert."),
    "wilder_muell": ("Müll abgeholt.", "Sperrmüll entsorgt."),
    "papierkorb": ("Papierkorb geleert.",),
    "verschmutzung": ("Straße gereinigt.", "Laub beseitigt."),
    "graffiti": ("Graffiti entfernt.",),
    "baum": ("Ast entfernt.", "Laub beseitigt.", "Baum gesichert."),
    "spielplatz": ("Spielgerät repariert.", "Sandkasten gereinigt."),
    "schrottfahrzeug": ("Fahrzeug abgeschleppt.",),
}
GENERIC_RESOLUTION = ("Erledigt.", "Mangel behoben.")
REJECTION_NOTES = (
    "Privatgrundstück – dafür ist die Stadt nicht zuständig.",
    "Vor Ort kein Mangel feststellbar.",
    "Zuständig ist der Landesbetrieb; die Meldung wurde weitergegeben.",
)
WAITING_NOTES = ("Wartet auf den Versorger.", "Eigentümer angeschrieben.", "Material bestellt.")
REOPEN_NOTES = ("Ist immer noch nicht behoben.", "Das Loch ist wieder da.", "Still not fixed.")


def habit(code: str) -> Habit:
    return HABITS.get(code, DEFAULT_HABIT)


def descriptions(code: str, lang: str) -> tuple[str, ...]:
    german, english = DESCRIPTIONS.get(code, _GENERIC)
    return english if lang == "en" else german


def resolution_notes(code: str) -> tuple[str, ...]:
    return RESOLUTION_NOTES.get(code, GENERIC_RESOLUTION)


def shift(weekday: int) -> tuple[int, int]:
    """The local hours (from, to) in which crews work on a weekday (Monday 0)."""
    return SHIFT_WEEKEND if weekday >= 5 else SHIFT_WEEKDAY
