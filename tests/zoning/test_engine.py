"""Routing decisions: zones, specificity, fallback, explanations, bulk/single agreement."""

from __future__ import annotations

import dataclasses
import json
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import shapely

from maengelmelder.zoning.engine import (
    Decision,
    Router,
    Rule,
    RuleSet,
    ZoneShape,
    ZoningError,
)

CATEGORIES = {
    "schlagloch": "strasse",
    "ampel": "strasse",
    "baum": "gruen",
    "rasen": "gruen",
    "muell": "sauberkeit",
    "sonstiges": "sonstiges",
}

# Two districts sharing the edge lat = 50.11, and two parks (kind "park") on top of them.
NORD = ZoneShape("nord", "Nordend", "district", shapely.box(8.70, 50.11, 8.72, 50.12))
SUED = ZoneShape("sued", "Sachsenhausen", "district", shapely.box(8.70, 50.10, 8.72, 50.11))
STADTPARK = ZoneShape("stadtpark", "Stadtpark", "park", shapely.box(8.705, 50.105, 8.708, 50.115))
KLEINPARK = ZoneShape(
    "kleinpark", "Kleiner Park", "park", shapely.box(8.715, 50.115, 8.716, 50.116)
)
ZONES = [NORD, SUED, STADTPARK, KLEINPARK]

IN_STADTPARK = (8.706, 50.106)  # also in "sued"
IN_KLEINPARK = (8.7155, 50.1155)  # also in "nord"
IN_NORD_ONLY = (8.71, 50.118)
NOWHERE = (8.60, 50.00)


def router(*rules: Rule, zones=ZONES, fallback: str = "buergerservice", version=None) -> Router:
    return Router(zones, RuleSet(tuple(rules), fallback, version), CATEGORIES)


# -- specificity ------------------------------------------------------------------------------


def test_exact_category_beats_group_beats_any():
    r = router(
        Rule("any", "ordnungsamt"),
        Rule("group", "verkehr", category_group="strasse"),
        Rule("exact", "tiefbau", category="schlagloch"),
    )
    assert r.route(*IN_NORD_ONLY, "schlagloch").rule_id == "exact"
    assert r.route(*IN_NORD_ONLY, "ampel").rule_id == "group"
    assert r.route(*IN_NORD_ONLY, "baum").rule_id == "any"


def test_exact_zone_beats_zone_kind_beats_anywhere():
    r = router(
        Rule("anywhere", "ordnungsamt"),
        Rule("kind", "gruenflaechen", zone_kind="park"),
        Rule("zone", "parkverwaltung", zone="stadtpark"),
    )
    assert r.route(*IN_STADTPARK, "muell").rule_id == "zone"
    assert r.route(*IN_KLEINPARK, "muell").rule_id == "kind"
    assert r.route(*IN_NORD_ONLY, "muell").rule_id == "anywhere"
    assert r.route(*NOWHERE, "muell").rule_id == "anywhere"


def test_place_breaks_ties_in_total_specificity():
    # (2, 2) beats (2, 1) beats (2, 0): all three add up to 2.
    r = router(
        Rule("cat", "tiefbau", category="schlagloch"),
        Rule("group_kind", "verkehr", category_group="strasse", zone_kind="park"),
        Rule("zone", "parkverwaltung", zone="stadtpark"),
    )
    assert r.route(*IN_STADTPARK, "schlagloch").rule_id == "zone"
    assert r.route(*IN_KLEINPARK, "schlagloch").rule_id == "group_kind"
    assert r.route(*IN_NORD_ONLY, "schlagloch").rule_id == "cat"


def test_total_specificity_comes_first():
    # exact category in a kind (3, 1) beats any category in an exact zone (2, 2)
    r = router(
        Rule("zone", "parkverwaltung", zone="stadtpark"),
        Rule("cat_kind", "tiefbau", category="schlagloch", zone_kind="park"),
    )
    assert r.route(*IN_STADTPARK, "schlagloch").rule_id == "cat_kind"
    assert r.route(*IN_STADTPARK, "baum").rule_id == "zone"


