"""Importing the city's addresses: house coordinates (CSV, ETRS89/UTM 32N) or OSM GeoJSON.

Rows are read into `Row`s (or refused with their line and reason), then written in batches:
each batch reads the rows it already has by key, inserts the new ones and updates the
changed ones with one executemany each. Importing the same file again changes nothing.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from .folding import fold, number_value, split_number
from .models import BAND, Address

BATCH = 1000

# Accepted CSV headers (compared lower-case, without spaces, dots, dashes and underscores).
# HK-DE's own names (STN, HNR, ADZ, PLZ, ONM, EKO, NKO) and the usual German ones.
HEADERS = {
    "street": (
        "str",
        "strasse",
        "straße",
        "strassenname",
        "straßenname",
        "stn",
        "street",
        "addrstreet",
        "streetname",
    ),
    "number": ("hnr", "hausnummer", "hausnr", "nr", "housenumber", "number", "addrhousenumber"),
    "addition": ("adz", "hnrzusatz", "hausnummerzusatz", "zusatz", "addition", "suffix"),
    "postcode": ("plz", "postleitzahl", "postcode", "zip", "addrpostcode"),
    "place": (
        "ort",
        "gemeinde",
        "gemeindename",
        "ortsname",
        "onm",
        "stadt",
        "place",
        "city",
        "town",
        "addrcity",
    ),
    "easting": ("ostwert", "rw", "rechtswert", "eko", "easting", "east", "x", "utmx", "e"),
    "northing": ("nordwert", "hw", "hochwert", "nko", "northing", "north", "y", "utmy", "n"),
    "lat": ("lat", "latitude", "breite", "breitengrad"),
    "lon": ("lon", "lng", "long", "longitude", "laenge", "länge", "laengengrad"),
}
_BY_NAME = {name: key for key, names in HEADERS.items() for name in names}


@dataclass(frozen=True)
class Row:
    """One address read from a file, in WGS84."""

    line: int
    street: str
    house_number: str
    addition: str
    postcode: str
    place: str
    lat: float
    lon: float

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.street, self.house_number, self.addition, self.postcode)

    def values(self) -> dict:
        return {
            "street": self.street,
            "house_number": self.house_number,
            "addition": self.addition,
            "postcode": self.postcode,
            "place": self.place,
            "lat": self.lat,
            "lon": self.lon,
            "street_key": fold(self.street),
            "number_value": number_value(self.house_number),
            "lat_band": math.floor(self.lat * BAND),
        }


@dataclass(frozen=True)
class Refused:
    line: int  # the CSV line (header = 1) or the GeoJSON feature (first = 1)
    reason: str


@dataclass
class Result:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: list[Refused] = field(default_factory=list)

    @property
    def read(self) -> int:
        return self.added + self.updated + self.unchanged

    def summary(self) -> str:
        return (
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{len(self.refused)} refused"
        )


class AddressFileError(Exception):
    """The file could not be read at all (message in English and German)."""

    def __init__(self, de: str, en: str) -> None:
        super().__init__(en)
        self.message = {"de": de, "en": en}


Area = tuple[float, float, float, float]  # min lon, min lat, max lon, max lat


@cache
def _utm32_to_wgs84():
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:25832", "EPSG:4326", always_xy=True)


def _text(value: str, length: int) -> str:
    """A field as stored: no control characters (NUL cannot be stored in PostgreSQL), single
    spaces, at most `length` characters."""
    value = "".join(c if c.isprintable() else " " for c in value)
    return " ".join(value.split())[:length]


def _number(text: str) -> float:
    """A coordinate as German files write it: "480123,45" or "480123.45"."""
    text = text.strip().replace(" ", "")
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _check(street: str, lat: float, lon: float, area: Area | None) -> str | None:
    if not street:
        return "missing street / Straße fehlt"
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or not (math.isfinite(lat + lon)):
        return "bad coordinates / ungültige Koordinaten"
    if area is not None and not (area[0] <= lon <= area[2] and area[1] <= lat <= area[3]):
        return (
            f"outside the city's area ({lat:.5f}, {lon:.5f}) / "
            f"außerhalb des Stadtgebiets ({lat:.5f}, {lon:.5f})"
        )
    return None


def _sniff(text: str) -> str:
    first = text.split("\n", 1)[0]
    return ";" if first.count(";") >= first.count(",") else ","


def _header_names(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = "".join(c for c in raw.strip().lower() if c not in " ._-:")
        key = _BY_NAME.get(name)
        if key is not None and key not in found:
            found[key] = index
    return found


def read_csv(text: str, area: Area | None, refused: list[Refused]) -> Iterator[Row]:
    """Rows of a house coordinates CSV (`;` or `,`, a header row); refusals into `refused`."""
    text = text.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text), delimiter=_sniff(text))
    header = next(reader, None)
    columns = _header_names(header or [])
    has_utm = "easting" in columns and "northing" in columns
    has_wgs = "lat" in columns and "lon" in columns
    if "street" not in columns or not (has_utm or has_wgs):
        raise AddressFileError(
            "Keine Adressdatei: die Kopfzeile braucht Straße (str/strasse), Hausnummer (hnr) "
            "und Ostwert/Nordwert (ETRS89/UTM 32N) oder lat/lon.",
            "Not an address file: the header needs street (str/strasse), house number (hnr) "
            "and easting/northing (ostwert/nordwert, ETRS89/UTM 32N) or lat/lon.",
        )
    transformer = _utm32_to_wgs84() if has_utm and not has_wgs else None
    pending: list[tuple[int, list[str], float, float]] = []

    def cell(values: list[str], key: str) -> str:
        index = columns.get(key)
        return values[index].strip() if index is not None and index < len(values) else ""

    def flush() -> Iterator[Row]:
        if not pending:
            return
        xs = [p[2] for p in pending]
        ys = [p[3] for p in pending]
        if transformer is not None:
            lons, lats = transformer.transform(xs, ys)
        else:
            lons, lats = xs, ys
        for (line, values, _, _), lon, lat in zip(pending, lons, lats, strict=True):
            row = _row(line, values, lat, lon)
            if row is not None:
                yield row
        pending.clear()

    def _row(line: int, values: list[str], lat: float, lon: float) -> Row | None:
        street = _text(cell(values, "street"), 200)
        number, addition = split_number(_text(cell(values, "number"), 20))
        extra = _text(cell(values, "addition"), 20).lower()
        addition = (addition + extra)[:20]
        reason = _check(street, lat, lon, area)
        if reason:
            refused.append(Refused(line, reason))
            return None
        return Row(
            line,
            street,
            number[:20],
            addition,
            _text(cell(values, "postcode"), 10),
            _text(cell(values, "place"), 120),
            round(lat, 7),
            round(lon, 7),
        )

    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        try:
            if transformer is not None:
                x, y = _number(cell(values, "easting")), _number(cell(values, "northing"))
                if 32_000_000 <= x < 33_000_000:  # easting with the zone in front
                    x -= 32_000_000
                if not (100_000 <= x <= 900_000 and 0 <= y <= 9_400_000):
                    raise ValueError
            else:
                x, y = _number(cell(values, "lon")), _number(cell(values, "lat"))
        except ValueError:
            if not cell(values, "street"):
                refused.append(Refused(line, "missing street / Straße fehlt"))
            else:
                refused.append(Refused(line, "bad coordinates / ungültige Koordinaten"))
            continue
        pending.append((line, values, x, y))
        if len(pending) >= BATCH:
            yield from flush()
    yield from flush()


def read_geojson(data: object, area: Area | None, refused: list[Refused]) -> Iterator[Row]:
    """Rows of a FeatureCollection with OSM `addr:*` properties (Points; of other geometries
    a point inside)."""
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise AddressFileError(
            "Keine GeoJSON-FeatureCollection.", "Not a GeoJSON FeatureCollection."
        )
    features = data.get("features")
    if not isinstance(features, list):
        raise AddressFileError("Die FeatureCollection hat keine features.", "No features.")
    for index, feature in enumerate(features, start=1):
        props = (feature or {}).get("properties") if isinstance(feature, dict) else None
        props = props if isinstance(props, dict) else {}
        street = _text(str(props.get("addr:street") or props.get("addr:place") or ""), 200)
        number, addition = split_number(_text(str(props.get("addr:housenumber") or ""), 20))
        point = _point(feature.get("geometry") if isinstance(feature, dict) else None)
        if point is None:
            reason = "missing street / Straße fehlt" if not street else None
            refused.append(Refused(index, reason or "bad coordinates / ungültige Koordinaten"))
            continue
        lon, lat = point
        reason = _check(street, lat, lon, area)
        if reason:
            refused.append(Refused(index, reason))
            continue
        yield Row(
            index,
            street,
            number[:20],
            addition[:20],
            _text(str(props.get("addr:postcode") or ""), 10),
            _text(str(props.get("addr:city") or ""), 120),
            round(lat, 7),
            round(lon, 7),
        )


def _point(geometry: object) -> tuple[float, float] | None:
    if not isinstance(geometry, dict):
        return None
    try:
        if geometry.get("type") == "Point":
            lon, lat = geometry["coordinates"][:2]
            lon, lat = float(lon), float(lat)
        else:
            import shapely.geometry

            shape = shapely.geometry.shape(geometry)
            if shape.is_empty:
                return None
            inside = shape.representative_point()
            lon, lat = inside.x, inside.y
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        return None
    except Exception:  # shapely's own errors for malformed geometries
        return None
    return lon, lat


def read_file(data: bytes, area: Area | None, refused: list[Refused]) -> Iterator[Row]:
    """Rows of a CSV or GeoJSON file (told apart by their first character)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AddressFileError(
            "Die Datei ist kein UTF-8-Text.", "The file is not UTF-8 text."
        ) from exc
    if text.lstrip().startswith("{"):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise AddressFileError(f"Kein gültiges JSON: {exc}", f"Not valid JSON: {exc}") from exc
        return read_geojson(parsed, area, refused)
    return read_csv(text, area, refused)


