"""Admins keep the city's departments and categories."""

from __future__ import annotations

import pytest


def test_departments_and_categories_can_be_created_and_edited(client, admin_headers):
    dep = client.post(
        "/api/v1/admin/departments",
        json={"code": "bauhof", "name_de": "Bauhof", "name_en": "Municipal depot"},
        headers=admin_headers,
    )
    assert dep.status_code == 201
    cat = client.post(
        "/api/v1/admin/categories",
        json={
            "code": "glatteis",
            "name_de": "Glatteis",
            "name_en": "Black ice",
            "group": "strasse",
            "default_department": "bauhof",
            "sla_hours": 6,
        },
        headers=admin_headers,
    )
    assert cat.status_code == 201, cat.json
    public = {c["code"]: c for c in client.get("/api/v1/categories").json}
    assert public["glatteis"]["name"] == {"de": "Glatteis", "en": "Black ice"}
    patched = client.patch(
        "/api/v1/admin/categories/glatteis",
        json={"sla_hours": 4, "auto_publish": True, "name_en": "Ice on the road"},
        headers=admin_headers,
    )
    assert patched.status_code == 200
    assert patched.json["sla_hours"] == 4 and patched.json["auto_publish"] is True
    # New reports of the category use the new promise (no rule names it: fallback routing).
    hidden = client.patch(
        "/api/v1/admin/categories/glatteis", json={"active": False}, headers=admin_headers
    )
    assert hidden.status_code == 200
    assert "glatteis" not in {c["code"] for c in client.get("/api/v1/categories").json}


@pytest.mark.parametrize(
    "path, method, body, status",
    [
        (
            "/api/v1/admin/departments",
            "post",
            {"code": "tiefbau", "name_de": "x", "name_en": "x"},
            409,
        ),
        (
            "/api/v1/admin/departments",
            "post",
            {"code": "Böse Code", "name_de": "x", "name_en": "x"},
            422,
        ),
        (
            "/api/v1/admin/categories",
            "post",
            {
                "code": "x",
                "name_de": "x",
                "name_en": "x",
                "group": "g",
                "default_department": "mars",
            },
            422,
        ),
        ("/api/v1/admin/categories/graffiti", "patch", {"sla_hours": 0}, 422),
        ("/api/v1/admin/categories/graffiti", "patch", {"code": "spray"}, 422),
        ("/api/v1/admin/categories/ufo", "patch", {"sla_hours": 5}, 404),
    ],
)
def test_bad_catalogue_changes_are_refused(client, admin_headers, path, method, body, status):
    resp = getattr(client, method)(path, json=body, headers=admin_headers)
    assert resp.status_code == status, resp.json
    assert resp.json["error"]["message"]["de"] != resp.json["error"]["message"]["en"]


def test_trend_counts_created_and_resolved_per_day(client, staff, clock):
    crew = staff.client("crew", "tiefbau")
    board = staff.client("supervisor", citywide=True)
    first = client.post(
        "/api/v1/reports", json={"category": "schlagloch", "lat": 50.1005, "lon": 8.7655}
    ).json["report"]["public_id"]
    clock.advance(days=1)
    client.post("/api/v1/reports", json={"category": "schlagloch", "lat": 50.1005, "lon": 8.7655})
    etag = crew.get(f"/api/v1/tickets/{first}").headers["ETag"]
    crew.post(
        f"/api/v1/tickets/{first}/transition", json={"to": "resolved"}, headers={"If-Match": etag}
    )
    trend = board.get("/api/v1/sla/trend?days=3").json
    assert [(d["date"], d["created"], d["resolved"]) for d in trend["days"]] == [
        ("2026-03-09", 0, 0),
        ("2026-03-10", 1, 0),
        ("2026-03-11", 1, 1),
    ]
    assert trend["weeks"] == [{"week": "2026-W11", "resolved": 1, "within_promise_pct": 100.0}]
    assert board.get("/api/v1/sla/trend?days=0").status_code == 400
    assert board.get("/api/v1/sla/trend?days=abc").status_code == 400
