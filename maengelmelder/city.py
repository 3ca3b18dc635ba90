"""The city this instance serves: its name, boundary, map centre and tiles."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import shapely
from flask import Flask, current_app
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry


@dataclass(frozen=True)
class City:
    """Name and boundary (WGS84) of the city, with a prepared geometry for fast checks."""

    name: str
    boundary: BaseGeometry

    def contains(self, lon: float, lat: float) -> bool:
        """True when the point lies inside the boundary or on it."""
        return bool(shapely.intersects_xy(self.boundary, lon, lat))

    def centre(self) -> tuple[float, float]:
        """A point inside the city to centre the map on, (lon, lat)."""
        point = self.boundary.representative_point()
        return point.x, point.y

    def boundary_geojson(self) -> dict:
        return mapping(self.boundary)


def load_boundary(path: str | Path) -> BaseGeometry:
    """Read a GeoJSON geometry, Feature or FeatureCollection and return one (multi)polygon."""
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if data.get("type") == "FeatureCollection":
        geoms = [shape(f["geometry"]) for f in data["features"]]
        geom = shapely.union_all(geoms)
    elif data.get("type") == "Feature":
        geom = shape(data["geometry"])
    else:
        geom = shape(data)
    if geom.geom_type not in {"Polygon", "MultiPolygon"} or not geom.is_valid or geom.is_empty:
        raise RuntimeError(f"city boundary {path} must be a valid Polygon or MultiPolygon")
    shapely.prepare(geom)
    return geom


def city() -> City:
    """The app's city."""
    return current_app.extensions["maengelmelder.city"]


def init_app(app: Flask) -> None:
    boundary = load_boundary(app.config["CITY_BOUNDARY"])
    app.extensions["maengelmelder.city"] = City(app.config["CITY_NAME"], boundary)
