"""Benchmark the routing engine against a naive loop over all zones.

Builds a synthetic city (20 km × 20 km around lon 8.76, lat 50.10) with 50, 500 and 5,000
irregular, edge-sharing district polygons plus a few park zones (one with a pond as a hole),
a rule set of 20 rules over 12 categories, and routes random points three ways:

* naive: for every point, a Python loop of ``covers`` over all (unprepared) zones, then a
  brute-force pass over all rules — the obvious implementation and the correctness reference;
* single: ``Router.route`` one point at a time;
* bulk: ``Router.route_many_departments`` over all points at once.

All three must give identical departments for every point, otherwise the exit code is 1.

Usage: ``.venv/bin/python benchmarks/routing.py [--points N] [--quick] [--seed S]``
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from maengelmelder.zoning.engine import (
    Router,
    RuleSet,
    parse_feature_collection,
    parse_rule_set,
)

LON0, LAT0 = 8.76, 50.10
SIZE_M = 20_000.0
M_PER_DEG_LAT = 111_320.0
M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(LAT0))

CATEGORIES = {
    "schlagloch": "verkehr",
    "ampel": "verkehr",
    "strassenlaterne": "verkehr",
    "verkehrsschild": "verkehr",
    "baum": "gruen",
    "gruenpflege": "gruen",
    "spielplatz": "gruen",
    "muell": "sauberkeit",
    "graffiti": "sauberkeit",
    "sperrmuell": "sauberkeit",
    "gully": "wasser",
    "gewaesser": "wasser",
}
DEPARTMENTS = [
    "buergerservice",
    "tiefbau",
    "strassenverkehr",
    "gruenflaechen",
    "stadtreinigung",
    "stadtentwaesserung",
    "ordnungsamt",
    "bezirk_nord",
    "bezirk_sued",
    "parkverwaltung",
]


def to_lonlat(xy: np.ndarray) -> np.ndarray:
    """Convert local metres (origin at the city's south-west corner) to lon/lat."""
    lon = LON0 + (xy[:, 0] - SIZE_M / 2) / M_PER_DEG_LON
    lat = LAT0 + (xy[:, 1] - SIZE_M / 2) / M_PER_DEG_LAT
    return np.column_stack([lon, lat])


def _grid_shape(n: int) -> tuple[int, int]:
    """Return the most square nx × ny == n."""
    nx = min((d for d in range(1, n + 1) if n % d == 0), key=lambda d: abs(d - n // d))
    return nx, n // nx


def _wiggly_edge(a: np.ndarray, b: np.ndarray, amp: float, rng: np.random.Generator):
    """Return points from a to b with 4–45 interior vertices bulging sideways up to amp."""
    d = b - a
    length = float(np.hypot(*d))
    k = int(rng.integers(4, 46))
    t = np.linspace(0.0, 1.0, k + 2)
    normal = np.array([-d[1], d[0]]) / length
    offset = rng.uniform(-amp, amp, k + 2) * np.sin(np.pi * t)
    pts = a + np.outer(t, d) + np.outer(offset, normal)
    pts[0], pts[-1] = a, b  # exact shared corners, so neighbours share edges bit for bit
    return pts


def make_districts(n: int, seed: int) -> dict[str, Any]:
    """Return a FeatureCollection of n edge-sharing districts (jittered grid, wiggly edges)."""
    rng = np.random.default_rng(seed)
    nx, ny = _grid_shape(n)
    dx, dy = SIZE_M / nx, SIZE_M / ny
    vx = np.add.outer(np.arange(nx + 1) * dx, np.zeros(ny + 1))
    vy = np.add.outer(np.zeros(nx + 1), np.arange(ny + 1) * dy)
    jx = rng.uniform(-0.2, 0.2, vx.shape) * dx
    jy = rng.uniform(-0.2, 0.2, vy.shape) * dy
    amp = 0.08 * min(dx, dy)
    jx[[0, -1], :] = 0.0  # keep the city's outline straight
    jy[:, [0, -1]] = 0.0
    corner = np.stack([vx + jx, vy + jy], axis=-1)
    horizontal = {
        (i, j): _wiggly_edge(corner[i, j], corner[i + 1, j], 0.0 if j in (0, ny) else amp, rng)
        for i in range(nx)
        for j in range(ny + 1)
    }
    vertical = {
        (i, j): _wiggly_edge(corner[i, j], corner[i, j + 1], 0.0 if i in (0, nx) else amp, rng)
        for i in range(nx + 1)
        for j in range(ny)
    }
    features = []
    for i in range(nx):
        for j in range(ny):
            ring = np.vstack(
                [
                    horizontal[i, j][:-1],
                    vertical[i + 1, j][:-1],
                    horizontal[i, j + 1][::-1][:-1],
                    vertical[i, j][::-1],
                ]
            )
            features.append(
                {
                    "type": "Feature",
                    "id": f"d{i:03d}-{j:03d}",
                    "properties": {"name": f"Bezirk {i}/{j}"},
                    "geometry": {"type": "Polygon", "coordinates": [to_lonlat(ring).tolist()]},
                }
            )
    return {"type": "FeatureCollection", "features": features}


def make_parks(count: int, seed: int) -> dict[str, Any]:
    """Return a FeatureCollection of non-overlapping irregular parks; the first has a pond."""
    rng = np.random.default_rng(seed + 1000)
    placed: list[tuple[float, float, float]] = []
    while len(placed) < count:
        cx, cy = rng.uniform(2000, SIZE_M - 2000, 2)
        r = float(rng.uniform(400, 1300))
        if all(math.hypot(cx - x, cy - y) > 1.3 * (r + q) for x, y, q in placed):
            placed.append((cx, cy, r))
    features = []
    for k, (cx, cy, r) in enumerate(placed):
        m = int(rng.integers(40, 160))
        angle = np.linspace(0, 2 * np.pi, m, endpoint=False)
        radius = r * (1 + 0.25 * np.sin(3 * angle + k) + rng.uniform(-0.05, 0.05, m))
        shell = np.column_stack([cx + radius * np.cos(angle), cy + radius * np.sin(angle)])
        rings = [to_lonlat(np.vstack([shell, shell[:1]])).tolist()]
        if k == 0:
            pond = np.column_stack([cx + 0.3 * r * np.cos(angle), cy + 0.2 * r * np.sin(angle)])
            rings.append(to_lonlat(np.vstack([pond, pond[:1]])).tolist())
        features.append(
            {
                "type": "Feature",
                "id": f"park{k}",
                "properties": {"name": f"Park {k}"},
                "geometry": {"type": "Polygon", "coordinates": rings},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def make_rules(district_keys: list[str], park_keys: list[str]) -> dict[str, Any]:
    """Return a 20-rule set mixing exact/group/any categories and zone/kind/anywhere places."""
    d = district_keys
    rules = [
        {"id": "r1", "category": "schlagloch", "department": "tiefbau", "sla_hours": 72},
        {"id": "r2", "category": "ampel", "department": "strassenverkehr", "priority": 1},
        {"id": "r3", "category": "verkehrsschild", "department": "strassenverkehr"},
        {"id": "r4", "category_group": "verkehr", "department": "tiefbau"},
        {"id": "r5", "category_group": "gruen", "department": "gruenflaechen"},
        {"id": "r6", "category_group": "sauberkeit", "department": "stadtreinigung"},
        {"id": "r7", "category": "gully", "department": "stadtentwaesserung"},
        {
            "id": "r8",
            "category_group": "gruen",
            "zone_kind": "park",
            "department": "parkverwaltung",
        },
        {"id": "r9", "category": "muell", "zone_kind": "park", "department": "parkverwaltung"},
        {"id": "r10", "category": "graffiti", "department": "ordnungsamt", "sla_hours": 168},
        {"id": "r11", "zone": park_keys[0], "department": "parkverwaltung", "priority": 2},
        {"id": "r12", "category_group": "sauberkeit", "zone": d[0], "department": "bezirk_nord"},
        {"id": "r13", "category_group": "sauberkeit", "zone": d[-1], "department": "bezirk_sued"},
        {
            "id": "r14",
            "category": "sperrmuell",
            "zone": d[len(d) // 2],
            "department": "bezirk_nord",
        },
        {"id": "r15", "zone": d[1], "department": "bezirk_nord"},
        {"id": "r16", "zone": d[-2], "department": "bezirk_sued"},
        {
            "id": "r17",
            "category": "schlagloch",
            "zone": d[len(d) // 3],
            "department": "bezirk_sued",
        },
        {"id": "r18", "category": "gewaesser", "zone_kind": "district", "department": "tiefbau"},
        {"id": "r19", "zone_kind": "park", "department": "gruenflaechen"},
        {"id": "r20", "category": "baum", "zone": park_keys[-1], "department": "ordnungsamt"},
    ]
    return {"fallback_department": "buergerservice", "version": 1, "rules": rules}


def naive_departments(
    zones: list[tuple[str, str, Any]],
    rule_set: RuleSet,
    lons: list[float],
    lats: list[float],
    cats: list[str],
) -> list[str]:
    """Route by brute force: every zone, every rule, no index and no cache."""
    out = []
    for lon, lat, cat in zip(lons, lats, cats, strict=True):
        point = shapely.Point(lon, lat)
        here: dict[str, str] = {}  # kind -> key, smallest key wins on shared edges
        for key, kind, geom in zones:
            if geom.covers(point) and (kind not in here or key < here[kind]):
                here[kind] = key
        best, best_rank = rule_set.fallback_department, None
        for order, rule in enumerate(rule_set.rules):
            if rule.category is not None:
                cat_spec, cat_ok = 2, rule.category == cat
            elif rule.category_group is not None:
                cat_spec, cat_ok = 1, rule.category_group == CATEGORIES[cat]
            else:
                cat_spec, cat_ok = 0, True
            if rule.zone is not None:
                zone_spec, zone_ok = 2, rule.zone in here.values()
            elif rule.zone_kind is not None:
                zone_spec, zone_ok = 1, rule.zone_kind in here
            else:
                zone_spec, zone_ok = 0, True
            rank = (zone_spec + cat_spec, zone_spec, -order)
            if cat_ok and zone_ok and (best_rank is None or rank > best_rank):
                best, best_rank = rule.department, rank
        out.append(best)
    return out


def run(n_zones: int, n_points: int, naive_points: int, seed: int) -> bool:
    """Benchmark one city size; return True when all methods agree."""
    t = time.perf_counter()
    districts_fc = make_districts(n_zones, seed)
    parks_fc = make_parks(5, seed)
    t_gen = time.perf_counter() - t
    t = time.perf_counter()
    districts = parse_feature_collection(districts_fc, kind="district")
    parks = parse_feature_collection(parks_fc, kind="park")
    t_parse = time.perf_counter() - t
    zones = districts + parks
    rule_set = parse_rule_set(
        make_rules([z.key for z in districts], [z.key for z in parks]),
        categories=CATEGORIES,
        departments=DEPARTMENTS,
        zone_keys={z.key for z in zones},
        zone_kinds={"district", "park"},
    )
    # The naive loop gets its own unprepared copies: the router prepares geometries in place.
    naive_zones = [(z.key, z.kind, shapely.from_wkb(z.geometry.wkb)) for z in zones]
    t = time.perf_counter()
    router = Router(zones, rule_set, CATEGORIES)
    t_router = time.perf_counter() - t
    vertices = shapely.get_num_coordinates(np.array([z.geometry for z in districts]))

    rng = np.random.default_rng(seed + 7)
    lo = to_lonlat(np.array([[-500.0, -500.0]]))[0]  # a margin outside the city -> fallback
    hi = to_lonlat(np.array([[SIZE_M + 500.0, SIZE_M + 500.0]]))[0]
    lons = rng.uniform(lo[0], hi[0], n_points)
    lats = rng.uniform(lo[1], hi[1], n_points)
    cats = rng.choice(np.array(sorted(CATEGORIES)), n_points)
    lon_list, lat_list, cat_list = lons.tolist(), lats.tolist(), cats.tolist()

    print(
        f"\n== {len(districts)} districts ({vertices.min()}–{vertices.max()} vertices, "
        f"mean {vertices.mean():.0f}) + {len(parks)} parks, {len(rule_set.rules)} rules, "
        f"{len(CATEGORIES)} categories, {n_points:,} points"
    )
    print(
        f"   setup: generate {t_gen:.2f} s, parse+validate {t_parse:.2f} s, "
        f"Router() {t_router:.2f} s"
    )

    m = min(naive_points, n_points)
    t = time.perf_counter()
    naive = naive_departments(naive_zones, rule_set, lon_list[:m], lat_list[:m], cat_list[:m])
    t_naive = (time.perf_counter() - t) / m

    t = time.perf_counter()
    route = router.route
    single = [
        route(x, y, c).department for x, y, c in zip(lon_list, lat_list, cat_list, strict=True)
    ]
    t_single = (time.perf_counter() - t) / n_points
    # Second pass: every (category, zones) decision is cached by now.
    t = time.perf_counter()
    for x, y, c in zip(lon_list, lat_list, cat_list, strict=True):
        route(x, y, c)
    t_warm = (time.perf_counter() - t) / n_points

    bulk_times = []
    for _ in range(3):
        t = time.perf_counter()
        bulk = router.route_many_departments(lons, lats, cats)
        bulk_times.append(time.perf_counter() - t)
    t_bulk = min(bulk_times) / n_points
    t = time.perf_counter()
    decisions = router.route_many(lons, lats, cats)
    t_many = (time.perf_counter() - t) / n_points

    sub = "all points" if m == n_points else f"subsample of {m:,} points, extrapolated"
    print(f"   naive loop       {1 / t_naive:>13,.0f} points/s  ({sub})")
    print(f"   route()          {1 / t_single:>13,.0f} points/s  ({t_single * 1e6:.2f} µs/point)")
    print(f"   route(), warm    {1 / t_warm:>13,.0f} points/s  ({t_warm * 1e6:.2f} µs/point)")
    print(f"   route_many_dep.  {1 / t_bulk:>13,.0f} points/s  (best of 3)")
    print(f"   route_many()     {1 / t_many:>13,.0f} points/s  (Decision objects)")
    print(f"   bulk / naive     {t_naive / t_bulk:>13,.0f} ×")
    print(f"   bulk / single    {t_single / t_bulk:>13,.1f} ×")

    ok = True
    checks = {
        "single vs naive": [a == b for a, b in zip(single[:m], naive, strict=True)],
        "bulk vs naive": [a == b for a, b in zip(bulk[:m].tolist(), naive, strict=True)],
        "bulk vs single": (bulk == np.array(single)).tolist(),
        "route_many vs single": [d.department == s for d, s in zip(decisions, single, strict=True)],
    }
    for name, same in checks.items():
        bad = len(same) - sum(same)
        ok &= bad == 0
        print(f"   {name:<22} {'identical' if bad == 0 else f'{bad} MISMATCHES'} ({len(same):,})")
    fallbacks = sum(d == rule_set.fallback_department for d in single)
    print(f"   departments used: {len(set(single))}, fallback share {fallbacks / n_points:.1%}")
    if n_zones == 5000:
        print(f"   target bulk ≥ 100× naive at 5,000 zones: {_verdict(t_naive / t_bulk >= 100)}")
    if n_zones == 500:
        print(f"   target bulk ≥ 1,000,000 points/s at 500 zones: {_verdict(t_bulk <= 1e-6)}")
    print(f"   target single ≤ 10 µs/point: {_verdict(t_single <= 10e-6)}")
    return ok


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit code 1 if any method disagrees with another."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=None, help="points per city size")
    parser.add_argument("--quick", action="store_true", help="small run (seconds), for tests")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    if args.quick:
        sizes, points = (50, 500), args.points or 3_000
    else:
        sizes, points = (50, 500, 5000), args.points or 100_000
    ok = True
    for n in sizes:
        # Keep the naive loop to a few seconds: about 10 million zone tests per size.
        naive_points = 300 if args.quick else max(2_000, 10_000_000 // n)
        ok &= run(n, points, naive_points, args.seed)
    print("\nall methods agree" if ok else "\nMETHODS DISAGREE")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
