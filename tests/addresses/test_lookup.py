"""The address API: the address at a place, and type-ahead search, on both databases."""

from __future__ import annotations

import pytest

from maengelmelder.addresses.importer import import_addresses
from maengelmelder.extensions import db

from .helpers import hk_csv


@pytest.fixture
def houses(app):
    with app.app_context():
        import_addresses(db.session, hk_csv())
        db.session.commit()


def _reverse(client, lat, lon):
    resp = client.get(f"/api/v1/addresses/reverse?lat={lat}&lon={lon}")
    assert resp.status_code == 200, resp.json
    assert resp.headers["Cache-Control"].startswith("public, max-age=")
    return resp.json["address"]


def _search(client, q, **params):
    resp = client.get("/api/v1/addresses/search", query_string={"q": q, **params})
    assert resp.status_code == 200, resp.json
    assert resp.headers["Cache-Control"].startswith("public, max-age=")
    return [item["label"] for item in resp.json["items"]]


def test_reverse_finds_the_nearest_house_within_50_m(client, houses):
    # 7 m east of Kaiserstraße 12, 15 m from 12a.
    found = _reverse(client, 50.1005, 8.7656)
    assert found == {
        "label": "Kaiserstraße 12, 63065 Offenbach am Main",
        "street": "Kaiserstraße",
        "house_number": "12",
        "postcode": "63065",
        "place": "Offenbach am Main",
        "lat": pytest.approx(50.1005, abs=1e-6),
        "lon": pytest.approx(8.7655, abs=1e-6),
        "precision": "house",
        "distance_m": 7.1,
    }
    assert _reverse(client, 50.10062, 8.76568)["label"].startswith("Kaiserstraße 12a, ")


def test_reverse_names_only_the_street_between_50_and_250_m(client, houses):
    # About 110 m north of Kaiserstraße 120, the nearest house.
    found = _reverse(client, 50.1021, 8.7665)
    assert found["precision"] == "street"
    assert found["label"] == "Kaiserstraße, 63065 Offenbach am Main"
    assert found["house_number"] is None
    assert 100 < found["distance_m"] < 120


def test_reverse_is_null_beyond_250_m_and_without_data(client, houses):
    assert _reverse(client, 50.1005, 8.80) is None  # 2.4 km away


def test_reverse_without_any_address_data_is_null(client):
    assert _reverse(client, 50.1005, 8.7655) is None


@pytest.mark.parametrize(
    "query",
    ["kaiserstr 12", "Kaiserstraße 12", "KAISERSTRASSE 12", "Kaiser Str. 12", "kaiser-str 12"],
)
def test_search_folds_strasse_and_finds_house_number_prefixes_exact_first(client, houses, query):
    assert _search(client, query) == [
        "Kaiserstraße 12, 63065 Offenbach am Main",
        "Kaiserstraße 12a, 63065 Offenbach am Main",
        "Kaiserstraße 120, 63065 Offenbach am Main",
    ]


@pytest.mark.parametrize("query", ["muellerstrasse", "müllerstr", "Müllerstraße", "MUELLERSTR."])
def test_search_folds_umlauts_and_sharp_s(client, houses, query):
    assert _search(client, query) == [
        "Müllerstraße 3, 63065 Offenbach am Main",
        "Müllerstraße 12, 63065 Offenbach am Main",
    ]


def test_search_by_street_prefix_orders_streets_then_numbers(client, houses):
    assert _search(client, "kaiser") == [
        "Kaiserallee 12, 63065 Offenbach am Main",
        "Kaiserstraße 12, 63065 Offenbach am Main",
        "Kaiserstraße 12a, 63065 Offenbach am Main",
        "Kaiserstraße 13, 63065 Offenbach am Main",
        "Kaiserstraße 120, 63065 Offenbach am Main",
    ]
    assert _search(client, "kaiser", limit=2) == [
        "Kaiserallee 12, 63065 Offenbach am Main",
        "Kaiserstraße 12, 63065 Offenbach am Main",
    ]
    assert _search(client, "kaiserstr 12a") == ["Kaiserstraße 12a, 63065 Offenbach am Main"]
    assert _search(client, "kaiserstr 9") == []


@pytest.mark.parametrize("query", ["", "k", " k ", "--", "12"])
def test_search_under_two_characters_or_without_a_street_is_empty(client, houses, query):
    assert _search(client, query) == []


@pytest.mark.parametrize(
    ("url", "field", "de"),
    [
        ("/api/v1/addresses/search?q=" + "k" * 201, "q", "Länger als die Höchstlänge 200."),
        ("/api/v1/addresses/search?q=kaiser&limit=21", "limit", "Muss zwischen 1 und 20 liegen."),
        ("/api/v1/addresses/search?q=kaiser&limit=x", "limit", "Keine gültige ganze Zahl."),
        ("/api/v1/addresses/reverse?lat=91&lon=8.7", "lat", "Muss zwischen -90 und 90 liegen."),
        ("/api/v1/addresses/reverse?lat=50.1&lon=nan", "lon", None),
        ("/api/v1/addresses/reverse?lat=50.1", "lon", "Pflichtfeld fehlt."),
    ],
)
def test_bad_input_is_400_in_german_and_english(client, url, field, de):
    resp = client.get(url)
    assert resp.status_code == 400
    error = resp.json["error"]
    assert error["code"] == "validation_failed"
    assert error["message"]["de"] and error["message"]["en"]
    (message,) = error["fields"][field]
    assert message["de"] != message["en"]
    if de:
        assert message["de"] == de


def test_both_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in ("/api/v1/addresses/reverse", "/api/v1/addresses/search"):
        answer = paths[path]["get"]["responses"]["200"]
        assert "Cache-Control" in answer["headers"]
