"""Where reports are and who files them: places inside the city, addresses for e-mail."""

from __future__ import annotations

import random
from itertools import accumulate

import shapely

from . import profile


class Places:
    """Points inside the city: around busy places (streets, squares, parks) or anywhere."""

    def __init__(self, boundary) -> None:
        shapely.prepare(boundary)
        self.boundary = boundary
        self.bounds = boundary.bounds
        self.spots: list[tuple[float, float, float]] = []
        self.cum: list[float] = []

    def inside(self, lon: float, lat: float) -> bool:
        return bool(shapely.intersects_xy(self.boundary, lon, lat))

    def anywhere(self, rng: random.Random) -> tuple[float, float]:
        x0, y0, x1, y1 = self.bounds
        while True:
            lon, lat = round(rng.uniform(x0, x1), 6), round(rng.uniform(y0, y1), 6)
            if self.inside(lon, lat):
                return lon, lat

    def hotspots(self, rng: random.Random) -> None:
        self.spots = [(*self.anywhere(rng), rng.uniform(60, 350)) for _ in range(profile.HOTSPOTS)]
        self.cum = list(accumulate(min(rng.paretovariate(1.2), 20) for _ in self.spots))

    def near(self, rng: random.Random, lon: float, lat: float, meters: float):
        """A point about `meters` from (lon, lat), inside the city (else the point itself)."""
        for _ in range(10):
            dlat = rng.gauss(0, meters) / 111_320
            dlon = rng.gauss(0, meters) / (111_320 * 0.64)  # cos(50°): the demo city's latitude
            x, y = round(lon + dlon, 6), round(lat + dlat, 6)
            if self.inside(x, y):
                return x, y
        return lon, lat

    def draw(self, rng: random.Random) -> tuple[float, float]:
        if self.spots and rng.random() < profile.P_HOTSPOT:
            lon, lat, radius = rng.choices(self.spots, cum_weights=self.cum)[0]
            return self.near(rng, lon, lat, radius)
        return self.anywhere(rng)


def fake_email(rng: random.Random) -> str:
    first, last = rng.choice(profile.FIRST_NAMES), rng.choice(profile.LAST_NAMES)
    number = rng.randint(1, 99) if rng.random() < 0.5 else ""
    return f"{first}.{last}{number}@{rng.choice(profile.MAIL_DOMAINS)}"
