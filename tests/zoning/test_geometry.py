"""Parsing and validating zone files (GeoJSON FeatureCollections)."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
import shapely

from maengelmelder.zoning.engine import (
    Router,
    RuleSet,
    ZoneShape,
    ZoningError,
    parse_feature_collection,
)


def ring(x0: float, y0: float, x1: float, y1: float) -> list[list[float]]:
    """A closed counter-clockwise rectangle ring in lon/lat."""
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]


def feature(
    key: Any, name: Any, geometry: dict[str, Any] | None, *, top_id: bool = True
) -> dict[str, Any]:
    props: dict[str, Any] = {"name": name}
    out: dict[str, Any] = {"type": "Feature", "properties": props, "geometry": geometry}
    if top_id:
        out["id"] = key
    else:
        props["id"] = key
    return out


def polygon(*rings: list[list[float]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": list(rings)}


def collection(*features: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features), **extra}


def box_feature(key: str, name: str, x0: float, y0: float, x1: float, y1: float):
    return feature(key, name, polygon(ring(x0, y0, x1, y1)))


def refused(data: dict[str, Any], code: str, **kwargs: Any) -> ZoningError:
    with pytest.raises(ZoningError) as info:
        parse_feature_collection(data, kind="district", **kwargs)
    assert info.value.code == code, info.value.message
    return info.value


def names_in_both(err: ZoningError, *needles: str) -> None:
    for lang in ("de", "en"):
        for needle in needles:
            assert needle in err.message[lang], (lang, needle, err.message[lang])


def test_polygon_with_hole_excludes_the_hole():
    outer, hole = ring(8.70, 50.10, 8.72, 50.12), ring(8.705, 50.105, 8.715, 50.115)
    [zone] = parse_feature_collection(
        collection(feature("park", "Stadtpark", polygon(outer, hole))), kind="park"
    )
    assert len(zone.geometry.interiors) == 1
    router = Router([zone], RuleSet((), "buergerservice"), {"muell": "sauberkeit"})
    assert router.zones_at(8.702, 50.11) == [zone]  # in the ring
    assert router.zones_at(8.71, 50.11) == []  # in the pond
    assert router.zones_at(8.705, 50.11) == [zone]  # on the hole's edge: covered
    assert router.route(8.71, 50.11, "muell").zones == ()


def test_multipolygon_covers_both_parts_but_not_the_gap():
    geometry = {
        "type": "MultiPolygon",
        "coordinates": [[ring(8.70, 50.10, 8.71, 50.11)], [ring(8.72, 50.10, 8.73, 50.11)]],
    }
    [zone] = parse_feature_collection(
        collection(feature("ost", "Ostend", geometry)), kind="district"
    )
    assert zone.geometry.geom_type == "MultiPolygon"
    router = Router([zone], RuleSet((), "x"), {"muell": "sauberkeit"})
    assert router.route(8.705, 50.105, "muell").zones == ("ost",)
    assert router.route(8.725, 50.105, "muell").zones == ("ost",)
    assert router.route(8.715, 50.105, "muell").zones == ()


def test_keys_come_from_feature_id_then_property_and_become_strings():
    zones = parse_feature_collection(
        collection(
            feature(7, "Sieben", polygon(ring(0, 0, 1, 1))),
            feature("acht", "Acht", polygon(ring(1, 0, 2, 1)), top_id=False),
        ),
        kind="district",
    )
    assert [(z.key, z.name, z.kind) for z in zones] == [
        ("7", "Sieben", "district"),
        ("acht", "Acht", "district"),
    ]


def test_custom_id_and_name_properties():
    data = collection(
        {
            "type": "Feature",
            "properties": {"bezirk_nr": "b1", "bezeichnung": "Innenstadt"},
            "geometry": polygon(ring(0, 0, 1, 1)),
        }
    )
    [zone] = parse_feature_collection(
        data, kind="district", id_property="bezirk_nr", name_property="bezeichnung"
    )
    assert (zone.key, zone.name) == ("b1", "Innenstadt")


def test_to_geojson_round_trips():
    outer, hole = ring(8.70, 50.10, 8.72, 50.12), ring(8.705, 50.105, 8.715, 50.115)
    [zone] = parse_feature_collection(
        collection(feature("p", "Park", polygon(outer, hole))), kind="park"
    )
    geo = zone.to_geojson()
    assert geo["type"] == "Polygon"
    assert isinstance(geo["coordinates"][0][0], list)
    assert shapely.geometry.shape(geo).equals(zone.geometry)


def test_not_a_feature_collection():
    refused({"type": "Feature"}, "not_a_feature_collection")


@pytest.mark.parametrize("features", [[], None])
def test_empty_collection(features):
    refused({"type": "FeatureCollection", "features": features}, "empty_collection")


def test_point_geometry_is_refused_naming_index_name_and_type():
    data = collection(
        box_feature("a", "Altstadt", 0, 0, 1, 1),
        feature("b", "Brunnen", {"type": "Point", "coordinates": [0.5, 0.5]}),
    )
    err = refused(data, "not_a_polygon")
    assert err.item == 1
    names_in_both(err, "features[1]", "Brunnen", "Point")


def test_null_geometry_is_refused():
    err = refused(collection(feature("a", "Altstadt", None)), "not_a_polygon")
    names_in_both(err, "features[0]", "Altstadt")


@pytest.mark.parametrize("name", [None, "", "   ", 5])
def test_missing_name(name):
    data = collection(box_feature("a", "Altstadt", 0, 0, 1, 1), feature("b", name, None))
    err = refused(data, "missing_name")
    assert err.item == 1
    names_in_both(err, "features[1]")


def test_missing_id():
    data = collection(feature(None, "Altstadt", polygon(ring(0, 0, 1, 1))))
    err = refused(data, "missing_id")
    assert err.item == 0
    names_in_both(err, "features[0]", "Altstadt")


def test_duplicate_keys_name_both_features():
    data = collection(
        box_feature("a", "Altstadt", 0, 0, 1, 1), box_feature("a", "Neustadt", 1, 0, 2, 1)
    )
    err = refused(data, "duplicate_zone_key")
    names_in_both(err, "features[0]", "Altstadt", "features[1]", "Neustadt")


def test_bow_tie_is_invalid_with_reason():
    bow_tie = [[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]
    data = collection(box_feature("a", "Altstadt", 5, 5, 6, 6), feature("b", "Fliege", None))
    data["features"][1]["geometry"] = polygon(bow_tie)
    err = refused(data, "invalid_geometry")
    assert err.item == 1
    names_in_both(err, "features[1]", "Fliege", "Self-intersection")


def test_make_valid_repairs_bow_tie_into_polygonal_parts():
    bow_tie = [[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]
    [zone] = parse_feature_collection(
        collection(feature("b", "Fliege", polygon(bow_tie))), kind="district", make_valid=True
    )
    assert zone.geometry.is_valid
    assert zone.geometry.geom_type == "MultiPolygon"
    assert zone.geometry.area == pytest.approx(0.5)


def test_unclosed_ring_is_invalid_unless_repaired():
    unclosed = [[0, 0], [1, 0], [1, 1], [0, 1]]
    data = collection(feature("u", "Offen", polygon(unclosed)))
    err = refused(data, "invalid_geometry")
    names_in_both(err, "features[0]", "Offen")
    assert "not closed" in err.message["en"]
    [zone] = parse_feature_collection(data, kind="district", make_valid=True)
    assert zone.geometry.area == pytest.approx(1.0)


def test_too_few_points():
    err = refused(
        collection(feature("t", "Strich", polygon([[0, 0], [1, 1], [0, 0]]))), "invalid_geometry"
    )
    names_in_both(err, "features[0]", "Strich", "3")


def test_make_valid_with_nothing_polygonal_left_is_refused():
    flat = [[0, 0], [1, 0], [2, 0], [0, 0]]  # collapses to a line
    err = refused(
        collection(feature("f", "Flach", polygon(flat))), "invalid_geometry", make_valid=True
    )
    names_in_both(err, "features[0]", "Flach")
    assert "nothing polygonal" in err.message["en"]


@pytest.mark.parametrize(
    "crs_name, shown",
    [
        ("urn:ogc:def:crs:EPSG::25832", "EPSG:25832"),
        ("EPSG:31467", "EPSG:31467"),
        ("http://www.opengis.net/def/crs/EPSG/0/3857", "EPSG:3857"),
    ],
)
def test_projected_crs_is_refused_naming_it(crs_name, shown):
    data = collection(
        box_feature("a", "Altstadt", 0, 0, 1, 1),
        crs={"type": "name", "properties": {"name": crs_name}},
    )
    err = refused(data, "wrong_crs")
    names_in_both(err, shown)


@pytest.mark.parametrize(
    "crs_name",
    ["urn:ogc:def:crs:OGC:1.3:CRS84", "OGC:CRS84", "EPSG:4326", "urn:ogc:def:crs:EPSG::4326"],
)
def test_wgs84_crs_names_are_accepted(crs_name):
    data = collection(
        box_feature("a", "Altstadt", 0, 0, 1, 1),
        crs={"type": "name", "properties": {"name": crs_name}},
    )
    assert len(parse_feature_collection(data, kind="district")) == 1


def test_projected_coordinates_are_refused_as_wrong_crs():
    utm = ring(477_000, 5_550_000, 478_000, 5_551_000)
    err = refused(collection(feature("a", "Altstadt", polygon(utm))), "wrong_crs")
    assert err.item == 0
    names_in_both(err, "features[0]", "Altstadt", "EPSG:4326")


def test_overlapping_zones_are_refused_naming_both():
    data = collection(
        box_feature("a", "Altstadt", 0, 0, 2, 2), box_feature("b", "Bahnhof", 1, 1, 3, 3)
    )
    err = refused(data, "zones_overlap")
    assert err.item == ("a", "b")
    names_in_both(err, "Altstadt", "Bahnhof")


def test_zone_inside_another_zone_of_same_kind_overlaps():
    data = collection(
        box_feature("a", "Altstadt", 0, 0, 4, 4), box_feature("b", "Bahnhof", 1, 1, 2, 2)
    )
    refused(data, "zones_overlap")


def test_overlap_found_among_many_zones():
    features = [box_feature(f"z{i}", f"Zone {i}", i, 0, i + 1, 1) for i in range(150)]
    features.append(box_feature("late", "Spät", 99.5, 0.5, 100.5, 0.9))
    err = refused(collection(*features), "zones_overlap")
    names_in_both(err, "Spät")


def test_shared_edges_and_corners_are_fine():
    data = collection(
        box_feature("a", "A", 0, 0, 1, 1),
        box_feature("b", "B", 1, 0, 2, 1),
        box_feature("c", "C", 1, 1, 2, 2),  # touches a only at a corner
    )
    assert len(parse_feature_collection(data, kind="district")) == 3


def test_floating_point_sliver_is_tolerated():
    eps = 1e-13
    data = collection(box_feature("a", "A", 0, 0, 1 + eps, 1), box_feature("b", "B", 1, 0, 2, 1))
    assert len(parse_feature_collection(data, kind="district")) == 2


def test_all_or_nothing_even_when_only_the_last_feature_is_bad():
    features = [box_feature(f"z{i}", f"Zone {i}", i, 0, i + 1, 1) for i in range(10)]
    features.append(feature("x", "Kaputt", {"type": "LineString", "coordinates": [[0, 0]]}))
    err = refused(collection(*features), "not_a_polygon")
    assert err.item == 10


def test_error_str_is_english_and_survives_pickling():
    err = refused(collection(), "empty_collection")
    assert str(err) == err.message["en"]
    assert isinstance(err, ValueError)
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.code, copy.message, copy.item) == (err.code, err.message, err.item)


def test_router_refuses_same_key_in_two_kinds():
    square = shapely.box(0, 0, 1, 1)
    zones = [
        ZoneShape("mitte", "Mitte", "district", square),
        ZoneShape("mitte", "Mitte", "park", square),
    ]
    with pytest.raises(ZoningError) as info:
        Router(zones, RuleSet((), "x"), {})
    assert info.value.code == "duplicate_zone_key"
    assert "mitte" in info.value.message["de"] and "mitte" in info.value.message["en"]


def test_router_refuses_overlap_across_separately_parsed_files():
    first = parse_feature_collection(collection(box_feature("a", "A", 0, 0, 2, 2)), kind="district")
    second = parse_feature_collection(
        collection(box_feature("b", "B", 1, 1, 3, 3)), kind="district"
    )
    with pytest.raises(ZoningError) as info:
        Router(first + second, RuleSet((), "x"), {})
    assert info.value.code == "zones_overlap"


def test_zones_of_different_kinds_may_overlap():
    districts = parse_feature_collection(
        collection(box_feature("a", "A", 0, 0, 2, 2)), kind="district"
    )
    parks = parse_feature_collection(collection(box_feature("p", "P", 1, 1, 3, 3)), kind="park")
    router = Router(districts + parks, RuleSet((), "x"), {"muell": "sauberkeit"})
    assert [z.key for z in router.zones_at(1.5, 1.5)] == ["a", "p"]
