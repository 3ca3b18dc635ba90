"""Looking addresses up: the nearest house or street to a place, and type-ahead search.

Both are one or two indexed queries on either database: reverse reads the latitude bands its
circle touches, each a longitude range of the (lat_band, lon) index, and measures the few
houses found in Python; search reads a prefix range of the folded street key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

from sqlalchemy import Float, Integer, and_, bindparam, case, literal, select, union_all
from sqlalchemy.orm import Session

from .folding import prefix_bounds, split_query
from .models import BAND, Address

HOUSE_RADIUS_M = 50.0
STREET_RADIUS_M = 250.0
SEARCH_MIN_CHARS = 2
SEARCH_MAX_CHARS = 200
SEARCH_DEFAULT_LIMIT = 8
SEARCH_MAX_LIMIT = 20

_M_PER_DEG = 111_320.0
# How many latitude bands a circle of each step's radius can touch.
_BANDS = {
    step: math.ceil(2 * radius / _M_PER_DEG * BAND) + 1
    for step, radius in ((0, HOUSE_RADIUS_M), (1, STREET_RADIUS_M))
}
_COLUMNS = (
    Address.street,
    Address.house_number,
    Address.addition,
    Address.postcode,
    Address.place,
    Address.lat,
    Address.lon,
)


@dataclass(frozen=True)
class Found:
    """An address as the API answers it (`schemas.Address`)."""

    street: str
    house_number: str | None  # with the addition ("12a"); None for a street
    postcode: str | None
    place: str | None
    lat: float
    lon: float
    precision: str  # "house" | "street"
    distance_m: float | None = None

    @property
    def label(self) -> str:
        """ "Kaiserstraße 12a, 63065 Offenbach am Main" (or without number, postcode, place)."""
        first = f"{self.street} {self.house_number}" if self.house_number else self.street
        town = " ".join(part for part in (self.postcode, self.place) if part)
        return f"{first}, {town}" if town else first


def label(street: str, number: str, addition: str, postcode: str, place: str) -> str:
    """The label of a house given by its columns."""
    return _found(street, number, addition, postcode, place, 0.0, 0.0, "house").label


def _found(street, number, addition, postcode, place, lat, lon, precision, distance=None):
    house = f"{number}{addition}" if precision == "house" and number else None
    return Found(
        street=street,
        house_number=house,
        postcode=postcode or None,
        place=place or None,
        lat=lat,
        lon=lon,
        precision=precision,
        distance_m=None if distance is None else round(distance, 1),
    )


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Metres from (lat1, lon1) to a nearby point (equirectangular at lat1: exact enough
    within a city, and the measure the database orders by)."""
    x = (lon2 - lon1) * math.cos(math.radians(lat1))
    return math.hypot(x, lat2 - lat1) * _M_PER_DEG


def _nearest_within(step: int):
    """The nearest house inside a circle (parameters `r{step}_…`), indexed by the square
    around it: the latitude bands it touches, each a longitude range of the (lat_band, lon,
    lat) index, which also holds what the distance is computed from."""
    lat, lon, cos2 = (
        bindparam("lat", type_=Float),
        bindparam("lon", type_=Float),
        bindparam("cos2", type_=Float),
    )
    squared = (Address.lat - lat) * (Address.lat - lat) + (Address.lon - lon) * (
        Address.lon - lon
    ) * cos2
    p = f"r{step}_"
    return (
        select(*_COLUMNS, literal(step).label("step"))
        .where(
            Address.lat_band.in_(
                [bindparam(f"{p}band{i}", type_=Integer) for i in range(_BANDS[step])]
            ),
            Address.lon.between(
                bindparam(p + "lon0", type_=Float), bindparam(p + "lon1", type_=Float)
            ),
            Address.lat.between(
                bindparam(p + "lat0", type_=Float), bindparam(p + "lat1", type_=Float)
            ),
            squared <= bindparam(p + "max", type_=Float),
        )
        .order_by(squared, Address.id)
        .limit(1)
        .subquery()
    )


@cache
def _reverse_statement():
    # Built once (with bound parameters): building it per call cost more than running it.
    both = union_all(select(_nearest_within(0)), select(_nearest_within(1))).subquery()
    return select(both).limit(1)


def _circle(step: int, lat: float, lon: float, radius: float, cos: float) -> dict:
    dlat = radius / _M_PER_DEG
    dlon = dlat / cos
    first, last = math.floor((lat - dlat) * BAND), math.floor((lat + dlat) * BAND)
    p = f"r{step}_"
    # Always as many bands as the circle can touch (the last one repeated): one statement.
    bands = {f"{p}band{i}": min(first + i, last) for i in range(_BANDS[step])}
    return {
        **bands,
        p + "lon0": lon - dlon,
        p + "lon1": lon + dlon,
        p + "lat0": lat - dlat,
        p + "lat1": lat + dlat,
        p + "max": dlat * dlat,
    }


def reverse(session: Session, lat: float, lon: float) -> Found | None:
    """The nearest house within 50 m, else the street of the nearest house within 250 m.

    One statement: the 250 m search is a second branch of a UNION ALL under LIMIT 1, which
    both databases start only when the 50 m one found nothing (a city's usual case skips it).
    """
    cos = max(math.cos(math.radians(lat)), 0.01)
    params = {
        "lat": lat,
        "lon": lon,
        "cos2": cos * cos,
        **_circle(0, lat, lon, HOUSE_RADIUS_M, cos),
        **_circle(1, lat, lon, STREET_RADIUS_M, cos),
    }
    row = session.connection().execute(_reverse_statement(), params).first()
    if row is None:
        return None
    precision = "house" if row.step == 0 else "street"
    found = row[: len(_COLUMNS)]
    return _found(*found, precision, distance_m(lat, lon, row.lat, row.lon))


def search(session: Session, query: str, limit: int = SEARCH_DEFAULT_LIMIT) -> list[Found]:
    """Addresses whose street starts like the query (folded), with the house number's prefix.

    By street (the exact one first) and place; within one, the exact number first, then by
    number and addition.
    """
    if len(query.strip()) < SEARCH_MIN_CHARS:
        return []
    street, number = split_query(query)
    if not street:
        return []
    low, high = prefix_bounds(street)
    conditions = [Address.street_key >= low, Address.street_key < high]
    exact_number = and_(Address.house_number == number, Address.addition == "")
    if number:
        digits = number.rstrip("abcdefghijklmnopqrstuvwxyz")
        letter = number[len(digits) :]
        if letter:
            conditions += [Address.house_number == digits, Address.addition.startswith(letter)]
            exact_number = Address.addition == letter  # stored in lower case
        else:
            conditions.append(Address.house_number.startswith(digits))
    # A prefix sorts before its extensions, so the exact street comes first; without a
    # number this is the index's order (ix_addresses_search) and reading stops at the limit.
    order = [Address.street_key, Address.place]
    if number:
        order.append(case((exact_number, 0), else_=1))
    order += [Address.number_value, Address.house_number, Address.addition]
    rows = session.execute(select(*_COLUMNS).where(*conditions).order_by(*order).limit(limit))
    return [_found(*row, "house") for row in rows]