def test_rule_order_breaks_ties():
    # Both are (2, 1) and both match a point that is in a district and in a park.
    first = Rule("first", "tiefbau", category_group="strasse", zone_kind="district")
    second = Rule("second", "verkehr", category_group="strasse", zone_kind="park")
    assert router(first, second).route(*IN_STADTPARK, "ampel").rule_id == "first"
    assert router(second, first).route(*IN_STADTPARK, "ampel").rule_id == "second"
    many = router(second, first).route_many_departments(
        [IN_STADTPARK[0]], [IN_STADTPARK[1]], "ampel"
    )
    assert many.tolist() == ["verkehr"]


def test_fallback_when_no_rule_matches():
    r = router(Rule("park", "gruenflaechen", zone_kind="park", sla_hours=12), version=4)
    decision = r.route(*IN_NORD_ONLY, "baum")
    assert decision.department == "buergerservice"
    assert decision.rule_id is None and decision.fallback
    assert decision.priority is None and decision.sla_hours is None
    assert decision.ruleset_version == 4
    assert decision.explanation()["fallback"] is True
    assert r.route(*IN_STADTPARK, "baum").sla_hours == 12


def test_rule_for_a_kind_without_zones_never_matches():
    r = router(Rule("see", "wasser", zone_kind="see"))
    assert r.route(*IN_NORD_ONLY, "muell").fallback
    assert r.route_many_departments([IN_NORD_ONLY[0]], [IN_NORD_ONLY[1]], ["muell"]).tolist() == [
        "buergerservice"
    ]


# -- zones, boundaries, tie-break -------------------------------------------------------------


def test_decision_lists_one_zone_per_kind_sorted_by_kind():
    r = router()
    assert r.route(*IN_STADTPARK, "muell").zones == ("sued", "stadtpark")
    assert r.route(*NOWHERE, "muell").zones == ()


def test_point_on_outer_boundary_and_vertex_is_inside():
    r = router(Rule("nord", "bezirk_nord", zone="nord"))
    assert r.route(8.71, 50.12, "muell").rule_id == "nord"  # top edge
    assert r.route(8.72, 50.12, "muell").rule_id == "nord"  # corner
    assert r.route(8.7200001, 50.12, "muell").fallback  # just outside


@pytest.mark.parametrize("order", [ZONES, ZONES[::-1]])
def test_shared_edge_goes_to_the_zone_whose_key_sorts_first(order):
    r = router(
        Rule("nord", "bezirk_nord", zone="nord"),
        Rule("sued", "bezirk_sued", zone="sued"),
        zones=order,
    )
    on_edge = (8.71, 50.11)
    assert [z.key for z in r.zones_at(*on_edge)] == ["nord", "sued"]
    decision = r.route(*on_edge, "muell")
    assert decision.zones == ("nord",)  # "nord" < "sued"
    assert decision.rule_id == "nord"
    [bulk] = r.route_many([on_edge[0]], [on_edge[1]], ["muell"])
    assert bulk == decision
    assert r.route_many_departments([on_edge[0]], [on_edge[1]], "muell").tolist() == ["bezirk_nord"]


def test_zones_at_is_sorted_by_kind_then_key():
    assert [z.key for z in router().zones_at(*IN_STADTPARK)] == ["sued", "stadtpark"]
    assert router().zones_at(*NOWHERE) == []


# -- explanations ---------------------------------------------------------------------------


def explained_router() -> Router:
    return router(
        Rule(
            "r7",
            "gruenflaechen",
            category_group="gruen",
            zone="stadtpark",
            priority=2,
            sla_hours=24.0,
        ),
        Rule("r8", "tiefbau", category="schlagloch", zone_kind="park"),
        Rule("r9", "stadtreinigung"),
        Rule("r10", "verkehr", category="ampel", zone_kind="district"),
        version=5,
    )


def test_describe_rule_in_german_and_english():
    decision = explained_router().route(*IN_STADTPARK, "baum")
    assert (
        decision.describe("de", "Grünflächenamt")
        == "Grünflächenamt: Regel „Gruen in Stadtpark“ — Kategoriegruppe Gruen in Zone Stadtpark"
    )
    assert (
        decision.describe("en", "Grünflächenamt")
        == "Grünflächenamt: rule “Gruen in Stadtpark” — category group Gruen in zone Stadtpark"
    )
    assert decision.describe("de").startswith("gruenflaechen: Regel „Gruen in Stadtpark“")
    assert decision.describe("de-DE", zone_names={"stadtpark": "Park am Main"}).endswith(
        "in Zone Park am Main"
    )


