"""The rules admin API as the staff app's rules form uses it: a refused rule set names the row
and field of the bad rule, and a YAML file is read into a checked rule set without storing it."""

from __future__ import annotations

import io

import yaml
from sqlalchemy import func, select

from maengelmelder.extensions import db
from maengelmelder.zoning.models import RuleSetVersion


def _rules(client, admin_headers) -> dict:
    return client.get("/api/v1/admin/rules", headers=admin_headers).json["rules"]


def _version(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.max(RuleSetVersion.version)))


def test_a_bad_rule_is_named_by_row_and_field(app, client, admin_headers):
    rules = _rules(client, admin_headers)
    rules["rules"][2]["department"] = "nasa"
    rules["rules"][4]["sla_hours"] = -1
    for path in ("/api/v1/admin/rules/dry-run", "/api/v1/admin/rules"):
        resp = client.post(path, json=rules, headers=admin_headers)
        assert resp.status_code == 422, resp.json
        fields = resp.json["error"]["fields"]
        # The first bad rule is named, at its position, under the field that is wrong.
        assert list(fields) == ["rules.2.department"]
        assert "nasa" in fields["rules.2.department"][0]["de"]
        assert "nasa" in fields["rules.2.department"][0]["en"]
    assert _version(app) == 1


def test_a_duplicate_id_is_the_second_row(app, client, admin_headers):
    rules = _rules(client, admin_headers)
    rules["rules"][3]["id"] = rules["rules"][1]["id"]
    resp = client.post("/api/v1/admin/rules/dry-run", json=rules, headers=admin_headers)
    assert resp.status_code == 422
    assert list(resp.json["error"]["fields"]) == ["rules.3.id"]


def test_a_bad_fallback_is_its_own_field(app, client, admin_headers):
    rules = {**_rules(client, admin_headers), "fallback_department": "nasa"}
    resp = client.post("/api/v1/admin/rules", json=rules, headers=admin_headers)
    assert resp.status_code == 422
    assert list(resp.json["error"]["fields"]) == ["fallback_department"]
    assert _version(app) == 1


def _upload(client, admin_headers, data: bytes):
    return client.post(
        "/api/v1/admin/rules/from-yaml",
        data={"file": (io.BytesIO(data), "rules.yaml")},
        headers=admin_headers,
        content_type="multipart/form-data",
    )


def test_a_yaml_file_is_read_checked_and_not_stored(app, client, admin_headers):
    rules = _rules(client, admin_headers)
    rules["rules"].reverse()
    text = yaml.safe_dump(rules, sort_keys=False, allow_unicode=True).encode()
    resp = _upload(client, admin_headers, text)
    assert resp.status_code == 200, resp.json
    assert [r["id"] for r in resp.json["rules"]] == [r["id"] for r in rules["rules"]]
    assert resp.json["fallback_department"] == rules["fallback_department"]
    assert _version(app) == 1


def test_a_bad_yaml_file_is_refused_in_both_languages(app, client, admin_headers):
    resp = _upload(client, admin_headers, b"rules: [unclosed")
    assert resp.status_code == 422
    assert resp.json["error"]["code"] == "invalid_yaml"
    assert "YAML" in resp.json["error"]["message"]["de"]
    assert "YAML" in resp.json["error"]["message"]["en"]
    resp = _upload(client, admin_headers, b"- a list\n")
    assert resp.status_code == 422 and resp.json["error"]["code"] == "invalid_rule_set"
    bad = _rules(client, admin_headers)
    bad["rules"][1]["zone"] = "atlantis"
    resp = _upload(client, admin_headers, yaml.safe_dump(bad).encode())
    assert resp.status_code == 422
    assert list(resp.json["error"]["fields"]) == ["rules.1.zone"]
    resp = client.post(
        "/api/v1/admin/rules/from-yaml",
        data={},
        headers=admin_headers,
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422 and "file" in resp.json["error"]["fields"]


def test_reading_yaml_needs_an_admin(app, client, staff):
    crew = {"Authorization": "Bearer " + staff.token("crew", "tiefbau")}
    assert _upload(client, crew, b"rules: []").status_code == 403
    assert _upload(client, {}, b"rules: []").status_code == 401
