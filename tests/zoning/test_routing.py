"""Routing with the database: intake follows the rules, explains itself, and rule changes move
open tickets with a record of every move."""

from __future__ import annotations

import json

import pytest
import yaml
from sqlalchemy import func, select

from maengelmelder.core.events import TicketEvent
from maengelmelder.core.models import Report
from maengelmelder.demo import demo_rules
from maengelmelder.extensions import db
from maengelmelder.zoning.models import RuleSetVersion, Zone

CENTRE = {"lat": 50.1005, "lon": 8.7655}  # Innenstadt
PARK = {"lat": 50.1000, "lon": 8.7900}  # Stadtpark, district Ost
HARBOUR = {"lat": 50.1130, "lon": 8.7650}  # Hafen, district Nord


@pytest.fixture
def admin_app(app):
    return app


def file_report(client, category: str, where: dict, **extra) -> dict:
    resp = client.post("/api/v1/reports", json={"category": category, **where, **extra})
    assert resp.status_code == 201, resp.json
    return resp.json["report"]


def stored(app, public_id: str) -> Report:
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.public_id == public_id))
        db.session.expunge(report)
        return report


@pytest.mark.parametrize(
    "category, where, department, rule",
    [
        ("schlagloch", CENTRE, "tiefbau", "strasse"),
        ("wilder_muell", CENTRE, "stadtreinigung", "sauberkeit"),
        ("wilder_muell", PARK, "gruen", "park-sauberkeit"),
        ("schlagloch", HARBOUR, "hafen", "hafen"),
        ("strassenlaterne", HARBOUR, "beleuchtung", "hafen-licht"),
        ("sonstiges", CENTRE, "ordnung", None),
    ],
)
def test_intake_routes_by_zone_and_category(app, client, category, where, department, rule):
    report = file_report(client, category, where)
    assert report["department"]["code"] == department
    saved = stored(app, report["public_id"])
    assert saved.routing["rule_id"] == rule
    assert saved.routing["fallback"] is (rule is None)
    assert saved.ruleset_version == 1
    assert saved.routing["text"]["de"].startswith(saved.department.name_de + ": ")


def test_the_explanation_names_rule_and_zone(app, client):
    saved = stored(app, file_report(client, "wilder_muell", PARK)["public_id"])
    assert saved.routing["text"] == {
        "de": "Grünflächenamt: Regel „Sauberkeit im Stadtpark“ — Kategoriegruppe Sauberkeit "
        "in Zone Stadtpark",
        "en": "Parks Department: rule “Cleanliness in the city park” — category group "
        "Cleanliness in zone Stadtpark",
    }
    assert saved.routing["rule_name"] == {
        "de": "Sauberkeit im Stadtpark",
        "en": "Cleanliness in the city park",
    }
    assert {z["key"] for z in saved.routing["zones"]} == {"ost", "stadtpark"}


def test_a_rule_sets_priority_and_shortens_the_deadline(app, client, clock):
    report = file_report(client, "papierkorb", CENTRE)
    saved = stored(app, report["public_id"])
    assert saved.priority == 1
    assert saved.deadline == clock.now.replace(microsecond=0) + __import__("datetime").timedelta(
        hours=24
    )


def test_explain_endpoint(client):
    resp = client.post("/api/v1/routing/explain", json={"category": "schlagloch", **HARBOUR})
    assert resp.status_code == 200
    body = resp.json
    assert body["department"] == "hafen"
    assert body["rule_id"] == "hafen"
    assert body["inside_city"] is True
    assert body["text"]["en"] == (
        "Harbour Operations: rule “Harbour area” — any category in zone Hafen"
    )
    outside = client.post(
        "/api/v1/routing/explain", json={"category": "schlagloch", "lat": 52.5, "lon": 13.4}
    )
    assert outside.json["inside_city"] is False
    assert outside.json["department"] == "tiefbau"


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"category": "ufo", **CENTRE}, 422, "unknown_category"),
        ({"category": "schlagloch", "lat": 50.1}, 422, "validation_failed"),
        ({"category": "schlagloch", "lat": 95, "lon": 8.7}, 422, "validation_failed"),
        ([1, 2], 400, "invalid_json"),
    ],
)
def test_explain_refuses_bad_input(client, body, status, code):
    resp = client.post("/api/v1/routing/explain", json=body)
    assert resp.status_code == status
    assert resp.json["error"]["code"] == code


