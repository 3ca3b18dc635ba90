"""The public address API: the address at a place, and type-ahead search."""

from __future__ import annotations

from flask import jsonify

from ..extensions import db
from ..web.api import Blueprint
from . import schemas, service

bp = Blueprint("addresses", __name__)


def _cached(body: dict):
    resp = jsonify(body)
    resp.headers["Cache-Control"] = schemas.CACHE_CONTROL
    return resp


@bp.get("/api/v1/addresses/reverse")
@bp.arguments(schemas.ReverseArgs, location="query")
@bp.response(200, schemas.ReverseAnswer, description="The address.", headers=schemas.CACHE_HEADERS)
def reverse(args: dict):
    """The address at a place.

    The nearest house within 50 m (`precision: house`), else the street of the nearest house
    within 250 m (`precision: street`, no house number), else `null`; from the city's own
    address data, without any third-party service.
    """
    found = service.reverse(db.session, args["lat"], args["lon"])
    return _cached(schemas.ReverseAnswer().dump({"address": found}))


@bp.get("/api/v1/addresses/search")
@bp.arguments(schemas.SearchArgs, location="query")
@bp.response(200, schemas.SearchAnswer, description="Addresses.", headers=schemas.CACHE_HEADERS)
def search(args: dict):
    """Type-ahead search of addresses.

    Streets starting like `q` (umlauts and ß folded, "Straße", "Str." and "str" alike) and,
    when `q` ends in a number, houses whose number starts with it: "kaiserstr 12" finds
    Kaiserstraße 12, 12a and 120, the exact number first. Fewer than 2 characters: no items.
    """
    items = service.search(db.session, args["q"], args["limit"])
    return _cached(schemas.SearchAnswer().dump({"items": items}))