def _batches(rows: Iterable[Row]) -> Iterator[list[Row]]:
    batch: dict[tuple, Row] = {}
    for row in rows:
        batch[row.key] = row  # the same house twice in a batch: the later row counts
        if len(batch) >= BATCH:
            yield list(batch.values())
            batch = {}
    if batch:
        yield list(batch.values())


def _insert(session: Session, rows: list[dict]) -> None:
    """Insert new houses: COPY on PostgreSQL (an executemany is a round trip per row there,
    and multi-row INSERTs cost psycopg more parsing than the database its work), SQLite's
    executemany otherwise."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        session.execute(insert(Address.__table__), rows)
        return
    columns = list(rows[0])
    names = ", ".join(columns)
    driver = connection.connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(f"COPY addresses ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


def store(session: Session, rows: Iterable[Row], result: Result) -> Result:
    """Insert new houses, update changed ones (by street, number, addition, postcode)."""
    for batch in _batches(rows):
        # By street (the unique index's first column): a file lists a street's houses
        # together, so a batch names few streets; the rows are then matched by whole key.
        streets = sorted({row.street for row in batch})
        postcodes = sorted({row.postcode for row in batch})
        existing = {
            (r.street, r.house_number, r.addition, r.postcode): r
            for r in session.execute(
                select(
                    Address.id,
                    Address.street,
                    Address.house_number,
                    Address.addition,
                    Address.postcode,
                    Address.place,
                    Address.lat,
                    Address.lon,
                ).where(Address.street.in_(streets), Address.postcode.in_(postcodes))
            )
        }
        new, changed = [], []
        for row in batch:
            old = existing.get(row.key)
            if old is None:
                new.append(row.values())
            elif (old.place, old.lat, old.lon) != (row.place, row.lat, row.lon):
                changed.append({"id": old.id, **row.values()})
            else:
                result.unchanged += 1
        if new:
            _insert(session, new)
            result.added += len(new)
        if changed:
            session.execute(update(Address), changed)  # by primary key, one executemany
            result.updated += len(changed)
    return result


def import_addresses(session: Session, data: bytes, area: Area | None = None) -> Result:
    """Read a CSV or GeoJSON file and store its addresses; the caller commits.

    Raises AddressFileError when the file cannot be read at all.
    """
    result = Result()
    store(session, read_file(data, area, result.refused), result)
    result.refused.sort(key=lambda refusal: refusal.line)
    return result