def _harbour_to_ordnung() -> dict:
    rules = demo_rules()
    for rule in rules["rules"]:
        if rule["id"] == "hafen":
            rule["department"] = "ordnung"
    return rules


def _write(tmp_path, data: dict, name: str = "rules.yaml"):
    path = tmp_path / name
    path.write_text(
        json.dumps(data) if name.endswith(".json") else yaml.safe_dump(data), encoding="utf-8"
    )
    return path


def _events(app, kind: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(TicketEvent).where(TicketEvent.kind == kind)
        )


def test_dry_run_lists_moves_and_changes_nothing(app, client, tmp_path):
    moved = file_report(client, "schlagloch", HARBOUR)["public_id"]
    file_report(client, "schlagloch", CENTRE)
    result = app.test_cli_runner().invoke(
        args=["rules", "dry-run", str(_write(tmp_path, _harbour_to_ordnung()))]
    )
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith(moved)]
    assert len(lines) == 1
    assert lines[0].split()[2:5] == ["hafen", "ordnung", "hafen"]
    assert "1 open tickets would move" in result.output
    assert stored(app, moved).department.code == "hafen"
    assert _events(app, "forwarded") == 0
    with app.app_context():
        assert db.session.scalar(select(func.max(RuleSetVersion.version))) == 1


def test_apply_moves_open_tickets_and_records_each_move(app, client, tmp_path):
    moved = file_report(client, "schlagloch", HARBOUR)["public_id"]
    stays = file_report(client, "schlagloch", CENTRE)["public_id"]
    result = app.test_cli_runner().invoke(
        args=["rules", "apply", str(_write(tmp_path, _harbour_to_ordnung(), "r.json"))]
    )
    assert result.exit_code == 0, result.output
    assert "rule set version 2 in force" in result.output
    after = stored(app, moved)
    assert after.department.code == "ordnung"
    assert after.ruleset_version == 2
    assert stored(app, stays).ruleset_version == 1
    with app.app_context():
        event = db.session.scalar(select(TicketEvent).where(TicketEvent.kind == "forwarded"))
        assert event.data["from_department"] == "hafen"
        assert event.data["to_department"] == "ordnung"
        assert event.data["ruleset_version"] == 2
        assert event.actor == "cli"
    # New reports use the new version.
    assert file_report(client, "gehweg", HARBOUR)["department"]["code"] == "ordnung"


def test_import_stores_a_version_without_moving_tickets(app, client, tmp_path):
    kept = file_report(client, "schlagloch", HARBOUR)["public_id"]
    result = app.test_cli_runner().invoke(
        args=["rules", "import", str(_write(tmp_path, _harbour_to_ordnung()))]
    )
    assert result.exit_code == 0, result.output
    assert stored(app, kept).department.code == "hafen"
    fresh = file_report(client, "schlagloch", HARBOUR)["public_id"]
    assert stored(app, fresh).department.code == "ordnung"
    assert stored(app, fresh).ruleset_version == 2


BAD_RULES = {
    "unknown department": (
        {"fallback_department": "ordnung", "rules": [{"id": "x", "department": "nasa"}]},
        "unknown_department",
        "nasa",
    ),
    "unknown category": (
        {
            "fallback_department": "ordnung",
            "rules": [{"id": "x", "category": "ufo", "department": "ordnung"}],
        },
        "unknown_category",
        "ufo",
    ),
    "unknown zone": (
        {
            "fallback_department": "ordnung",
            "rules": [{"id": "x", "zone": "mond", "department": "ordnung"}],
        },
        "unknown_zone",
        "mond",
    ),
    "no fallback": ({"rules": []}, "no_fallback", "fallback"),
    "duplicate rule id": (
        {
            "fallback_department": "ordnung",
            "rules": [
                {"id": "a", "department": "ordnung"},
                {"id": "a", "department": "tiefbau"},
            ],
        },
        "duplicate_rule_id",
        "a",
    ),
}


