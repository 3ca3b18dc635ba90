"""'Is it one of these?': open reports nearby, and supporting one instead of a duplicate."""

from __future__ import annotations

from sqlalchemy import select

from maengelmelder.core.models import Follower
from maengelmelder.extensions import db
from tests.reports.helpers import report_json, support_and_follow

HERE = {"lat": 50.1005, "lon": 8.7655}


def _file(client, **fields) -> str:
    resp = client.post("/api/v1/reports", json=report_json(**fields))
    assert resp.status_code == 201, resp.json
    return resp.json["report"]["public_id"]


def test_nearby_lists_open_reports_of_the_category_within_the_radius(client):
    close = _file(client, lat=50.10070, lon=8.7655)  # about 22 m north
    _file(client, lat=50.1012, lon=8.7655)  # about 78 m: too far
    _file(client, category="graffiti", **HERE)  # another category
    resp = client.get("/api/v1/reports/nearby?lat=50.1005&lon=8.7655&category=schlagloch")
    assert resp.status_code == 200
    items = resp.json["items"]
    assert [i["public_id"] for i in items] == [close]
    assert 20 < items[0]["distance_m"] < 25
    wider = client.get("/api/v1/reports/nearby?lat=50.1005&lon=8.7655&radius=100").json
    assert len(wider["items"]) == 3
    for query in ("lat=91&lon=8", "lat=50", "lat=50&lon=8&radius=5000", "lat=x&lon=8"):
        assert client.get("/api/v1/reports/nearby?" + query).status_code == 400


def test_support_counts_and_lets_the_supporter_follow(app, client):
    public_id = _file(client, email="erste@example.org", **HERE)
    url = f"/api/v1/reports/{public_id}/support"
    assert client.post(url).json["supporters"] == 1  # anonymous
    again = client.post(url, json={"lang": "en"}, headers={"X-Device-Id": "phone-b"})
    assert again.status_code == 200 and again.json["supporters"] == 2
    # An address follows once its owner confirmed (tests/reports/test_support.py), once.
    support_and_follow(app, client, public_id, "Nachbar@Example.org", lang="en")
    client.post(url, json={"email": "nachbar@example.org"})  # follows only once
    client.post(url, json={"email": "erste@example.org"})  # the reporter already hears
    with app.app_context():
        followers = db.session.execute(select(Follower.email, Follower.source)).all()
    assert followers == [("nachbar@example.org", "support")]
    assert "nachbar" not in str(client.get(f"/api/v1/reports/{public_id}").json)
    assert client.post(url, json={"email": "kaputt"}).status_code == 422
    assert client.post(url, data="[1]", content_type="application/json").status_code == 400
    assert client.post("/api/v1/reports/2026-999999/support").status_code == 404