def test_describe_other_rule_shapes():
    r = explained_router()
    assert (
        r.route(*IN_KLEINPARK, "schlagloch").describe("en")
        == "tiefbau: rule “Schlagloch in Park” — category Schlagloch "
        "in zone kind Park (Kleiner Park)"
    )
    assert (
        r.route(*NOWHERE, "muell").describe("de")
        == "stadtreinigung: Regel „Alle Kategorien“ — alle Kategorien überall"
    )
    assert (
        r.route(*IN_NORD_ONLY, "ampel").describe("de")
        == "verkehr: Regel „Ampel in Stadtteil“ — Kategorie Ampel in Zonenart Stadtteil (Nordend)"
    )


def test_describe_fallback():
    decision = router().route(*NOWHERE, "muell")
    assert decision.describe("de", "Bürgerservice") == (
        "Bürgerservice: keine Regel passt, Auffangzuständigkeit"
    )
    assert decision.describe("en", "Bürgerservice") == (
        "Bürgerservice: no rule matched, fallback department"
    )
    with pytest.raises(ValueError):
        decision.describe("fr")


def test_explanation_is_json_serialisable_and_complete():
    decision = explained_router().route(*IN_STADTPARK, "rasen")
    explanation = json.loads(json.dumps(decision.explanation()))
    assert explanation == {
        "department": "gruenflaechen",
        "rule_id": "r7",
        "rule": {
            "id": "r7",
            "department": "gruenflaechen",
            "category_group": "gruen",
            "zone": "stadtpark",
            "priority": 2,
            "sla_hours": 24,
        },
        "priority": 2,
        "sla_hours": 24.0,
        "zones": [
            {"key": "sued", "name": "Sachsenhausen", "kind": "district"},
            {"key": "stadtpark", "name": "Stadtpark", "kind": "park"},
        ],
        "ruleset_version": 5,
        "fallback": False,
    }


# -- input errors, immutability ---------------------------------------------------------------


def test_unknown_category_is_refused_everywhere():
    r = router()
    for call in (
        lambda: r.route(*IN_NORD_ONLY, "kaugummi"),
        lambda: r.route_many([8.71, 8.71], [50.118, 50.118], ["muell", "kaugummi"]),
        lambda: r.route_many_departments([8.71], [50.118], np.array(["kaugummi"])),
        lambda: r.route_many_departments([8.71], [50.118], "kaugummi"),
    ):
        with pytest.raises(ZoningError) as info:
            call()
        assert info.value.code == "unknown_category"
        assert "kaugummi" in info.value.message["de"] and "kaugummi" in str(info.value)


@pytest.mark.parametrize("lon, lat", [(float("nan"), 50.1), (8.7, 95.0), (200.0, 50.0)])
def test_invalid_coordinates(lon, lat):
    r = router()
    with pytest.raises(ZoningError) as info:
        r.route(lon, lat, "muell")
    assert info.value.code == "invalid_coordinates"
    with pytest.raises(ZoningError) as info:
        r.route_many_departments([8.7, lon], [50.1, lat], "muell")
    assert info.value.code == "invalid_coordinates" and info.value.item == 1


def test_router_refuses_rules_naming_unknown_zones_or_categories():
    with pytest.raises(ZoningError) as info:
        router(Rule("r1", "x", zone="mond"))
    assert info.value.code == "unknown_zone" and "mond" in str(info.value)
    with pytest.raises(ZoningError) as info:
        router(Rule("r2", "x", category="kaugummi"))
    assert info.value.code == "unknown_category" and "r2" in str(info.value)


def test_decisions_and_router_state_are_immutable():
    r = router()
    decision = r.route(*IN_STADTPARK, "muell")
    with pytest.raises(dataclasses.FrozenInstanceError):
        decision.department = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        r.categories["neu"] = "x"  # type: ignore[index]
    with pytest.raises(ValueError):
        r._combo_table[0, 0] = 5