@pytest.mark.parametrize("data, code, named", BAD_RULES.values(), ids=BAD_RULES.keys())
def test_bad_rule_sets_are_refused_whole(admin_app, client, data, code, named, admin_headers):
    moved = file_report(client, "schlagloch", HARBOUR)["public_id"]
    for path in ("/api/v1/admin/rules/dry-run", "/api/v1/admin/rules"):
        resp = client.post(path, json=data, headers=admin_headers)
        assert resp.status_code == 422, resp.json
        assert resp.json["error"]["code"] == code
        assert named in resp.json["error"]["message"]["de"]
        assert named in resp.json["error"]["message"]["en"]
    with admin_app.app_context():
        assert db.session.scalar(select(func.max(RuleSetVersion.version))) == 1
    assert stored(admin_app, moved).department.code == "hafen"


def test_bad_rule_file_on_the_cli(app, tmp_path):
    path = _write(tmp_path, BAD_RULES["unknown department"][0])
    result = app.test_cli_runner().invoke(args=["rules", "apply", str(path)])
    assert result.exit_code != 0
    assert "nasa" in result.output
    broken = tmp_path / "broken.yaml"
    broken.write_text("rules: [unclosed")
    result = app.test_cli_runner().invoke(args=["rules", "dry-run", str(broken)])
    assert result.exit_code != 0 and "broken.yaml" in result.output


def test_admin_api_rules_round_trip(admin_app, client, admin_headers):
    current = client.get("/api/v1/admin/rules", headers=admin_headers).json
    assert current["version"] == 1 and current["implicit"] is False
    dry = client.post(
        "/api/v1/admin/rules/dry-run", json=_harbour_to_ordnung(), headers=admin_headers
    )
    assert dry.status_code == 200 and dry.json["count"] == 0
    applied = client.post(
        "/api/v1/admin/rules",
        json={**_harbour_to_ordnung(), "note": "Hafen abgegeben"},
        headers=admin_headers,
    )
    assert applied.status_code == 201
    assert applied.json["version"] == 2 and applied.json["note"] == "Hafen abgegeben"
    versions = client.get("/api/v1/admin/rules/versions", headers=admin_headers).json
    assert [v["version"] for v in versions] == [2, 1]


def test_admin_api_needs_an_admin(app, client, staff, admin_headers):
    crew = {"Authorization": "Bearer " + staff.token("crew", "tiefbau")}
    supervisor = {"Authorization": "Bearer " + staff.token("supervisor", citywide=True)}
    cases = [({}, 401), ({"Authorization": "Bearer wrong"}, 401), (crew, 403), (supervisor, 403)]
    for headers, status in [*cases, (admin_headers, 200)]:
        for path in ("/api/v1/admin/rules", "/api/v1/admin/zones", "/api/v1/admin/rules/versions"):
            assert client.get(path, headers=headers).status_code == status
        if status != 200:
            resp = client.post("/api/v1/admin/rules", json=demo_rules(), headers=headers)
            assert resp.status_code == status


def _zone_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Zone))


def test_zone_import_is_idempotent_and_reports_changes(app, tmp_path):
    from maengelmelder.demo import zone_files

    districts = json.loads(zone_files()["district"].read_text())
    path = _write(tmp_path, districts, "d.json")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["zones", "import", str(path), "--kind", "district"])
    assert result.exit_code == 0, result.output
    assert "0 added, 0 changed, 0 removed, 5 unchanged" in result.output
    districts["features"][1]["properties"]["name"] = "Oststadt"
    del districts["features"][4]
    path = _write(tmp_path, districts, "d.json")
    result = runner.invoke(args=["zones", "import", str(path), "--kind", "district"])
    assert result.exit_code == 0, result.output
    assert "changed   ost" in result.output and "removed   sued" in result.output
    assert "0 added, 1 changed, 1 removed, 3 unchanged" in result.output
    assert _zone_count(app) == 6


