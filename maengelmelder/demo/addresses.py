"""The demo city's streets and house numbers: a deterministic grid of named streets over the
city's boundary, a few thousand houses, loaded by `demo load`.

East-west streets every 150 m, north-south ones every 400 m, a house every 60 m on each side
12 m from the street's middle, numbered from each street's west (or north) end inside the
city: odd on one side, even on the other. `label_at` answers the reverse lookup's question
(nearest house within 50 m, else its street) from the grid's arithmetic, so the history can
give a million reports their address without a query each.
"""

from __future__ import annotations

import math

import shapely
from sqlalchemy.orm import Session

from ..addresses.importer import Result, Row, store
from ..addresses.service import HOUSE_RADIUS_M, STREET_RADIUS_M

M_PER_DEG = 111_320.0
STREET_SPACING_M = 150.0  # between east-west streets
AVENUE_SPACING_M = 400.0  # between north-south streets
HOUSE_SPACING_M = 60.0  # along a street, on each side
SETBACK_M = 12.0  # from the street's middle to the house
PLACE = "Musterstadt"

STREETS = (
    "Goethestraße",
    "Schillerstraße",
    "Lessingstraße",
    "Bahnhofstraße",
    "Hauptstraße",
    "Kirchstraße",
    "Lindenstraße",
    "Gartenstraße",
    "Schulstraße",
    "Bergstraße",
    "Ringstraße",
    "Mühlweg",
    "Rosenstraße",
    "Friedrichstraße",
    "Wilhelmstraße",
    "Kaiserstraße",
    "Marktstraße",
    "Feldstraße",
    "Waldstraße",
    "Wiesenweg",
    "Am Hafen",
    "Uferstraße",
    "Brunnenstraße",
    "Ahornweg",
    "Birkenweg",
    "Eichendorffstraße",
    "Heinestraße",
    "Mozartstraße",
    "Beethovenstraße",
    "Bachstraße",
    "Händelstraße",
    "Uhlandstraße",
    "Körnerstraße",
    "Herderstraße",
    "Kantstraße",
    "Humboldtstraße",
)
AVENUES = (
    "Frankfurter Straße",
    "Offenbacher Landstraße",
    "Darmstädter Straße",
    "Hanauer Allee",
    "Mainzer Ring",
    "Kasseler Straße",
    "Gießener Weg",
    "Fuldaer Straße",
    "Marburger Allee",
    "Wetzlarer Straße",
    "Limburger Weg",
    "Bad Homburger Straße",
    "Seligenstädter Allee",
    "Dieburger Straße",
    "Langener Weg",
    "Dreieicher Straße",
    "Neu-Isenburger Allee",
    "Mühlheimer Straße",
    "Rodgauer Weg",
    "Obertshausener Straße",
)


