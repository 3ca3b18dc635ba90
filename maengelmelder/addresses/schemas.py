"""The address API's shapes: the query parameters and the addresses answered."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from ..web.schemas import Out
from .service import SEARCH_DEFAULT_LIMIT, SEARCH_MAX_CHARS, SEARCH_MAX_LIMIT


class ReverseArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    lat = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=-180, max=180))


class SearchArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    q = fields.String(
        load_default="",
        validate=validate.Length(max=SEARCH_MAX_CHARS),
        metadata={
            "description": "what was typed, e.g. `kaiserstr 12`; under 2 characters: no items"
        },
    )
    limit = fields.Integer(
        load_default=SEARCH_DEFAULT_LIMIT,
        validate=validate.Range(min=1, max=SEARCH_MAX_LIMIT),
    )


class Address(Out):
    """An address of the city's own address data."""

    class Meta(Out.Meta):
        description = "An address from the city's own address data (house coordinates, OSM)."

    label = fields.String(
        metadata={"description": "e.g. `Kaiserstraße 12a, 63065 Offenbach am Main`"}
    )
    street = fields.String()
    house_number = fields.String(
        allow_none=True,
        metadata={"description": "with its addition (`12a`); null for a street"},
    )
    postcode = fields.String(allow_none=True)
    place = fields.String(allow_none=True)
    lat = fields.Float()
    lon = fields.Float()
    precision = fields.String(
        validate=validate.OneOf(["house", "street"]),
        metadata={"description": "`house`, or `street` when no house is within 50 m"},
    )
    distance_m = fields.Float(
        allow_none=True,
        metadata={"description": "reverse lookup: metres from the place asked (0.1); else null"},
    )


class ReverseAnswer(Out):
    address = fields.Nested(
        Address,
        allow_none=True,
        metadata={"description": "null when no address is within 250 m"},
    )


class SearchAnswer(Out):
    items = fields.List(fields.Nested(Address))


# Addresses change only with an import: browsers and proxies may keep an answer a while.
CACHE_CONTROL = "public, max-age=3600"
CACHE_HEADERS = {
    "Cache-Control": {"description": f"`{CACHE_CONTROL}`", "schema": {"type": "string"}},
}