def test_removing_a_zone_the_rules_name_is_refused(app, tmp_path):
    from maengelmelder.demo import zone_files

    areas = json.loads(zone_files()["area"].read_text())
    areas["features"] = [f for f in areas["features"] if f["id"] != "hafen"]
    path = _write(tmp_path, areas, "a.json")
    result = app.test_cli_runner().invoke(args=["zones", "import", str(path), "--kind", "area"])
    assert result.exit_code != 0
    assert "hafen" in result.output
    assert _zone_count(app) == 7


BAD_ZONES = {
    "empty collection": ({"type": "FeatureCollection", "features": []}, "district"),
    "not a polygon": (
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "id": "p",
                    "properties": {"name": "Punkt"},
                    "geometry": {"type": "Point", "coordinates": [8.76, 50.1]},
                }
            ],
        },
        "district",
    ),
    "key of another kind": (
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "id": "hafen",
                    "properties": {"name": "Hafen"},
                    "geometry": {
                        "type": "Polygon",
                        "coordinates": [[[8.0, 50.0], [8.1, 50.0], [8.1, 50.1], [8.0, 50.0]]],
                    },
                }
            ],
        },
        "district",
    ),
}


@pytest.mark.parametrize("data, kind", BAD_ZONES.values(), ids=BAD_ZONES.keys())
def test_bad_zone_files_import_nothing(admin_app, client, data, kind, admin_headers):
    resp = client.post(f"/api/v1/admin/zones/import?kind={kind}", json=data, headers=admin_headers)
    assert resp.status_code == 422, resp.json
    assert resp.json["error"]["message"]["de"] != resp.json["error"]["message"]["en"]
    assert _zone_count(admin_app) == 7
    listed = client.get("/api/v1/admin/zones?kind=district", headers=admin_headers).json
    assert len(listed["features"]) == 5


def test_zone_import_over_the_admin_api(admin_app, client, admin_headers):
    from maengelmelder.demo import zone_files

    areas = json.loads(zone_files()["area"].read_text())
    areas["features"][0]["properties"]["name"] = "Großer Stadtpark"
    resp = client.post("/api/v1/admin/zones/import?kind=area", json=areas, headers=admin_headers)
    assert resp.status_code == 200, resp.json
    assert resp.json["changed"] == ["stadtpark"]
    explained = client.post(
        "/api/v1/routing/explain", json={"category": "wilder_muell", **PARK}
    ).json
    assert "Großer Stadtpark" in explained["text"]["de"]
    bad = client.post("/api/v1/admin/zones/import?kind=Bad Kind", json=areas, headers=admin_headers)
    assert bad.status_code == 400


def test_admin_zone_outlines_simplified_for_the_map(admin_app, client, admin_headers):
    full = client.get("/api/v1/admin/zones", headers=admin_headers)
    small = client.get("/api/v1/admin/zones?simplify=0.0005", headers=admin_headers)
    assert small.status_code == 200, small.json
    assert [f["id"] for f in small.json["features"]] == [f["id"] for f in full.json["features"]]
    assert {f["properties"]["name"] for f in small.json["features"]} == {
        f["properties"]["name"] for f in full.json["features"]
    }
    assert len(small.data) <= len(full.data)
    for feature in small.json["features"]:
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
        assert feature["geometry"]["coordinates"]
    too_coarse = client.get("/api/v1/admin/zones?simplify=1", headers=admin_headers)
    assert too_coarse.status_code == 400
    assert too_coarse.json["error"]["message"]["de"]
