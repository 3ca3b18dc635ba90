"""What Open311 clients read: services, service requests, their public notes and photos.

Only public fields leave here: never the reporter's e-mail, name, phone, device id, the
tracking token, the idempotency key or the API key. Citizen text and photos follow the
moderation rules of the native API (public once published; staff "after" photos always).
"""

from __future__ import annotations

from collections.abc import Iterable

from ..clock import BERLIN, isoformat
from ..core import states
from ..core.catalog import Category
from ..core.events import TicketEvent
from ..core.models import Photo, Report, public_text
from ..reports.media import listed_photos

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# The date this interface last changed in a way clients could notice.
CHANGESET = "2026-03-10T00:00:00Z"

# Open311 error descriptions: German first, English second.
MESSAGES: dict[str, tuple[str, str]] = {
    "format": (
        "Unbekanntes Format „{value}“; bitte .json oder .xml verwenden",
        "unknown format '{value}'; please use .json or .xml",
    ),
    "format_missing": (
        "Format fehlt; bitte .json oder .xml an den Pfad anhängen",
        "format missing; please append .json or .xml to the path",
    ),
    "not_found": ("Unbekannte Ressource", "unknown resource"),
    "method": ("Methode nicht erlaubt", "method not allowed"),
    "service_not_found": ("Unbekannter service_code „{value}“", "unknown service_code '{value}'"),
    "request_not_found": (
        "Unbekannte service_request_id „{value}“",
        "unknown service_request_id '{value}'",
    ),
    "token_not_found": (
        "Unbekanntes Token; dieser Dienst vergibt keine Tokens (keine batch-Services)",
        "unknown token; this server issues no tokens (no batch services)",
    ),
    "api_key": ("Fehlender oder ungültiger api_key", "missing or invalid api_key"),
    "service_code_required": ("service_code fehlt", "service_code is required"),
    "coordinates": ("Ungültige Koordinaten", "invalid coordinates"),
    "lat_long_pair": (
        "lat und long müssen zusammen angegeben werden",
        "lat and long must be given together",
    ),
    "location_required": (
        "Ort fehlt: bitte lat und long angeben",
        "location missing: please give lat and long",
    ),
    "point_required": (
        "Ein Ort ohne Koordinaten kann nicht zugeordnet werden: die Stadt braucht lat und long "
        "(address_string und address_id allein genügen nicht)",
        "a location without coordinates cannot be routed: the city needs lat and long "
        "(address_string or address_id alone are not enough)",
    ),
    "invalid_param": ("Ungültiger Parameter {name}", "invalid parameter {name}"),
    "date": (
        "Ungültiges Datum in {name}; erwartet z. B. 2026-03-10T00:00:00Z (mit Zeitzone)",
        "invalid date in {name}; expected e.g. 2026-03-10T00:00:00Z (with timezone)",
    ),
    "date_order": ("end_date liegt vor start_date", "end_date is before start_date"),
    "date_span": (
        "Der Zeitraum darf höchstens 90 Tage umfassen",
        "the date range may span at most 90 days",
    ),
    "status": ("Ungültiger status; erlaubt: open, closed", "invalid status; allowed: open, closed"),
    "page_too_deep": (
        "Blättern reicht bis zum {limit}. Eintrag; bitte mit start_date und end_date eingrenzen",
        "paging reaches as far as entry {limit}; please narrow with start_date and end_date",
    ),
    "too_many_ids": (
        "Höchstens {limit} service_request_id auf einmal",
        "at most {limit} service_request_id at once",
    ),
    "unexpected_file": (
        "Unerwartete Datei im Feld {name}; Fotos bitte im Feld media senden",
        "unexpected file in field {name}; please send photos in the field media",
    ),
    "bad_request": ("Die Anfrage ist fehlerhaft", "the request is malformed"),
    "body_too_large": ("Die Anfrage ist zu groß", "the request is too large"),
    "idempotency_key": (
        "Ungültiger Idempotency-Key-Header",
        "invalid Idempotency-Key header",
    ),
    "internal": (
        "Interner Fehler; bitte später erneut versuchen",
        "internal error; please try again later",
    ),
}


