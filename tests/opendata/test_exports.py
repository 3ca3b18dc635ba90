"""Open data exports: everything public, nothing personal, streamed in chunks."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests import images
from tests.paging import follow_links, next_link
from tests.passes import run_privacy_passes
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
    run_privacy_passes(client.application)  # as the worker does after each photo's intake
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


def test_csv_pages_follow_the_link_header_through_every_report(client, clock):
    filed = [_file(client, category="graffiti" if i % 3 else "schlagloch") for i in range(7)]
    first = client.get("/api/v1/export/reports.csv?limit=3")
    first.get_data()  # read to its end, as a client would before asking for more
    links = first.headers["Link"]
    assert links.startswith("<http://maengel.test/api/v1/export/reports.csv?limit=3&cursor=")
    assert 'rel="next", <' in links and links.endswith(
        'title="Datenlizenz Deutschland - Namensnennung - 2.0"'
    )
    clock.advance(minutes=1)
    late = _file(client)  # filed while the download runs: on a later page
    pages = [first, *follow_links(client, next_link(first))]
    rows = [r for p in pages for r in csv.DictReader(io.StringIO(p.get_data(as_text=True)))]
    assert [r["public_id"] for r in rows] == [*filed, late]  # oldest first, each once
    assert [len(list(csv.DictReader(io.StringIO(p.get_data(as_text=True))))) for p in pages] == [
        3,
        3,
        2,
    ]
    graffiti = follow_links(client, "/api/v1/export/reports.csv?category=graffiti&limit=2")
    found = [r for p in graffiti for r in csv.DictReader(io.StringIO(p.get_data(as_text=True)))]
    assert [r["public_id"] for r in found] == [p for i, p in enumerate(filed) if i % 3]


def test_geojson_pages_name_the_next_page_in_header_and_body(client):
    filed = [_file(client) for _ in range(3)]
    pages = follow_links(client, "/api/v1/export/reports.geojson?limit=2")
    bodies = [json.loads(p.get_data()) for p in pages]
    assert [f["id"] for b in bodies for f in b["features"]] == filed
    assert bodies[0]["links"] == [
        {"href": next_link(pages[0]), "rel": "next", "type": "application/geo+json"}
    ]
    assert bodies[0]["next_cursor"] in bodies[0]["links"][0]["href"]
    assert (bodies[1]["links"], bodies[1]["next_cursor"]) == ([], None)
    assert bodies[1]["license"]["name"].startswith("Datenlizenz")
    # A page that ends exactly at the last report announces none after it.
    assert next_link(client.get("/api/v1/export/reports.geojson?limit=3")) is None
    empty = client.get("/api/v1/export/reports.geojson?status=closed")
    assert json.loads(empty.get_data())["features"] == []


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("limit=100001", "validation_failed"),
        ("limit=0", "validation_failed"),
        ("cursor=nicht-von-hier", "invalid_cursor"),
    ],
)
def test_export_pages_past_the_maximum_or_bad_cursors_are_400(client, query, code):
    for fmt in ("csv", "geojson"):
        resp = client.get(f"/api/v1/export/reports.{fmt}?{query}")
        assert resp.status_code == 400
        error = resp.json["error"]
        assert error["code"] == code
        texts = [error["message"], *(error.get("fields") or {}).get("limit", [])]
        assert all(t["de"] != t["en"] for t in texts)