class DemoStreets:
    """The grid over a boundary: its houses, and the address at any place in it."""

    def __init__(self, boundary) -> None:
        shapely.prepare(boundary)
        x0, y0, x1, y1 = boundary.bounds
        self.lon0, self.lat0 = x0, y0
        self.cos = math.cos(math.radians((y0 + y1) / 2))
        self.dlat = 1 / M_PER_DEG  # degrees per metre, north
        self.dlon = 1 / (M_PER_DEG * self.cos)  # degrees per metre, east
        width_m = (x1 - x0) / self.dlon
        height_m = (y1 - y0) / self.dlat
        self.midlon = (x0 + x1) / 2
        self.midlat = (y0 + y1) / 2
        # (axis, street index, slot, side) -> (street, number, postcode, lat, lon)
        self.houses: dict[tuple[int, int, int, int], tuple[str, str, str, float, float]] = {}
        self.streets: dict[tuple[int, int], str] = {}
        rows = int(height_m // STREET_SPACING_M)
        cols = int(width_m // AVENUE_SPACING_M)
        for axis, count, length in ((0, rows, width_m), (1, cols, height_m)):
            names = STREETS if axis == 0 else AVENUES
            for index in range(1, count + 1):
                name = names[(index - 1) % len(names)]
                if index > len(names):
                    name = f"{name} {index // len(names) + 1}"  # never in a small city
                self.streets[(axis, index)] = name
                self._street(boundary, axis, index, name, int(length // HOUSE_SPACING_M))

    def _position(self, axis: int, index: int, slot: int, side: int) -> tuple[float, float]:
        along = (slot + 0.5) * HOUSE_SPACING_M
        across = SETBACK_M * (1 if side else -1)
        if axis == 0:  # east-west street: along is east, the street lies at index × spacing
            north = index * STREET_SPACING_M + across
            return self.lat0 + north * self.dlat, self.lon0 + along * self.dlon
        east = index * AVENUE_SPACING_M + across
        lat1 = self.lat0 + (self._height_m() - along) * self.dlat  # numbered from the north
        return lat1, self.lon0 + east * self.dlon

    def _height_m(self) -> float:
        return (self.midlat - self.lat0) * 2 / self.dlat

    def _street(self, boundary, axis: int, index: int, name: str, slots: int) -> None:
        keys = [(slot, side) for slot in range(slots) for side in (0, 1)]
        places = [self._position(axis, index, slot, side) for slot, side in keys]
        if not places:
            return
        lats, lons = zip(*places, strict=True)
        inside = shapely.intersects_xy(boundary, lons, lats)
        first: dict[int, int] = {}  # each side numbered from its own first house
        for (slot, side), lat, lon, ok in zip(keys, lats, lons, inside, strict=True):
            if not ok:
                continue
            first.setdefault(side, slot)
            number = str(2 * (slot - first[side]) + 1 + side)
            postcode = "6310" + str(1 + (lon > self.midlon) + 2 * (lat > self.midlat))
            self.houses[(axis, index, slot, side)] = (
                name,
                number,
                postcode,
                round(lat, 7),
                round(lon, 7),
            )

    def rows(self) -> list[Row]:
        """The houses as an import's rows."""
        return [
            Row(line, street, number, "", postcode, PLACE, lat, lon)
            for line, (street, number, postcode, lat, lon) in enumerate(
                sorted(self.houses.values()), start=1
            )
        ]

    def _nearest_slots(self, lat: float, lon: float):
        """The house nearest to the place on the nearest street of each direction."""
        north = (lat - self.lat0) / self.dlat
        east = (lon - self.lon0) / self.dlon
        index = round(north / STREET_SPACING_M)
        yield (0, index, math.floor(east / HOUSE_SPACING_M), int(north > index * STREET_SPACING_M))
        index = round(east / AVENUE_SPACING_M)
        slot = math.floor((self._height_m() - north) / HOUSE_SPACING_M)
        yield (1, index, slot, int(east > index * AVENUE_SPACING_M))

    def _around(self, lat: float, lon: float):
        """Every house of the neighbouring streets' neighbouring slots (near the boundary)."""
        for axis, index, slot, _ in self._nearest_slots(lat, lon):
            for i in range(index - 2, index + 3):
                for s in range(slot - 5, slot + 6):
                    yield (axis, i, s, 0)
                    yield (axis, i, s, 1)

    def _best(self, keys, lat: float, lon: float):
        best, best_d2 = None, (STREET_RADIUS_M * self.dlat) ** 2
        for key in keys:
            house = self.houses.get(key)
            if house is not None:
                d2 = (house[3] - lat) ** 2 + ((house[4] - lon) * self.cos) ** 2
                if d2 < best_d2:
                    best, best_d2 = house, d2
        return best, best_d2

    def label_at(self, lon: float, lat: float) -> str | None:
        """The reverse lookup's label at a place: the nearest house within 50 m, else its
        street within 250 m, else None; by the grid's arithmetic (microseconds)."""
        best, d2 = self._best(self._nearest_slots(lat, lon), lat, lon)
        if best is None:  # near the boundary: the neighbourhood
            best, d2 = self._best(self._around(lat, lon), lat, lon)
            if best is None:
                return None
        street, number, postcode, _, _ = best
        if d2 <= (HOUSE_RADIUS_M * self.dlat) ** 2:
            return f"{street} {number}, {postcode} {PLACE}"
        return f"{street}, {postcode} {PLACE}"


def load_demo_addresses(session: Session, boundary) -> Result:
    """Store the demo grid's houses (idempotent, like any address import)."""
    result = Result()
    return store(session, DemoStreets(boundary).rows(), result)
