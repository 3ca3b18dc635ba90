"""Routing engine: which department gets a report at (lon, lat) with a given category.

Pure computation: no Flask, no database, no I/O. Build one :class:`Router` from the zones,
the rule set and the category catalogue, then share it; it is immutable after
construction and safe to use from several threads.

Zones and boundaries
    A point is *in* a zone when the zone's polygon covers it, i.e. a point on the boundary
    counts as inside and a point in a hole does not. Each point gets at most one zone per
    zone kind.

Tie-break on shared edges (deterministic)
    Zones of the same kind never overlap, so a point can only be covered by two of them when
    it lies exactly on their shared boundary. Then **the zone whose key sorts first**
    (plain ``str`` ordering) is the point's zone of that kind. ``Decision.zones`` therefore
    holds one key per kind, sorted by kind; ``Router.zones_at`` lists every covering zone.

Choosing the rule
    See :mod:`maengelmelder.zoning.rules`: the most specific matching rule wins, ties go to
    the earlier rule, and no match means the fallback department (``rule_id`` is None).

Performance
    At construction a uniform grid is laid over all zones (about 128 cells per zone, at
    most 262,144 cells). Cells that no zone boundary touches lie wholly inside or outside
    every zone, so their zone-per-kind combination is computed once from the cell centre;
    points there need no geometry test at all. Points in the other cells are tested
    exactly: in bulk by asking the shapely ``STRtree`` for bounding-box candidates of all
    those points at once and testing them with ``shapely.intersects_xy`` on prepared
    polygons; for a single point with the cell's precomputed ``STRtree`` candidates (which
    avoids building a shapely Point per call). The decision only depends on (category,
    zone per kind), so in bulk the rules are evaluated once per distinct combination
    (``np.unique``), vectorised over the rules, and single decisions are cached.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np
import shapely

from maengelmelder.zoning.decision import Decision
from maengelmelder.zoning.geometry import (
    OVERLAP_TOLERANCE,
    ZoneShape,
    ZoningError,
    parse_feature_collection,
    validate_zones,
)
from maengelmelder.zoning.rules import Rule, RuleSet, parse_rule_set, rule_set_to_dict

__all__ = [
    "OVERLAP_TOLERANCE",
    "Decision",
    "Router",
    "Rule",
    "RuleSet",
    "ZoneShape",
    "ZoningError",
    "parse_feature_collection",
    "parse_rule_set",
    "rule_set_to_dict",
    "validate_zones",
]

# Decisions are cached per (category, zone-per-kind) combination; the cap bounds memory if
# a caller routes points over an enormous number of distinct combinations.
_CACHE_LIMIT = 1 << 17
# Lookup grid: about this many cells per zone, capped so construction stays cheap.
_CELLS_PER_ZONE = 128
_MAX_CELLS = 1 << 18


class Router:
    """Routes points with a category to departments; immutable and thread-safe once built."""

    def __init__(
        self, zones: Sequence[ZoneShape], rule_set: RuleSet, categories: Mapping[str, str]
    ) -> None:
        validate_zones(zones)
        self._zones: tuple[ZoneShape, ...] = tuple(sorted(zones, key=lambda z: (z.kind, z.key)))
        self._kinds: tuple[str, ...] = tuple(sorted({z.kind for z in self._zones}))
        slot_of_kind = {kind: i for i, kind in enumerate(self._kinds)}
        self._zone_slot: list[int] = [slot_of_kind[z.kind] for z in self._zones]
        self._zone_slot_arr = _frozen(np.array(self._zone_slot, dtype=np.intp))
        self._zone_index = {z.key: i for i, z in enumerate(self._zones)}
        self._empty_combo: tuple[int, ...] = (-1,) * len(self._kinds)

        self._categories: Mapping[str, str] = MappingProxyType(dict(categories))
        self._category_codes: tuple[str, ...] = tuple(sorted(self._categories))
        self._category_index = {c: i for i, c in enumerate(self._category_codes)}
        self._category_array = _frozen(np.array(self._category_codes, dtype=str))
        self._rule_set = rule_set
        self._check_rules()
        self._prepare_rules()

        self._geoms = _frozen(np.array([z.geometry for z in self._zones], dtype=object))
        shapely.prepare(self._geoms)
        self._tree = shapely.STRtree(self._geoms)
        self._build_grid()
        # Prepared geometries build their point-in-polygon index lazily on first use; do it
        # now, in one thread, so concurrent routing later only reads.
        if len(self._geoms):
            points = shapely.point_on_surface(self._geoms)
            shapely.intersects_xy(self._geoms, shapely.get_x(points), shapely.get_y(points))
        self._cache: dict[tuple[int, tuple[int, ...]], Decision] = {}

    # -- construction helpers -------------------------------------------------------------

    def _check_rules(self) -> None:
        """Refuse rules that name categories or zones this router does not know."""
        groups = set(self._categories.values())
        for rule in self._rule_set.rules:
            problems = (
                ("unknown_category", rule.category, self._categories, "Kategorie", "category"),
                (
                    "unknown_category_group",
                    rule.category_group,
                    groups,
                    "Kategoriegruppe",
                    "category group",
                ),
                ("unknown_zone", rule.zone, self._zone_index, "Zone", "zone"),
            )
            for code, value, known, what_de, what_en in problems:
                if value is not None and value not in known:
                    raise ZoningError(
                        code,
                        f"Regel {rule.id}: unbekannte {what_de} {value!r}.",
                        f"Rule {rule.id}: unknown {what_en} {value!r}.",
                        rule.id,
                    )

    def _prepare_rules(self) -> None:
        """Order rules by specificity and precompute their conditions for fast matching."""
        rules = self._rule_set.rules
        order = sorted(range(len(rules)), key=lambda i: (*(-s for s in rules[i].specificity), i))
        self._rules: tuple[Rule, ...] = tuple(rules[i] for i in order)
        n_cat = len(self._category_codes)
        cat_match = np.zeros((len(self._rules), n_cat), dtype=bool)
        # Zone condition per rule: (slot, need); slot -1 = anywhere, need -1 = any zone of
        # the slot's kind, need >= 0 = that zone index.
        conds: list[tuple[int, int]] = []
        for pos, rule in enumerate(self._rules):
            if rule.zone is not None:
                need = self._zone_index[rule.zone]
                conds.append((self._zone_slot[need], need))
            elif rule.zone_kind is not None:
                slot = self._kinds.index(rule.zone_kind) if rule.zone_kind in self._kinds else -1
                conds.append((slot, -1))
                if slot < 0:
                    continue  # no zone of that kind: matches no category, so never wins
            else:
                conds.append((-1, -1))
            for c, code in enumerate(self._category_codes):
                cat_match[pos, c] = (
                    rule.category == code
                    if rule.category is not None
                    else rule.category_group == self._categories[code]
                    if rule.category_group is not None
                    else True
                )
        self._conds = tuple(conds)
        self._cat_match = _frozen(cat_match)
        # For single points: per category, the candidate rules in winning order.
        self._rules_for_category: tuple[tuple[tuple[int, int, int], ...], ...] = tuple(
            tuple((pos, *conds[pos]) for pos in np.flatnonzero(cat_match[:, c]).tolist())
            for c in range(n_cat)
        )
        # Department per winning rule position; index -1 (no rule) is the fallback.
        fallback = self._rule_set.fallback_department
        self._departments = _frozen(
            np.array([r.department or fallback for r in self._rules] + [fallback])
        )

    def _build_grid(self) -> None:
        """Precompute a uniform grid: per cell either its zone combination or its candidates."""
        k = len(self._kinds)
        self._nx = self._ny = 0
        self._x0 = self._y0 = self._inv_dx = self._inv_dy = 0.0
        empty = _frozen(np.zeros(0, dtype=np.intp))
        self._cell_combo_arr = empty  # per cell: row of _combo_table, -1 = boundary cell
        self._cell_combo = memoryview(empty)  # same, for fast scalar reads
        self._combo_table = _frozen(np.zeros((0, k), dtype=np.intp))
        self._combo_tuples: list[tuple[int, ...]] = []
        self._cell_start = memoryview(_frozen(np.zeros(1, dtype=np.intp)))
        self._cell_zone = empty
        self._cell_geoms = _frozen(np.zeros(0, dtype=object))
        if not len(self._geoms):
            return
        bounds = shapely.bounds(self._geoms)
        x0, y0 = bounds[:, 0].min(), bounds[:, 1].min()
        x1, y1 = bounds[:, 2].max(), bounds[:, 3].max()
        # Pad so points on the outermost boundaries fall strictly inside the grid.
        pad = 1e-9 * max(x1 - x0, y1 - y0) + 1e-12
        x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
        width, height = x1 - x0, y1 - y0
        cells = min(_MAX_CELLS, max(64, _CELLS_PER_ZONE * len(self._geoms)))
        nx = max(1, round(math.sqrt(cells * width / height)))
        ny = max(1, round(cells / nx))
        dx, dy = width / nx, height / ny
        inv_dx, inv_dy = 1.0 / dx, 1.0 / dy
        # Cells are grown by a hair (ex, ey) everywhere below, so rounding in a point's cell
        # index can never put it outside the cell that was analysed.
        ex, ey = 1e-7 * dx, 1e-7 * dy

        # 1. Mark cells touched by any zone boundary (holes included). Segments no longer
        #    than half a cell touch at most 2 × 2 cells, all inside their bounding box.
        rings = shapely.get_parts(shapely.boundary(self._geoms))
        rings = shapely.segmentize(rings, 0.5 * min(dx, dy))
        coords, ring = shapely.get_coordinates(rings, return_index=True)
        same = ring[1:] == ring[:-1]
        a, b = coords[:-1][same], coords[1:][same]

        def index(lo: np.ndarray, origin: float, inv: float, n: int) -> np.ndarray:
            return np.clip(np.floor((lo - origin) * inv), 0, n - 1).astype(np.intp)

        ix0 = index(np.minimum(a[:, 0], b[:, 0]) - ex, x0, inv_dx, nx)
        ix1 = index(np.maximum(a[:, 0], b[:, 0]) + ex, x0, inv_dx, nx)
        iy0 = index(np.minimum(a[:, 1], b[:, 1]) - ey, y0, inv_dy, ny)
        iy1 = index(np.maximum(a[:, 1], b[:, 1]) + ey, y0, inv_dy, ny)
        boundary = np.zeros(nx * ny, dtype=bool)
        for ix in (ix0, ix1):
            for iy in (iy0, iy1):
                boundary[ix * ny + iy] = True

        # 2. Any other cell lies wholly inside or outside each zone, so its centre decides.
        clean = np.flatnonzero(~boundary)
        centre_x = x0 + (clean // ny + 0.5) * dx
        centre_y = y0 + (clean % ny + 0.5) * dy
        table, which = np.unique(
            self._exact_combos(centre_x, centre_y), axis=0, return_inverse=True
        )
        cell_combo = np.full(nx * ny, -1, dtype=np.intp)
        cell_combo[clean] = which.ravel()

        # 3. Boundary cells keep the tree's bounding-box candidates for an exact test.
        dirty = np.flatnonzero(boundary)
        left, bottom = x0 + (dirty // ny) * dx, y0 + (dirty % ny) * dy
        boxes = shapely.box(left - ex, bottom - ey, left + dx + ex, bottom + dy + ey)
        box, zone = self._tree.query(boxes)
        order = np.lexsort((zone, box))
        cell, zone = dirty[box[order]], zone[order]
        starts = np.zeros(nx * ny + 1, dtype=np.intp)
        np.cumsum(np.bincount(cell, minlength=nx * ny), out=starts[1:])

        self._nx, self._ny = nx, ny
        self._x0, self._y0, self._inv_dx, self._inv_dy = x0, y0, inv_dx, inv_dy
        self._cell_combo_arr = _frozen(cell_combo)
        self._cell_combo = memoryview(self._cell_combo_arr)
        self._combo_table = _frozen(table.astype(np.intp))
        self._combo_tuples = [tuple(row) for row in table.tolist()]
        self._cell_start = memoryview(_frozen(starts))
        self._cell_zone = _frozen(zone.astype(np.intp))
        self._cell_geoms = _frozen(self._geoms[zone])

    # -- public properties ----------------------------------------------------------------

    @property
    def zones(self) -> tuple[ZoneShape, ...]:
        """Return the zones, sorted by kind then key."""
        return self._zones

    @property
    def kinds(self) -> tuple[str, ...]:
        """Return the zone kinds present, sorted."""
        return self._kinds

    @property
    def rule_set(self) -> RuleSet:
        """Return the rule set this router applies."""
        return self._rule_set

    @property
    def categories(self) -> Mapping[str, str]:
        """Return the category catalogue (code -> group), read-only."""
        return self._categories

    # -- single points ----------------------------------------------------------------------

    def _locate(self, lon: float, lat: float) -> tuple[int, ...] | list[int]:
        """Return the zone combination of the point's cell, or the covering zones' indices."""
        if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):  # also catches NaN
            raise ZoningError(
                "invalid_coordinates",
                f"Ungültige Koordinaten: Länge {lon!r}, Breite {lat!r} (WGS84 erwartet).",
                f"Invalid coordinates: longitude {lon!r}, latitude {lat!r} (WGS84 expected).",
                None,
            )
        fx = (lon - self._x0) * self._inv_dx
        fy = (lat - self._y0) * self._inv_dy
        if not (0.0 <= fx < self._nx and 0.0 <= fy < self._ny):
            return self._empty_combo
        cell = int(fx) * self._ny + int(fy)
        row = self._cell_combo[cell]
        if row >= 0:
            return self._combo_tuples[row]
        start, end = self._cell_start[cell], self._cell_start[cell + 1]
        inside = shapely.intersects_xy(self._cell_geoms[start:end], lon, lat)
        return self._cell_zone[start:end][inside].tolist()

    def _combo(self, hits: tuple[int, ...] | list[int]) -> tuple[int, ...]:
        """Reduce covering zones to one per kind: the first, i.e. the smallest key."""
        if isinstance(hits, tuple):  # already a combination
            return hits
        combo = list(self._empty_combo)
        for z in hits:  # ascending, so the first hit of a kind has the smallest key
            slot = self._zone_slot[z]
            if combo[slot] < 0:
                combo[slot] = z
        return tuple(combo)

    def _decision(self, cat: int, combo: tuple[int, ...]) -> Decision:
        """Return the (cached) decision for a category index and zone-per-kind combination."""
        key = (cat, combo)
        decision = self._cache.get(key)
        if decision is not None:
            return decision
        winner = -1
        for pos, slot, need in self._rules_for_category[cat]:
            if slot < 0 or (combo[slot] == need if need >= 0 else combo[slot] >= 0):
                winner = pos
                break
        decision = self._make_decision(winner, combo)
        if len(self._cache) < _CACHE_LIMIT:
            # A plain dict store is atomic; two threads racing store equal values.
            self._cache[key] = decision
        return decision

    def _make_decision(self, winner: int, combo: tuple[int, ...]) -> Decision:
        zones = [self._zones[z] for z in combo if z >= 0]
        rule = self._rules[winner] if winner >= 0 else None
        return Decision(
            # A rule naming only a destination leaves the ticket with the fallback department.
            department=(rule.department if rule else None) or self._rule_set.fallback_department,
            rule_id=rule.id if rule else None,
            priority=rule.priority if rule else None,
            sla_hours=rule.sla_hours if rule else None,
            zones=tuple(z.key for z in zones),
            ruleset_version=self._rule_set.version,
            rule=rule,
            zone_names=tuple(z.name for z in zones),
            zone_kinds=tuple(z.kind for z in zones),
        )

    def _category(self, category: str) -> int:
        cat = self._category_index.get(category)
        if cat is None:
            raise ZoningError(
                "unknown_category",
                f"Unbekannte Kategorie {category!r}.",
                f"Unknown category {category!r}.",
                category,
            )
        return cat

    def route(self, lon: float, lat: float, category: str) -> Decision:
        """Decide the department for one report at (lon, lat) with a category code."""
        cat = self._category(category)
        return self._decision(cat, self._combo(self._locate(float(lon), float(lat))))

    def zones_at(self, lon: float, lat: float) -> list[ZoneShape]:
        """Return every zone covering the point (boundary included), sorted by kind then key."""
        found = self._locate(float(lon), float(lat))
        # A cell's combination lists every covering zone: two same-kind zones only both
        # cover points on their shared edge, and cells crossed by an edge have no combination.
        return [self._zones[z] for z in found if z >= 0]

    # -- bulk -------------------------------------------------------------------------------

    def _bulk_combos(self, lons: Any, lats: Any) -> np.ndarray:
        """Return an (n, kinds) array of zone indices (-1 = none), one zone per kind."""
        lons = np.ascontiguousarray(lons, dtype=np.float64)
        lats = np.ascontiguousarray(lats, dtype=np.float64)
        if lons.ndim != 1 or lons.shape != lats.shape:
            raise ValueError("lons and lats must be 1-D arrays of equal length")
        ok = (np.abs(lons) <= 180.0) & (np.abs(lats) <= 90.0)  # False for NaN
        if not ok.all():
            i = int(np.flatnonzero(~ok)[0])
            raise ZoningError(
                "invalid_coordinates",
                f"Punkt {i}: ungültige Koordinaten Länge {lons[i]!r}, Breite {lats[i]!r} "
                "(WGS84 erwartet).",
                f"Point {i}: invalid coordinates longitude {lons[i]!r}, latitude {lats[i]!r} "
                "(WGS84 expected).",
                i,
            )
        combos = np.full((len(lons), len(self._kinds)), -1, dtype=np.intp)
        fx = (lons - self._x0) * self._inv_dx
        fy = (lats - self._y0) * self._inv_dy
        points = np.flatnonzero((fx >= 0) & (fx < self._nx) & (fy >= 0) & (fy < self._ny))
        cell = fx[points].astype(np.intp) * self._ny + fy[points].astype(np.intp)
        row = self._cell_combo_arr[cell]
        clean = row >= 0
        combos[points[clean]] = self._combo_table[row[clean]]
        rest = points[~clean]
        if len(rest):
            combos[rest] = self._exact_combos(lons[rest], lats[rest])
        return combos

    def _exact_combos(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """Return one zone per kind for each point via the STRtree and exact tests."""
        n, k = len(lons), len(self._kinds)
        point_idx, zone_idx = self._tree.query(shapely.points(lons, lats))
        inside = shapely.intersects_xy(self._geoms[zone_idx], lons[point_idx], lats[point_idx])
        point_idx, zone_idx = point_idx[inside], zone_idx[inside]
        # Smallest zone index per (point, kind) = smallest key on shared edges.
        none = len(self._zones)
        combos = np.full((n, k), none, dtype=np.intp)
        np.minimum.at(combos, (point_idx, self._zone_slot_arr[zone_idx]), zone_idx)
        combos[combos == none] = -1
        return combos

    def _bulk_categories(self, categories: Any, n: int) -> np.ndarray:
        """Map category codes to category indices, refusing unknown codes."""
        if isinstance(categories, str):
            return np.full(n, self._category(categories), dtype=np.intp)
        codes = np.asarray(categories)
        if codes.shape != (n,):
            raise ValueError("categories must have one entry per point")
        if codes.dtype.kind not in "UO":
            codes = codes.astype(str)
        if not n:
            return np.zeros(0, dtype=np.intp)
        if not len(self._category_array):
            self._category(str(codes[0]))  # raises
        pos = np.searchsorted(self._category_array, codes)
        pos = np.minimum(pos, len(self._category_array) - 1)
        bad = self._category_array[pos] != codes
        if bad.any():
            self._category(str(codes[int(np.flatnonzero(bad)[0])]))  # raises
        return pos

    def _bulk_winners(
        self, lons: Any, lats: Any, categories: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Return (winner per combination, inverse index, category per combo, combos)."""
        combos = self._bulk_combos(lons, lats)
        n, k = combos.shape
        cats = self._bulk_categories(categories, n)
        # One int64 key per (category, zone per kind) combination; radix = zones + 1.
        radix = len(self._zones) + 1
        if len(self._category_codes) * radix**k < 2**62:
            keys = cats.astype(np.int64)
            for slot in range(k):
                keys = keys * radix + (combos[:, slot] + 1)
            _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        else:  # too many kinds for one integer key: compare rows instead
            rows = np.column_stack([cats, combos])
            _, first, inverse = np.unique(rows, axis=0, return_index=True, return_inverse=True)
        cat_u, combo_u = cats[first], combos[first]
        winners = np.full(len(first), -1, dtype=np.intp)
        open_ = np.ones(len(first), dtype=bool)
        for pos, (slot, need) in enumerate(self._conds):
            match = open_ & self._cat_match[pos][cat_u]
            if slot >= 0:
                column = combo_u[:, slot]
                match &= (column == need) if need >= 0 else (column >= 0)
            winners[match] = pos
            open_ &= ~match
            if not open_.any():
                break
        return winners, inverse.ravel(), cat_u, combo_u

    def route_many(self, lons: Any, lats: Any, categories: Any) -> list[Decision]:
        """Decide many points at once; categories may be a sequence or one code for all."""
        winners, inverse, cat_u, combo_u = self._bulk_winners(lons, lats, categories)
        decisions = []
        for cat, combo, winner in zip(
            cat_u.tolist(), combo_u.tolist(), winners.tolist(), strict=True
        ):
            combo = tuple(combo)
            decision = self._cache.get((cat, combo))
            if decision is None:
                decision = self._make_decision(winner, combo)
                if len(self._cache) < _CACHE_LIMIT:
                    self._cache[(cat, combo)] = decision
            decisions.append(decision)
        return [decisions[i] for i in inverse.tolist()]

    def route_many_departments(self, lons: Any, lats: Any, categories: Any) -> np.ndarray:
        """Return just the department code per point as a numpy string array (fastest path)."""
        winners, inverse, _, _ = self._bulk_winners(lons, lats, categories)
        return self._departments[winners[inverse]]


def _frozen(array: np.ndarray) -> np.ndarray:
    """Mark an array read-only so the router stays immutable."""
    array.flags.writeable = False
    return array
