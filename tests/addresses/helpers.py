"""Address files for the tests: house coordinates as the surveying offices write them."""

from __future__ import annotations

import math

from pyproj import Transformer

_TO_UTM = Transformer.from_crs("EPSG:4326", "EPSG:25832", always_xy=True)

# Houses inside the demo city (lat, lon): Kaiserstraße 12 is the reports' usual place.
HOUSES = [
    ("Kaiserstraße", "12", "", 50.1005, 8.7655),
    ("Kaiserstraße", "12", "a", 50.10062, 8.76568),
    ("Kaiserstraße", "120", "", 50.10110, 8.76650),
    ("Kaiserstraße", "13", "", 50.10040, 8.76540),
    ("Müllerstraße", "3", "", 50.09500, 8.75000),
    ("Müllerstraße", "12", "", 50.09520, 8.75030),
    ("Kaiserallee", "12", "", 50.11000, 8.78000),
]


def utm(lat: float, lon: float) -> tuple[float, float]:
    """Easting and northing (ETRS89/UTM 32N) of a WGS84 point."""
    return _TO_UTM.transform(lon, lat)


def german(value: float) -> str:
    """A number as German house coordinate files write it: a decimal comma."""
    return f"{value:.3f}".replace(".", ",")


def hk_csv(houses=HOUSES, *, delimiter: str = ";", bom: bool = True, place="Offenbach am Main"):
    """A house coordinates file (HK-DE-like columns) with a header row."""
    lines = [delimiter.join(["str", "hnr", "adz", "plz", "ort", "ostwert", "nordwert"])]
    for street, number, addition, lat, lon in houses:
        x, y = utm(lat, lon)
        if delimiter == ";":
            x_text, y_text = german(x), german(y)
        else:
            x_text, y_text = f"{x:.3f}", f"{y:.3f}"
        lines.append(delimiter.join([street, number, addition, "63065", place, x_text, y_text]))
    text = "\n".join(lines) + "\n"
    return (("\ufeff" if bom else "") + text).encode("utf-8")


def meridian_northing(lat_deg: float) -> float:
    """UTM northing on the central meridian: 0.9996 × the meridian arc of GRS80 (Helmert's
    series), computed here independently of pyproj."""
    a, f = 6_378_137.0, 1 / 298.257222101
    n = f / (2 - f)
    phi = math.radians(lat_deg)
    arc = (a / (1 + n)) * (
        (1 + n**2 / 4 + n**4 / 64) * phi
        - 1.5 * (n - n**3 / 8) * math.sin(2 * phi)
        + 15 / 16 * (n**2 - n**4 / 4) * math.sin(4 * phi)
        - 35 / 48 * n**3 * math.sin(6 * phi)
        + 315 / 512 * n**4 * math.sin(8 * phi)
    )
    return 0.9996 * arc


def osm_geojson(features) -> dict:
    """A FeatureCollection as an OSM extract has it: points with addr:* tags."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {
                    k: v
                    for k, v in {
                        "addr:street": street,
                        "addr:housenumber": number,
                        "addr:postcode": "63065",
                        "addr:city": "Offenbach am Main",
                    }.items()
                    if v is not None
                },
            }
            for street, number, lat, lon in features
        ],
    }
