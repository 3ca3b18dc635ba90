"""Intake gives a report the city's address when the citizen typed none; crews, Open311 and the
exports carry it."""

from __future__ import annotations

import csv
import io

import pytest

from maengelmelder.addresses.importer import import_addresses
from maengelmelder.extensions import db
from tests.reports.helpers import report_json

from .helpers import hk_csv

KAISER_12 = "Kaiserstraße 12, 63065 Offenbach am Main"


@pytest.fixture
def houses(app):
    with app.app_context():
        import_addresses(db.session, hk_csv())
        db.session.commit()


def _file(client, **fields) -> str:
    resp = client.post("/api/v1/reports", json=report_json(**fields))
    assert resp.status_code == 201, resp.json
    return resp.json["report"]["public_id"]


def test_intake_fills_the_address_when_the_citizen_gave_none(client, staff, houses):
    public_id = _file(client)
    crew = staff.client("crew", "tiefbau")
    assert crew.get(f"/api/v1/tickets/{public_id}").json["address"] == KAISER_12
    (item,) = crew.get("/api/v1/tickets").json["items"]
    assert item["address"] == KAISER_12
    (row,) = csv.DictReader(io.StringIO(crew.get("/api/v1/tickets?format=csv").text))
    assert row["address"] == KAISER_12
    (feature,) = crew.get("/api/v1/tickets?format=geojson").json["features"]
    assert feature["properties"]["address"] == KAISER_12


def test_the_citizens_own_address_is_kept(client, staff, houses):
    public_id = _file(client, address="  Vor dem Kiosk am Markt ")
    crew = staff.client("crew", "tiefbau")
    assert crew.get(f"/api/v1/tickets/{public_id}").json["address"] == "Vor dem Kiosk am Markt"


def test_a_place_away_from_houses_gets_the_street_and_no_data_gets_none(client, staff, houses):
    street = _file(client, lat=50.1021, lon=8.7665)  # ~110 m from Kaiserstraße 120
    nothing = _file(client, lat=50.1005, lon=8.80)
    crew = staff.client("crew", "tiefbau")
    assert crew.get(f"/api/v1/tickets/{street}").json["address"] == (
        "Kaiserstraße, 63065 Offenbach am Main"
    )
    assert crew.get(f"/api/v1/tickets/{nothing}").json["address"] is None


def test_the_address_is_public_only_with_the_published_report(client, houses):
    held = _file(client)  # potholes wait for moderation
    lamp = _file(client, category="strassenlaterne")  # street lights are published at once
    assert client.get(f"/api/v1/reports/{held}").json["address"] is None
    assert client.get(f"/api/v1/reports/{lamp}").json["address"] == KAISER_12
    features = client.get("/api/v1/export/reports.geojson").json["features"]
    by_id = {f["id"]: f["properties"]["address"] for f in features}
    assert by_id == {held: None, lamp: KAISER_12}
    rows = csv.DictReader(io.StringIO(client.get("/api/v1/export/reports.csv").text))
    assert {row["public_id"]: row["address"] for row in rows} == {held: "", lamp: KAISER_12}


def test_open311_requests_get_and_show_the_address(client, staff, houses):
    token = staff.token("crew", "tiefbau")
    resp = client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": token,
            "service_code": "strassenlaterne",
            "lat": "50.1005",
            "long": "8.7655",
        },
    )
    assert resp.status_code == 201, resp.get_data(as_text=True)
    request_id = resp.get_json()[0]["service_request_id"]
    (shown,) = client.get(f"/open311/v2/requests/{request_id}.json").get_json()
    assert shown["address"] == KAISER_12
