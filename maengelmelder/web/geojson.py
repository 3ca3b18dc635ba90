"""GeoJSON pieces of output schemas (RFC 7946): WGS84, positions as `[lon, lat]`."""

from __future__ import annotations

from marshmallow import fields, validate

from .schemas import Out


class PointGeometry(Out):
    """A GeoJSON point: `coordinates` are `[lon, lat]`."""

    type = fields.String(validate=validate.OneOf(["Point"]))
    coordinates = fields.List(fields.Float(), validate=validate.Length(equal=2))


class GeoJsonLink(Out):
    """A member of a GeoJSON page's `links`, as OGC API - Features writes it."""

    href = fields.String()
    rel = fields.String(validate=validate.OneOf(["next"]))
    type = fields.String()


def point(lon: float, lat: float) -> dict:
    """A point geometry."""
    return {"type": "Point", "coordinates": [lon, lat]}
