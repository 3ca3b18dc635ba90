"""Zones: parsing and validating GeoJSON FeatureCollections of (Multi)Polygons in WGS84.

A zone has a stable ``key`` (unique across all kinds), a display ``name`` and a ``kind``
(e.g. ``"district"`` or ``"park"``). Zones of the same kind must not overlap; zones of
different kinds may. Every function here is all-or-nothing: on the first problem a
:class:`ZoningError` is raised and nothing is returned.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

__all__ = [
    "OVERLAP_TOLERANCE",
    "ZoneShape",
    "ZoningError",
    "parse_feature_collection",
    "validate_zones",
]

# Two same-kind zones "overlap" when their shared area exceeds this fraction of the smaller
# zone's area. It absorbs floating-point slivers along shared edges (~1e-15 relative) and
# coordinate rounding (1 m² per km²), but not real digitising errors.
OVERLAP_TOLERANCE = 1e-6

_CRS84 = re.compile(r"CRS:?84$")
_EPSG = re.compile(r"EPSG\W+(?:[\d.]*\W+)?(\d+)$")


class ZoningError(ValueError):
    """A zone file, rule set or routing input was refused; carries a code and de/en messages."""

    def __init__(self, code: str, de: str, en: str, item: Any = None) -> None:
        super().__init__(en)
        self.code = code
        self.message = {"de": de, "en": en}
        self.item = item

    def __str__(self) -> str:
        return self.message["en"]

    def __reduce__(self) -> tuple[Any, ...]:
        # Default pickling would call ZoningError(en) and fail; needed for multiprocessing/RQ.
        return (type(self), (self.code, self.message["de"], self.message["en"], self.item))


@dataclass(frozen=True)
class ZoneShape:
    """One zone: stable key, display name, kind and a valid (Multi)Polygon in lon/lat."""

    key: str
    name: str
    kind: str
    geometry: BaseGeometry

    def to_geojson(self) -> dict[str, Any]:
        """Return the geometry as a GeoJSON geometry dict."""
        return json.loads(shapely.to_geojson(self.geometry))


def _label(index: int, name: str | None, lang: str) -> str:
    """Name a feature in a message: its position in the collection and, if known, its name."""
    if not name:
        return f"features[{index}]"
    return f"features[{index}] („{name}“)" if lang == "de" else f'features[{index}] ("{name}")'


def _check_crs(data: Mapping[str, Any]) -> None:
    """Refuse a legacy GeoJSON ``crs`` member that names anything but WGS84 lon/lat."""
    crs = data.get("crs")
    if crs is None:
        return
    name = None
    if isinstance(crs, Mapping) and isinstance(crs.get("properties"), Mapping):
        name = crs["properties"].get("name")
    if isinstance(name, str):
        upper = name.strip().upper()
        epsg = _EPSG.search(upper)
        if _CRS84.search(upper) or (epsg and epsg.group(1) == "4326"):
            return
        shown = f"EPSG:{epsg.group(1)} ({name})" if epsg else name
    else:
        shown = json.dumps(crs, ensure_ascii=False)[:200]
    raise ZoningError(
        "wrong_crs",
        f"Die Zonendatei verwendet das Koordinatenbezugssystem {shown}; unterstützt wird nur "
        "WGS84 (EPSG:4326 / OGC:CRS84, Länge/Breite). Bitte umprojizieren, z. B. mit "
        "ogr2ogr -t_srs EPSG:4326 aus.geojson ein.geojson.",
        f"The zone file uses the coordinate reference system {shown}; only WGS84 "
        "(EPSG:4326 / OGC:CRS84, longitude/latitude) is supported. Reproject it, e.g. with "
        "ogr2ogr -t_srs EPSG:4326 out.geojson in.geojson.",
        None,
    )


def _ring(raw: Any, index: int, name: str, where: str, make_valid: bool) -> np.ndarray:
    """Convert one GeoJSON linear ring to an (n, 2) float array, checking closure and range."""

    def bad(de: str, en: str) -> ZoningError:
        return ZoningError(
            "invalid_geometry",
            f"{_label(index, name, 'de')}: ungültige Geometrie ({where}): {de}",
            f"{_label(index, name, 'en')}: invalid geometry ({where}): {en}",
            index,
        )

    try:
        coords = np.asarray(raw, dtype=float)
    except (TypeError, ValueError):
        raise bad(
            "Koordinaten müssen Zahlenpaare [Länge, Breite] sein",
            "coordinates must be [longitude, latitude] number pairs",
        ) from None
    if coords.ndim != 2 or coords.shape[1] < 2 or not np.isfinite(coords).all():
        raise bad(
            "Koordinaten müssen Zahlenpaare [Länge, Breite] sein",
            "coordinates must be [longitude, latitude] number pairs",
        )
    coords = coords[:, :2]  # drop altitude
    lon, lat = coords[:, 0], coords[:, 1]
    if (np.abs(lon) > 180).any() or (np.abs(lat) > 90).any():
        raise ZoningError(
            "wrong_crs",
            f"{_label(index, name, 'de')}: Koordinate außerhalb von Länge ±180 / Breite ±90 "
            f"({where}); die Datei ist vermutlich projiziert (z. B. UTM EPSG:25832) statt "
            "WGS84. Bitte nach EPSG:4326 umprojizieren.",
            f"{_label(index, name, 'en')}: coordinate outside longitude ±180 / latitude ±90 "
            f"({where}); the file is probably projected (e.g. UTM EPSG:25832) instead of "
            "WGS84. Reproject it to EPSG:4326.",
            index,
        )
    closed = len(coords) > 0 and bool((coords[0] == coords[-1]).all())
    if not closed and make_valid and len(coords) >= 3:
        coords = np.vstack([coords, coords[:1]])
        closed = True
    if len(coords) < 4:
        raise bad(
            f"ein Ring braucht mindestens 4 Positionen, hat {len(coords)}",
            f"a ring needs at least 4 positions, has {len(coords)}",
        )
    if not closed:
        raise bad(
            "Ring ist nicht geschlossen (erste und letzte Position unterscheiden sich)",
            "ring is not closed (first and last position differ)",
        )
    return coords


def _polygon(raw: Any, index: int, name: str, where: str, make_valid: bool) -> shapely.Polygon:
    """Build a Polygon from GeoJSON polygon coordinates (shell first, then holes)."""
    if not isinstance(raw, list) or not raw:
        raise ZoningError(
            "invalid_geometry",
            f"{_label(index, name, 'de')}: ungültige Geometrie ({where}): keine Koordinaten",
            f"{_label(index, name, 'en')}: invalid geometry ({where}): no coordinates",
            index,
        )
    rings = [
        _ring(r, index, name, f"{where}, Ring {i}" if i else where, make_valid)
        for i, r in enumerate(raw)
    ]
    return shapely.Polygon(rings[0], rings[1:])


def _polygonal_part(geom: BaseGeometry) -> BaseGeometry:
    """Keep only the polygonal parts of a (repaired) geometry; may return an empty geometry."""
    if isinstance(geom, shapely.Polygon | shapely.MultiPolygon):
        return geom
    parts = [
        p for p in shapely.get_parts(geom) if isinstance(p, shapely.Polygon | shapely.MultiPolygon)
    ]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _feature_zone(
    feature: Any,
    index: int,
    kind: str,
    make_valid: bool,
    id_property: str,
    name_property: str,
) -> ZoneShape:
    """Turn one GeoJSON feature into a ZoneShape or raise a ZoningError naming it."""
    if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
        raise ZoningError(
            "not_a_feature",
            f"features[{index}] ist kein GeoJSON-Feature.",
            f"features[{index}] is not a GeoJSON Feature.",
            index,
        )
    props = feature.get("properties") or {}
    if not isinstance(props, Mapping):
        props = {}
    name = props.get(name_property)
    if not isinstance(name, str) or not name.strip():
        raise ZoningError(
            "missing_name",
            f"features[{index}] hat keinen Namen (Eigenschaft „{name_property}“ fehlt oder ist "
            "leer).",
            f'features[{index}] has no name (property "{name_property}" is missing or blank).',
            index,
        )
    name = name.strip()
    key = feature.get("id")
    if key is None:
        key = props.get(id_property)
    if isinstance(key, bool) or not isinstance(key, str | int) or not str(key).strip():
        raise ZoningError(
            "missing_id",
            f"{_label(index, name, 'de')} hat keine ID (weder Feature-„id“ noch Eigenschaft "
            f"„{id_property}“).",
            f'{_label(index, name, "en")} has no id (neither a feature "id" nor a property '
            f'"{id_property}").',
            index,
        )
    key = str(key).strip()

    geometry = feature.get("geometry")
    gtype = geometry.get("type") if isinstance(geometry, Mapping) else None
    if gtype not in ("Polygon", "MultiPolygon"):
        shown = gtype if isinstance(gtype, str) else "null"
        raise ZoningError(
            "not_a_polygon",
            f"{_label(index, name, 'de')}: Geometrietyp {shown} wird nicht unterstützt, nur "
            "Polygon und MultiPolygon.",
            f"{_label(index, name, 'en')}: geometry type {shown} is not supported, only "
            "Polygon and MultiPolygon.",
            index,
        )
    raw = geometry.get("coordinates")
    if gtype == "Polygon":
        geom: BaseGeometry = _polygon(raw, index, name, "Polygon", make_valid)
    else:
        if not isinstance(raw, list) or not raw:
            raw = [None]  # reported as "no coordinates" by _polygon
        geom = shapely.MultiPolygon(
            [_polygon(p, index, name, f"Polygon {i}", make_valid) for i, p in enumerate(raw)]
        )

    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        if not make_valid:
            raise ZoningError(
                "invalid_geometry",
                f"{_label(index, name, 'de')}: ungültige Geometrie: {reason}",
                f"{_label(index, name, 'en')}: invalid geometry: {reason}",
                index,
            )
        geom = _polygonal_part(shapely.make_valid(geom))
        if geom.is_empty or geom.area <= 0:
            raise ZoningError(
                "invalid_geometry",
                f"{_label(index, name, 'de')}: ungültige Geometrie ({reason}); nach der Reparatur "
                "bleibt keine Fläche übrig.",
                f"{_label(index, name, 'en')}: invalid geometry ({reason}); nothing polygonal "
                "remains after repair.",
                index,
            )
    return ZoneShape(key=key, name=name, kind=kind, geometry=geom)


def parse_feature_collection(
    data: dict[str, Any],
    *,
    kind: str,
    make_valid: bool = False,
    id_property: str = "id",
    name_property: str = "name",
) -> list[ZoneShape]:
    """Parse a WGS84 GeoJSON FeatureCollection of (Multi)Polygons into zones of one kind."""
    if not isinstance(data, Mapping) or data.get("type") != "FeatureCollection":
        raise ZoningError(
            "not_a_feature_collection",
            "Die Zonendatei ist keine GeoJSON-FeatureCollection.",
            "The zone file is not a GeoJSON FeatureCollection.",
            None,
        )
    _check_crs(data)
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise ZoningError(
            "empty_collection",
            "Die FeatureCollection enthält keine Features.",
            "The FeatureCollection contains no features.",
            None,
        )
    zones = [
        _feature_zone(f, i, kind, make_valid, id_property, name_property)
        for i, f in enumerate(features)
    ]
    first: dict[str, int] = {}
    for i, zone in enumerate(zones):
        j = first.setdefault(zone.key, i)
        if j != i:
            raise ZoningError(
                "duplicate_zone_key",
                f"Die ID {zone.key!r} kommt doppelt vor: {_label(j, zones[j].name, 'de')} und "
                f"{_label(i, zone.name, 'de')}.",
                f"The id {zone.key!r} is used twice: {_label(j, zones[j].name, 'en')} and "
                f"{_label(i, zone.name, 'en')}.",
                i,
            )
    _check_overlaps(zones)  # validity and key uniqueness were checked above
    return zones


def simplified(geometry: Mapping[str, Any], tolerance: float) -> dict[str, Any]:
    """A stored GeoJSON outline with fewer vertices (for drawing); never empty, never invalid."""
    shape = shapely.from_geojson(json.dumps(geometry))
    small = shapely.set_precision(shapely.simplify(shape, tolerance, preserve_topology=True), 1e-6)
    if small.is_empty:
        return dict(geometry)
    return json.loads(shapely.to_geojson(small))


def validate_zones(zones: Sequence[ZoneShape]) -> None:
    """Check zones: polygonal, unique keys, and no overlap between zones of the same kind."""
    seen: set[str] = set()
    for zone in zones:
        geom = zone.geometry
        if not isinstance(geom, shapely.Polygon | shapely.MultiPolygon) or geom.is_empty:
            raise ZoningError(
                "not_a_polygon",
                f"Zone {zone.key} („{zone.name}“) ist kein (Multi)Polygon.",
                f'Zone {zone.key} ("{zone.name}") is not a (Multi)Polygon.',
                zone.key,
            )
        if not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            raise ZoningError(
                "invalid_geometry",
                f"Zone {zone.key} („{zone.name}“): ungültige Geometrie: {reason}",
                f'Zone {zone.key} ("{zone.name}"): invalid geometry: {reason}',
                zone.key,
            )
        if zone.key in seen:
            raise ZoningError(
                "duplicate_zone_key",
                f"Der Zonenschlüssel {zone.key!r} kommt doppelt vor ({zone.name}).",
                f"The zone key {zone.key!r} is used twice ({zone.name}).",
                zone.key,
            )
        seen.add(zone.key)
    _check_overlaps(zones)


def _check_overlaps(zones: Sequence[ZoneShape]) -> None:
    """Refuse same-kind zones whose interiors share more than OVERLAP_TOLERANCE of area."""
    if len(zones) < 2:
        return
    geoms = np.array([z.geometry for z in zones], dtype=object)
    kinds = np.array([z.kind for z in zones], dtype=object)
    # Bounding-box candidates from the tree, then an exact DE-9IM test on those pairs only.
    left, right = shapely.STRtree(geoms).query(geoms)
    keep = (left < right) & (kinds[left] == kinds[right])
    left, right = left[keep], right[keep]
    if not len(left):
        return
    interiors_meet = shapely.relate_pattern(geoms[left], geoms[right], "2********")
    left, right = left[interiors_meet], right[interiors_meet]
    if not len(left):
        return
    shared = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    smaller = np.minimum(shapely.area(geoms[left]), shapely.area(geoms[right]))
    bad = np.flatnonzero(shared > OVERLAP_TOLERANCE * smaller)
    if not len(bad):
        return
    # Report the first offending pair in input order so the message is deterministic.
    k = bad[np.lexsort((right[bad], left[bad]))[0]]
    a, b = zones[int(left[k])], zones[int(right[k])]
    pct = 100.0 * float(shared[k]) / float(smaller[k])
    pct_text = f"{pct:.2g}" if math.isfinite(pct) else "?"
    raise ZoningError(
        "zones_overlap",
        f"Die Zonen {a.key} („{a.name}“) und {b.key} („{b.name}“) der Art {a.kind} "
        f"überlappen sich ({pct_text} % der kleineren Zone).",
        f'Zones {a.key} ("{a.name}") and {b.key} ("{b.name}") of kind {a.kind} overlap '
        f"({pct_text} % of the smaller zone).",
        (a.key, b.key),
    )
