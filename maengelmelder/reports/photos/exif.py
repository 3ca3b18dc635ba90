"""Bounded EXIF reader: orientation and GPS position from a raw TIFF-structured block."""

from __future__ import annotations

import math
import struct

# Bytes per value for each TIFF field type (BYTE, ASCII, SHORT, LONG, RATIONAL, ..., IFD).
_EXIF_TYPE_SIZES = dict(enumerate((1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8, 4), start=1))
_MAX_IFD_ENTRIES = 1024
_TAG_ORIENTATION = 0x0112
_TAG_GPS_IFD = 0x8825
_GPS_LAT_REF, _GPS_LAT, _GPS_LON_REF, _GPS_LON, _GPS_STATUS = 1, 2, 3, 4, 9


def read_exif(tiff: bytes | None) -> tuple[int, tuple[float, float] | None]:
    """Return (orientation, gps) from a raw TIFF-structured EXIF block; never raises."""
    if not tiff:
        return 1, None
    try:
        return _parse_exif(tiff)
    except Exception:
        # Odd EXIF must never cost the citizen their upload; fall back to "no metadata".
        return 1, None


def _parse_exif(tiff: bytes) -> tuple[int, tuple[float, float] | None]:
    if tiff[:4] == b"II*\x00":
        order = "<"
    elif tiff[:4] == b"MM\x00*":
        order = ">"
    else:
        return 1, None
    (ifd0_offset,) = struct.unpack_from(order + "I", tiff, 4)
    ifd0 = _read_ifd(tiff, order, ifd0_offset, {_TAG_ORIENTATION, _TAG_GPS_IFD})

    orientation = 1
    if _TAG_ORIENTATION in ifd0:
        values = _ints(order, *ifd0[_TAG_ORIENTATION])
        if values and 1 <= values[0] <= 8:
            orientation = values[0]

    gps = None
    if _TAG_GPS_IFD in ifd0:
        pointer = _ints(order, *ifd0[_TAG_GPS_IFD])
        if pointer:
            wanted = {_GPS_LAT_REF, _GPS_LAT, _GPS_LON_REF, _GPS_LON, _GPS_STATUS}
            gps = _gps_from_ifd(order, _read_ifd(tiff, order, pointer[0], wanted))
    return orientation, gps


def _read_ifd(
    tiff: bytes, order: str, offset: int, wanted: set[int]
) -> dict[int, tuple[int, int, bytes]]:
    """Read the wanted tags of one IFD as tag -> (type, count, value bytes); skip bad ones."""
    found: dict[int, tuple[int, int, bytes]] = {}
    if not 8 <= offset <= len(tiff) - 2:
        return found
    (count,) = struct.unpack_from(order + "H", tiff, offset)
    for index in range(min(count, _MAX_IFD_ENTRIES)):
        entry = offset + 2 + 12 * index
        if entry + 12 > len(tiff):
            break
        tag, kind, number = struct.unpack_from(order + "HHI", tiff, entry)
        if tag not in wanted or tag in found or kind not in _EXIF_TYPE_SIZES:
            continue
        size = _EXIF_TYPE_SIZES[kind] * number
        if size <= 4:
            value = tiff[entry + 8 : entry + 8 + size]
        else:
            (value_offset,) = struct.unpack_from(order + "I", tiff, entry + 8)
            if value_offset + size > len(tiff):
                continue
            value = tiff[value_offset : value_offset + size]
        found[tag] = (kind, number, value)
    return found


def _ints(order: str, kind: int, count: int, value: bytes) -> list[int]:
    formats = {1: "B", 3: "H", 4: "I", 13: "I"}
    if kind not in formats or count < 1:
        return []
    return list(struct.unpack_from(f"{order}{count}{formats[kind]}", value))


def _rationals(order: str, kind: int, count: int, value: bytes) -> list[float] | None:
    if kind not in (5, 10) or count < 1:
        return None
    raw = struct.unpack_from(f"{order}{2 * count}{'I' if kind == 5 else 'i'}", value)
    numbers = []
    for numerator, denominator in zip(raw[::2], raw[1::2], strict=True):
        if denominator == 0:
            return None
        numbers.append(numerator / denominator)
    return numbers


def _ref(entry: tuple[int, int, bytes] | None) -> str:
    if entry is None:
        return ""
    return entry[2][:1].decode("latin-1").upper()


def _gps_from_ifd(order: str, gps: dict[int, tuple[int, int, bytes]]) -> tuple[float, float] | None:
    if _ref(gps.get(_GPS_STATUS)) == "V":  # "measurement void": the receiver had no fix.
        return None
    lat_ref, lon_ref = _ref(gps.get(_GPS_LAT_REF)), _ref(gps.get(_GPS_LON_REF))
    if lat_ref not in ("N", "S") or lon_ref not in ("E", "W"):
        return None  # Without the hemisphere the sign is a guess; better no position.
    if _GPS_LAT not in gps or _GPS_LON not in gps:
        return None
    lat = _degrees(_rationals(order, *gps[_GPS_LAT]))
    lon = _degrees(_rationals(order, *gps[_GPS_LON]))
    if lat is None or lon is None or lat > 90 or lon > 180:
        return None
    if lat == 0 and lon == 0:
        return None  # "Null Island": what many phones write when they have no fix.
    lat = -lat if lat_ref == "S" else lat
    lon = -lon if lon_ref == "W" else lon
    return round(lon, 7), round(lat, 7)


def _degrees(parts: list[float] | None) -> float | None:
    """Degrees, minutes, seconds (any trailing ones may be missing) to decimal degrees."""
    if not parts:
        return None
    parts = [*parts, 0.0, 0.0][:3]
    if any(not math.isfinite(part) or part < 0 for part in parts):
        return None
    degrees, minutes, seconds = parts
    if minutes > 60 or seconds > 60:  # 60 itself shows up as a rounding artefact.
        return None
    return degrees + minutes / 60 + seconds / 3600