def message(code: str, **params: object) -> dict[str, str]:
    de, en = MESSAGES[code]
    return {"de": de.format(**params), "en": en.format(**params)}


def _name(obj, lang: str) -> str:
    return obj.name_en if lang == "en" else obj.name_de


def service_out(category: Category, lang: str) -> dict:
    """One entry of services.[fmt]."""
    dept = _name(category.default_department, lang)
    if lang == "en":
        description = (
            f"{category.name_en}. Usually handled by: {dept}. "
            f"Promised within {category.sla_hours} hours."
        )
    else:
        description = (
            f"{category.name_de}. In der Regel zuständig: {dept}. "
            f"Zugesagte Erledigung binnen {category.sla_hours} Stunden."
        )
    keywords = dict.fromkeys(
        k.replace(",", " ").strip() for k in (category.name_de, category.name_en, category.group)
    )
    return {
        "service_code": category.code,
        "service_name": _name(category, lang),
        "description": description,
        "metadata": False,
        "type": "realtime",
        "keywords": ",".join(k for k in keywords if k),
        "group": category.group,
    }


def _berlin(value) -> str:
    return value.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M")


def service_notice(report: Report, lang: str) -> str:
    """Who handles the request and until when it is promised."""
    dept = _name(report.department, lang)
    hours = f"{report.sla_hours:g}"
    if lang == "en":
        return (
            f"Handled by: {dept}. Promised within {hours} hours "
            f"(by {_berlin(report.deadline)} Berlin time)."
        )
    return (
        f"Zuständig: {dept}. Zugesagte Erledigung binnen {hours} Stunden "
        f"(bis {_berlin(report.deadline)} Uhr)."
    )


def public_photos(report: Report) -> list[Photo]:
    """The photos the public may see, as in the native API."""
    return listed_photos(report)


def public_description(report: Report) -> str:
    """The published text (as staff edited it), or empty while unpublished."""
    return public_text(report.published, report.public_description, report.description) or ""


def open_or_closed(status: str) -> str:
    return "open" if status in states.OPEN else "closed"


def _updated(report: Report):
    if report.status in states.OPEN:
        return report.updated_at
    return report.closed_at or report.resolved_at or report.updated_at


def _note_out(event: TicketEvent, lang: str) -> dict | None:
    """A history entry the public may read: status changes and public notes only."""
    label = states.LABELS.get(event.to_status or "", {}).get(lang, "")
    if event.kind == "created":
        kind, text = "opened", event.public_note or label
    elif event.to_status != event.from_status:
        kind, text = "status_change", event.public_note or label
    elif event.public_note:
        kind, text = "note", event.public_note
    else:
        return None
    return {"datetime": isoformat(event.created_at), "description": text, "type": kind}


def request_out(
    report: Report,
    events: Iterable[TicketEvent],
    *,
    lang: str,
    media_base: str,
    extensions: bool,
) -> dict:
    """One service request as Open311 shows it. `events` are the report's, oldest first."""
    events = list(events)
    notes = [n for n in (e.public_note for e in events) if n]
    photos = public_photos(report)
    out = {
        "service_request_id": report.public_id,
        "status": open_or_closed(report.status),
        "status_notes": notes[-1] if notes else None,
        "service_name": _name(report.category, lang),
        "service_code": report.category.code,
        "description": public_description(report),
        "agency_responsible": _name(report.department, lang),
        "service_notice": service_notice(report, lang),
        "requested_datetime": isoformat(report.created_at),
        "updated_datetime": isoformat(_updated(report)),
        "expected_datetime": isoformat(report.deadline),
        "address": report.address if report.published else None,
        "address_id": None,
        "zipcode": None,
        "lat": report.lat,
        "long": report.lon,
        "media_url": f"{media_base}{photos[0].storage_key}-web.jpg" if photos else None,
    }
    if extensions:
        out["photos"] = [
            {
                "media_url": f"{media_base}{p.storage_key}-web.jpg",
                "thumbnail_url": f"{media_base}{p.storage_key}-thumb.jpg",
                "kind": p.kind,
            }
            for p in photos
        ]
        out["notes"] = [n for n in (_note_out(e, lang) for e in events) if n is not None]
    return out
