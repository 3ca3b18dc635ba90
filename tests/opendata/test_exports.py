"""Open data exports: everything public, nothing personal, streamed in chunks."""

from __future__ import annotations

import csv
import io
import json

from tests import images
from tests.reports.helpers import post_multipart, report_json
from tests.tickets.helpers import version_of


def _file(client, **fields):
    resp = client.post("/api/v1/reports", json=report_json(**fields))
    assert resp.status_code == 201
    return resp.json["report"]["public_id"]


def test_geojson_export_has_the_license_and_only_public_data(client, staff):
    secret = "Herr Müller aus Nr. 5 war es"
    hidden = _file(client, email="anna@example.org", description=secret, address="Hauptstr. 5")
    lamp = _file(client, category="strassenlaterne", description="Laterne flackert")
    resp = client.get("/api/v1/export/reports.geojson")
    assert resp.status_code == 200 and resp.is_streamed
    assert resp.mimetype == "application/geo+json"
    body = resp.get_data(as_text=True)
    data = json.loads(body)
    assert data["license"]["name"].startswith("Datenlizenz Deutschland")
    by_id = {f["id"]: f for f in data["features"]}
    assert by_id[lamp]["properties"]["description"] == "Laterne flackert"  # auto-published
    assert by_id[hidden]["properties"]["description"] is None  # awaiting moderation
    assert by_id[hidden]["properties"]["address"] is None
    assert by_id[hidden]["geometry"]["coordinates"] == [8.7655, 50.1005]  # lon, lat
    for leak in ("anna@example.org", secret, "tracking", "Hauptstr"):
        assert leak not in body


def test_published_text_and_photo_appear_after_moderation(client, staff):
    created = post_multipart(client, report_json(), [images.phone_jpeg(width=640, height=480)])
    public_id = created.json["report"]["public_id"]
    crew = staff.client("crew", "tiefbau")
    resp = crew.post(
        f"/api/v1/tickets/{public_id}/publication",
        json={"action": "publish", "public_description": "Loch in der Fahrbahn"},
        headers={"If-Match": version_of(crew, public_id)},
    )
    assert resp.status_code == 200
    rows = list(
        csv.DictReader(io.StringIO(client.get("/api/v1/export/reports.csv").get_data(as_text=True)))
    )
    assert rows[0]["description"] == "Loch in der Fahrbahn"
    assert rows[0]["photo_url"].startswith("http://") and rows[0]["photo_url"].endswith("-web.jpg")
    assert client.get(rows[0]["photo_url"]).status_code == 200


def test_csv_export_streams_in_chunks_with_filters(client, clock, monkeypatch):
    from maengelmelder.opendata import routes

    monkeypatch.setattr(routes, "CHUNK", 50)  # 500 in production; small here to keep it quick
    for i in range(110):
        _file(client, category="graffiti" if i % 2 else "schlagloch")
        if i == 54:
            clock.advance(days=40)
    resp = client.get("/api/v1/export/reports.csv")
    assert resp.headers["Link"].endswith(
        'rel="license"; title="Datenlizenz Deutschland - Namensnennung - 2.0"'
    )
    chunks = list(resp.response)
    assert len(chunks) >= 3  # written as it is read, not built whole in memory
    rows = list(csv.DictReader(io.StringIO(b"".join(chunks).decode())))
    assert len(rows) == 110
    assert list(rows[0]) == [
        "public_id",
        "category",
        "category_name_de",
        "category_name_en",
        "status",
        "department",
        "department_name_de",
        "created_at",
        "updated_at",
        "resolved_at",
        "deadline",
        "within_promise",
        "lat",
        "lon",
        "description",
        "address",
        "photo_url",
    ]
    graffiti = client.get("/api/v1/export/reports.csv?category=graffiti&from=2026-04-01T00:00:00Z")
    assert len(list(csv.DictReader(io.StringIO(graffiti.get_data(as_text=True))))) == 28
    assert client.get("/api/v1/export/reports.csv?status=new").status_code == 200
    for bad in ("status=offen", "from=gestern", "to=2026-01-01", "colour=red"):
        assert client.get("/api/v1/export/reports.csv?" + bad).status_code == 400
