"""Public reads: one report, the filtered list (JSON and GeoJSON), categories, the city."""

from __future__ import annotations

import io

import pytest

from tests import images
from tests.passes import run_privacy_passes
from tests.reports.helpers import post_multipart, report_json


@pytest.fixture
def filed(client, clock):
    """Five reports one hour apart: three potholes in the centre, two graffiti further east."""
    ids = []
    for i in range(5):
        if i < 3:
            body = report_json(lat=50.1000 + i * 0.001, lon=8.7650)
        else:
            body = report_json(category="graffiti", lat=50.1000, lon=8.8000 + (i - 3) * 0.001)
        ids.append(client.post("/api/v1/reports", json=body).json["report"]["public_id"])
        clock.advance(hours=1)
    return ids


def _ids(resp) -> list[str]:
    assert resp.status_code == 200, resp.json
    return [item["public_id"] for item in resp.json["items"]]


def test_list_is_newest_first(client, filed):
    assert _ids(client.get("/api/v1/reports")) == list(reversed(filed))


def test_cursor_walks_every_report_once(client, filed):
    seen, url = [], "/api/v1/reports?limit=2"
    while url:
        resp = client.get(url)
        seen += _ids(resp)
        cursor = resp.json["next_cursor"]
        url = f"/api/v1/reports?limit=2&cursor={cursor}" if cursor else None
    assert seen == list(reversed(filed))


def test_filters(client, filed, clock):
    assert _ids(client.get("/api/v1/reports?category=graffiti")) == [filed[4], filed[3]]
    assert _ids(client.get("/api/v1/reports?category=graffiti,schlagloch")) == list(reversed(filed))
    assert _ids(client.get("/api/v1/reports?bbox=8.76,50.0995,8.77,50.1015")) == [
        filed[1],
        filed[0],
    ]
    assert _ids(client.get("/api/v1/reports?status=new")) == list(reversed(filed))
    assert _ids(client.get("/api/v1/reports?status=resolved")) == []
    since = "2026-03-10T11:00:00Z"  # the third report was made at 11:00 UTC
    assert _ids(client.get(f"/api/v1/reports?since={since}")) == [filed[4], filed[3], filed[2]]
    assert _ids(client.get("/api/v1/reports?since=2026-03-10T12:00:00%2B01:00")) == [
        filed[4],
        filed[3],
        filed[2],
    ]


def test_geojson_is_lon_lat(client, filed):
    resp = client.get("/api/v1/reports?format=geojson&category=graffiti")
    assert resp.mimetype == "application/geo+json"
    collection = resp.json
    assert collection["type"] == "FeatureCollection"
    feature = collection["features"][-1]
    assert feature["geometry"] == {"type": "Point", "coordinates": [8.8, 50.1]}
    assert feature["properties"]["public_id"] == filed[3]
    assert client.get("/api/v1/reports", headers={"Accept": "application/geo+json"}).json[
        "type"
    ] == ("FeatureCollection")


def test_map_view_carries_only_what_a_marker_shows(client, filed):
    full = client.get("/api/v1/reports?format=geojson&bbox=8.76,50.0995,8.81,50.1025").json
    lean = client.get("/api/v1/reports?format=geojson&view=map&bbox=8.76,50.0995,8.81,50.1025")
    assert lean.mimetype == "application/geo+json"
    features = lean.json["features"]
    # The same reports in the same order and places as the full answer, with three properties.
    assert [f["id"] for f in features] == [f["id"] for f in full["features"]]
    assert [f["geometry"] for f in features] == [f["geometry"] for f in full["features"]]
    assert features[0]["properties"] == {
        "public_id": filed[4],
        "status": "new",
        "category": "graffiti",
    }
    assert "description" not in features[-1]["properties"]


def test_map_view_pages_and_filters_like_the_full_list(client, filed):
    seen, url = [], "/api/v1/reports?view=map&limit=2&category=schlagloch"
    while url:
        resp = client.get(url)
        seen += _ids(resp)
        assert set(resp.json["items"][0]) == {"public_id", "status", "category", "lat", "lon"}
        cursor = resp.json["next_cursor"]
        url = (
            f"/api/v1/reports?view=map&limit=2&category=schlagloch&cursor={cursor}"
            if cursor
            else None
        )
    assert seen == [filed[2], filed[1], filed[0]]


@pytest.mark.parametrize(
    "query",
    [
        "view=tiny",
        "bbox=1,2,3",
        "bbox=a,b,c,d",
        "bbox=9,50,8,51",
        "bbox=0,0,0,nan",
        "status=open-ish",
        "cursor=%%%",
        "cursor=bm90IGpzb24",
        "since=yesterday",
        "since=2026-03-10T11:00:00",
        "limit=0",
        "limit=100000",
        "format=xml",
    ],
)
def test_bad_filters_answer_400(client, query):
    resp = client.get("/api/v1/reports?" + query)
    assert resp.status_code == 400, resp.json
    assert resp.json["error"]["message"]["de"] != resp.json["error"]["message"]["en"]


def test_unknown_report_is_404(client):
    resp = client.get("/api/v1/reports/2026-999999")
    assert resp.status_code == 404
    assert resp.json["error"]["message"]["de"] == "Diese Meldung gibt es nicht."


def test_categories_in_german_and_english(client):
    cats = client.get("/api/v1/categories").json
    assert len(cats) >= 10
    pothole = next(c for c in cats if c["code"] == "schlagloch")
    assert pothole["name"] == {"de": "Schlagloch", "en": "Pothole"}
    assert pothole["sla_hours"] == 48
    assert pothole["department"]["code"] == "tiefbau"


