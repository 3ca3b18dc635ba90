"""Public reads of what the city offers: categories and the city itself."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from ..city import city
from ..core.catalog import Category
from ..extensions import db
from ..web.api import Blueprint
from . import schemas

bp = Blueprint("catalog", __name__, description="The categories and the city.")


@bp.get("/api/v1/categories")
@bp.response(200, schemas.CategoryOut(many=True), description="Categories.")
def list_categories():
    """Active categories in display order.

    With names in German and English.
    """
    return db.session.scalars(
        select(Category).where(Category.active.is_(True)).order_by(Category.position, Category.id)
    ).all()


@bp.get("/api/v1/city")
@bp.response(200, schemas.City, description="The city.")
def get_city():
    """The city: name, boundary, centre, bbox, tiles.

    The boundary is GeoJSON (lon/lat); the centre is a point inside the city to centre the
    map on.
    """
    c = city()
    lon, lat = c.centre()
    min_lon, min_lat, max_lon, max_lat = c.boundary.bounds
    return {
        "name": c.name,
        "boundary": c.boundary_geojson(),
        "centre": {"lat": lat, "lon": lon},
        "bbox": [min_lon, min_lat, max_lon, max_lat],
        "tiles": {
            "url": current_app.config["TILE_URL"],
            "attribution": current_app.config["TILE_ATTRIBUTION"],
        },
    }
