"""Public reads of what the city offers: categories and the city itself."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import select

from ..city import city
from ..extensions import db
from ..reports.schemas import categories_out
from .models import Category

bp = Blueprint("catalog", __name__)


@bp.get("/api/v1/categories")
def list_categories():
    """Active categories in display order, with names in German and English."""
    rows = db.session.scalars(
        select(Category).where(Category.active.is_(True)).order_by(Category.position, Category.id)
    )
    return jsonify(categories_out.dump(rows))


@bp.get("/api/v1/city")
def get_city():
    """The city's name, boundary (GeoJSON, lon/lat), map centre and tile server."""
    c = city()
    lon, lat = c.centre()
    min_lon, min_lat, max_lon, max_lat = c.boundary.bounds
    return jsonify(
        {
            "name": c.name,
            "boundary": c.boundary_geojson(),
            "centre": {"lat": lat, "lon": lon},
            "bbox": [min_lon, min_lat, max_lon, max_lat],
            "tiles": {
                "url": current_app.config["TILE_URL"],
                "attribution": current_app.config["TILE_ATTRIBUTION"],
            },
        }
    )