def test_empty_inputs_and_no_zones():
    r = router(Rule("r1", "tiefbau", category="schlagloch"), zones=[])
    assert r.route(8.7, 50.1, "schlagloch").department == "tiefbau"
    assert r.route(8.7, 50.1, "muell").fallback
    assert r.zones_at(8.7, 50.1) == []
    assert r.route_many([], [], []) == []
    assert r.route_many_departments(np.array([]), np.array([]), []).shape == (0,)
    assert router().route_many_departments([8.71], [50.118], "muell").tolist() == ["buergerservice"]


# -- agreement with a brute-force reference ---------------------------------------------------


def reference(zones, rule_set: RuleSet, lon: float, lat: float, category: str):
    """Brute force: every zone, every rule, straight from the documented semantics."""
    point = shapely.Point(lon, lat)
    here: dict[str, str] = {}
    for zone in zones:
        if zone.geometry.covers(point) and (zone.kind not in here or zone.key < here[zone.kind]):
            here[zone.kind] = zone.key
    kind_of = {z.key: z.kind for z in zones}
    best, best_rank = None, None
    for order, rule in enumerate(rule_set.rules):
        if rule.category is not None:
            cat_spec, cat_ok = 2, rule.category == category
        elif rule.category_group is not None:
            cat_spec, cat_ok = 1, rule.category_group == CATEGORIES[category]
        else:
            cat_spec, cat_ok = 0, True
        if rule.zone is not None:
            zone_spec, zone_ok = 2, here.get(kind_of[rule.zone]) == rule.zone
        elif rule.zone_kind is not None:
            zone_spec, zone_ok = 1, rule.zone_kind in here
        else:
            zone_spec, zone_ok = 0, True
        rank = (zone_spec + cat_spec, zone_spec, -order)
        if cat_ok and zone_ok and (best_rank is None or rank > best_rank):
            best, best_rank = rule, rank
    department = best.department if best else rule_set.fallback_department
    return department, best.id if best else None, tuple(here[k] for k in sorted(here))


def random_city(seed: int) -> tuple[list[ZoneShape], RuleSet, np.ndarray, np.ndarray]:
    """Voronoi districts sharing edges, three parks (one with a hole), and test points."""
    rng = np.random.default_rng(seed)
    frame = shapely.box(8.60, 50.05, 8.80, 50.15)
    seeds = shapely.multipoints(
        np.column_stack([rng.uniform(8.6, 8.8, 40), rng.uniform(50.05, 50.15, 40)])
    )
    cells = shapely.intersection(
        shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=frame)), frame
    )
    zones = [ZoneShape(f"d{i:02d}", f"District {i}", "district", c) for i, c in enumerate(cells)]
    park0 = shapely.Point(8.65, 50.08).buffer(0.02, quad_segs=12)
    park0 = park0.difference(shapely.Point(8.65, 50.08).buffer(0.006))
    park1 = shapely.box(8.70, 50.10, 8.73, 50.12)
    park2 = shapely.Point(8.77, 50.13).buffer(0.01)
    zones += [
        ZoneShape(f"p{i}", f"Park {i}", "park", g) for i, g in enumerate((park0, park1, park2))
    ]
    d = [z.key for z in zones if z.kind == "district"]
    rules = (
        Rule("r1", "tiefbau", category="schlagloch"),
        Rule("r2", "verkehr", category_group="strasse"),
        Rule("r3", "gruen", category_group="gruen", zone_kind="park"),
        Rule("r4", "park1", zone="p1"),
        Rule("r5", "nord", category_group="sauberkeit", zone=d[0]),
        Rule("r6", "sued", zone=d[1]),
        Rule("r7", "sued", zone=d[2], category="baum"),
        Rule("r8", "ordnung", category="muell", zone_kind="district"),
        Rule("r9", "gruen2", category_group="gruen"),
        Rule("r10", "tiefbau", zone=d[3], category_group="strasse"),
    )
    # Random points (some outside every zone) plus every vertex: exactly on boundaries,
    # shared edges, corners of three zones and the park's hole.
    lons = rng.uniform(8.58, 8.82, 3000)
    lats = rng.uniform(50.04, 50.16, 3000)
    vertices = shapely.get_coordinates(np.array([z.geometry for z in zones]))
    lons = np.concatenate([lons, vertices[:, 0]])
    lats = np.concatenate([lats, vertices[:, 1]])
    return zones, RuleSet(rules, "fallback", 1), lons, lats