def test_city(client):
    city = client.get("/api/v1/city").json
    assert city["name"] == "Musterstadt (Demo)"
    assert city["boundary"]["type"] == "Polygon"
    lon, lat = city["boundary"]["coordinates"][0][0]
    assert 8 < lon < 9 and 50 < lat < 51  # lon first
    assert city["bbox"][0] < city["centre"]["lon"] < city["bbox"][2]
    assert "openstreetmap" in city["tiles"]["attribution"].lower()


@pytest.mark.parametrize(
    "path",
    [
        "/media/../../etc/passwd",
        "/media/..%2F..%2Fetc%2Fpasswd",
        "/media/" + "a" * 32 + "-web.jpg",
        "/media/" + "A" * 32 + "-web.jpg",
        "/media/secret_key",
    ],
)
def test_media_refuses_anything_but_stored_photos(client, path):
    resp = client.get(path)
    assert resp.status_code == 404


def test_the_list_shows_each_report_as_its_own_page_does(client, staff, clock):
    """The list is built from plain rows; each item must equal the single report's answer."""
    crew = staff.client("supervisor", "tiefbau")

    def versioned(public_id: str, action: str, **kwargs):
        etag = crew.get(f"/api/v1/tickets/{public_id}").headers["ETag"]
        resp = crew.post(
            f"/api/v1/tickets/{public_id}/{action}", headers={"If-Match": etag}, **kwargs
        )
        assert resp.status_code in (200, 201), resp.json

    def file(category: str = "schlagloch", **fields) -> str:
        body = report_json(category=category, address="Hauptstraße 12", **fields)
        resp = post_multipart(client, body, [images.phone_jpeg(width=800, height=600)])
        assert resp.status_code == 201, resp.json
        clock.advance(minutes=5)
        return resp.json["report"]["public_id"]

    waiting = file()  # text, address and photo not public yet
    edited = file()
    versioned(edited, "publication", json={"action": "publish", "public_description": "neu"})
    lamp = file("strassenlaterne")  # published at once, photo too
    done = file()  # unpublished, but its staff photo after the repair is public
    for to in ("acknowledged", "in_progress"):
        versioned(done, "transition", json={"to": to})
    after = crew.post(
        f"/api/v1/tickets/{done}/photos",
        data={"photos": [(io.BytesIO(images.phone_jpeg(width=640, height=480)), "nach.jpg")]},
        content_type="multipart/form-data",
    )
    assert after.status_code in (200, 201), after.json
    versioned(done, "transition", json={"to": "resolved", "public_note": "erledigt"})
    run_privacy_passes(client.application)  # as the worker does after each photo's intake

    listed = client.get("/api/v1/reports").json["items"]
    assert [item["public_id"] for item in listed] == [done, lamp, edited, waiting]
    for item in listed:
        assert item == client.get(f"/api/v1/reports/{item['public_id']}").json
    by_id = {item["public_id"]: item for item in listed}
    assert by_id[waiting]["address"] is None and by_id[waiting]["photos"] == []
    assert by_id[edited]["description"] == "neu" and len(by_id[edited]["photos"]) == 1
    assert by_id[lamp]["address"] == "Hauptstraße 12" and len(by_id[lamp]["photos"]) == 1
    assert [p["kind"] for p in by_id[done]["photos"]] == ["after"]
    assert by_id[done]["resolved_at"] is not None
    features = client.get("/api/v1/reports?format=geojson").json["features"]
    assert [f["properties"]["photos"] for f in features] == [i["photos"] for i in listed]


def test_a_map_of_the_whole_city_reads_newest_first_and_pages_alike(app, client, backend):
    """SQLite walks the time index for a box holding most reports; the pages stay the same."""
    import sqlalchemy as sa

    from maengelmelder.extensions import db

    places = [(50.1005, 8.7655), (50.1130, 8.7650), (50.0950, 8.7500), (50.1050, 8.7800)]
    for lat, lon in places:
        assert client.post("/api/v1/reports", json=report_json(lat=lat, lon=lon)).status_code == 201
    city_box = "8.6,50.0,8.9,50.2"
    street_box = "8.7654,50.1004,8.7656,50.1006"

    def walk(box: str) -> tuple[list[str], list[str]]:
        seen, ids, cursor = [], [], None
        with app.app_context():
            engine = db.engine

        def record(conn, cursor_, statement, *args):
            seen.append(statement)

        sa.event.listen(engine, "before_cursor_execute", record)
        try:
            while True:
                query = {
                    "view": "map",
                    "bbox": box,
                    "limit": 1,
                    **({"cursor": cursor} if cursor else {}),
                }
                page = client.get("/api/v1/reports", query_string=query).json
                ids += [item["public_id"] for item in page["items"]]
                cursor = page["next_cursor"]
                if cursor is None:
                    return ids, seen
        finally:
            sa.event.remove(engine, "before_cursor_execute", record)

    everything = [r["public_id"] for r in client.get("/api/v1/reports").json["items"]]
    whole, statements = walk(city_box)
    assert whole == everything  # newest first, each once
    newest_first = any("reports.lat + " in s for s in statements)
    assert newest_first == (backend == "sqlite")
    street, statements = walk(street_box)
    assert len(street) == 1
    assert not any("reports.lat + " in s for s in statements)
