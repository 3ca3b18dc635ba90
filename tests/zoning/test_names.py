"""Names for every code the staff app shows: rules named in German and English (or after their
conditions), and the staff names endpoint."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from maengelmelder.demo import demo_rules
from maengelmelder.extensions import db
from maengelmelder.zoning.models import RuleSetVersion
from maengelmelder.zoning.names import NameBook
from maengelmelder.zoning.rules import Rule, rule_set_to_dict
from tests.zoning.test_rules import one_rule, parse, refused


def test_a_rule_name_in_both_languages_round_trips():
    rs = parse(one_rule(department="tiefbau", name={"de": "Straßen", "en": "Roads"}))
    assert rs.rules[0].name == ("Straßen", "Roads")
    assert parse(rule_set_to_dict(rs)) == rs
    assert parse(one_rule(department="tiefbau", name="Stadtpark")).rules[0].name == (
        "Stadtpark",
        "Stadtpark",
    )


@pytest.mark.parametrize(
    "name",
    [{"de": "Straßen"}, {"de": "", "en": "Roads"}, {"de": "x", "en": "y", "fr": "z"}, 7, "x" * 201],
)
def test_a_bad_rule_name_is_refused_in_both_languages(name):
    err = refused(one_rule(department="tiefbau", name=name), "invalid_rule_name")
    assert "r7" in err.message["de"] and "r7" in err.message["en"]
    assert "Namen" in err.message["de"] and "name" in err.message["en"]


def test_a_rule_without_a_name_is_named_after_its_conditions_never_its_id():
    book = NameBook(
        categories={"schlagloch": {"de": "Schlagloch", "en": "Pothole"}},
        groups={"sauberkeit": {"de": "Sauberkeit", "en": "Cleanliness"}},
        zones={"hafen": "Hafen"},
    )
    assert book.rule(Rule("r1", "x", category="schlagloch", zone="hafen"), "de") == (
        "Schlagloch in Hafen"
    )
    assert book.rule(Rule("r2", "x", category_group="sauberkeit"), "en") == "Cleanliness"
    assert book.rule(Rule("r3", "x", zone_kind="district"), "de") == "Alle Kategorien in Stadtteil"
    assert book.rule(Rule("r4", "x", category_group="neu_gruppe"), "de") == "Neu gruppe"


def test_staff_names_name_every_code(app, staff):
    crew = staff.client("crew", "tiefbau")
    resp = crew.get("/api/v1/staff/names")
    assert resp.status_code == 200, resp.json
    body = resp.json
    departments = {d["code"]: d["name"] for d in body["departments"]}
    assert departments["hafen"] == {"de": "Hafenbetrieb", "en": "Harbour Operations"}
    zones = {z["key"]: z for z in body["zones"]}
    assert zones["sued"]["name"] == "Süd" and zones["sued"]["kind"] == "district"
    groups = {g["code"]: g["name"] for g in body["groups"]}
    assert groups["strasse"] == {"de": "Straße und Gehweg", "en": "Roads and pavements"}
    rules = {r["id"]: r["name"] for r in body["rules"]}
    assert rules["strasse"] == {"de": "Straßenschäden", "en": "Road damage"}
    assert {r["id"] for r in demo_rules()["rules"]} <= set(rules)
    kinds = {k["code"]: k["name"] for k in body["zone_kinds"]}
    assert kinds["district"] == {"de": "Stadtteil", "en": "District"}
    categories = {c["code"]: c for c in body["categories"]}
    assert categories["schlagloch"]["name"]["de"] == "Schlagloch"
    assert categories["schlagloch"]["group"] == "strasse"


def test_staff_names_need_a_login(client):
    assert client.get("/api/v1/staff/names").status_code == 401


def test_an_unnamed_rule_is_listed_and_explained_by_its_conditions(app, client, admin_headers):
    data = demo_rules()
    data["rules"].insert(0, {"id": "hafen-loch", "category": "schlagloch", "zone": "hafen"})
    data["rules"][0]["department"] = "tiefbau"
    resp = client.post("/api/v1/admin/rules", json=data, headers=admin_headers)
    assert resp.status_code in (200, 201), resp.json
    names = client.get("/api/v1/staff/names", headers=admin_headers).json
    assert {r["id"]: r["name"] for r in names["rules"]}["hafen-loch"] == {
        "de": "Schlagloch in Hafen",
        "en": "Pothole in Hafen",
    }
    explained = client.post(
        "/api/v1/routing/explain", json={"category": "schlagloch", "lat": 50.113, "lon": 8.765}
    ).json
    assert explained["rule_id"] == "hafen-loch"
    assert explained["text"]["de"] == (
        "Tiefbauamt: Regel „Schlagloch in Hafen“ — Kategorie Schlagloch in Zone Hafen"
    )
    assert explained["rule_name"]["en"] == "Pothole in Hafen"


def test_a_bad_rule_name_over_http_changes_nothing(app, client, admin_headers):
    data = demo_rules()
    data["rules"][0]["name"] = {"de": "Nur Deutsch"}
    resp = client.post("/api/v1/admin/rules", json=data, headers=admin_headers)
    assert resp.status_code == 422
    assert resp.json["error"]["code"] == "invalid_rule_name"
    assert resp.json["error"]["message"]["de"] and resp.json["error"]["message"]["en"]
    with app.app_context():
        assert db.session.scalar(select(func.max(RuleSetVersion.version))) == 1