@pytest.mark.parametrize("seed", [1, 2])
def test_single_bulk_and_reference_agree(seed):
    zones, rule_set, lons, lats = random_city(seed)
    rng = np.random.default_rng(seed)
    cats = rng.choice(np.array(sorted(CATEGORIES)), len(lons))
    expected = [
        reference(zones, rule_set, x, y, c)
        for x, y, c in zip(lons.tolist(), lats.tolist(), cats.tolist(), strict=True)
    ]
    # Separate routers, so no method can reuse decisions cached by another.
    single_router, many_router, dept_router = (
        Router(zones, rule_set, CATEGORIES) for _ in range(3)
    )
    single = [
        single_router.route(x, y, c)
        for x, y, c in zip(lons.tolist(), lats.tolist(), cats.tolist(), strict=True)
    ]
    many = many_router.route_many(lons, lats, cats)
    departments = dept_router.route_many_departments(lons, lats, cats.tolist())
    assert [(d.department, d.rule_id, d.zones) for d in single] == expected
    assert [(d.department, d.rule_id, d.zones) for d in many] == expected
    assert departments.tolist() == [e[0] for e in expected]
    on_boundary = sum(
        len(zs) > 0
        for zs in (
            single_router.zones_at(x, y) for x, y in zip(lons[3000:], lats[3000:], strict=True)
        )
    )
    assert on_boundary == len(lons) - 3000  # every vertex is covered by some zone
    # Each department, rule and the fallback actually occur, so the check is not vacuous.
    assert {e[1] for e in expected} >= {None, "r1", "r2", "r3", "r4", "r8", "r9"}


def test_routing_from_many_threads_matches_sequential():
    zones, rule_set, lons, lats = random_city(3)
    cats = np.resize(np.array(sorted(CATEGORIES)), len(lons))
    r = Router(zones, rule_set, CATEGORIES)
    chunks = np.array_split(np.arange(len(lons)), 8)

    def work(idx: np.ndarray) -> list[str]:
        singles = [r.route(lons[i], lats[i], cats[i]).department for i in idx.tolist()]
        assert singles == r.route_many_departments(lons[idx], lats[idx], cats[idx]).tolist()
        return singles

    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = [d for part in pool.map(work, chunks) for d in part]
    fresh = Router(zones, rule_set, CATEGORIES)
    assert threaded == fresh.route_many_departments(lons, lats, cats).tolist()


def test_route_many_accepts_one_category_for_all_points():
    r = router(Rule("r1", "tiefbau", category="schlagloch"))
    decisions = r.route_many(np.array([8.71, 8.60]), np.array([50.118, 50.0]), "schlagloch")
    assert [d.department for d in decisions] == ["tiefbau", "tiefbau"]
    assert all(isinstance(d, Decision) for d in decisions)


def test_lookups_do_not_scan_all_zones():
    # 2,500 zones: a loop over every polygon would take milliseconds per point.
    cells = [
        ZoneShape(f"c{i}-{j}", f"Cell {i}/{j}", "district", shapely.box(i, j, i + 1, j + 1))
        for i in range(50)
        for j in range(50)
    ]
    r = Router(cells, RuleSet((Rule("r1", "x", zone="c7-7"),), "y"), CATEGORIES)
    rng = np.random.default_rng(0)
    lons, lats = rng.uniform(0, 50, 5000), rng.uniform(0, 50, 5000)
    start = time.perf_counter()
    for x, y in zip(lons.tolist()[:2000], lats.tolist()[:2000], strict=True):
        r.route(x, y, "muell")
    single = (time.perf_counter() - start) / 2000
    start = time.perf_counter()
    r.route_many_departments(lons, lats, "muell")
    bulk = (time.perf_counter() - start) / 5000
    assert single < 100e-6, f"{single * 1e6:.1f} µs per single point"
    assert bulk < 20e-6, f"{bulk * 1e6:.1f} µs per point in bulk"
    assert r.route(7.5, 7.5, "muell").department == "x"
