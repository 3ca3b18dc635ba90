"""Photo files are served only while the photo is public, or to its department's staff, or to
its reporter; to anyone else a photo taken offline is the 404 of an unknown name.

The attack (security round 2, finding 2): on an auto-publishing category the photo URLs were
public (API, CSV export, Open311); after hiding, or after three abuse flags, the files still
answered 200 with public caching.
"""

from __future__ import annotations

import csv
import io
from urllib.parse import urlsplit

import pytest
from sqlalchemy import event

from maengelmelder.extensions import db
from tests import images
from tests.abuse.helpers import publication
from tests.passes import run_privacy_passes
from tests.reports.helpers import post_multipart, report_json

UNKNOWN = "/media/" + "0" * 32 + "-web.jpg"
PUBLIC = "public, max-age=86400, immutable"


def _file(client, category: str = "strassenlaterne", **fields) -> dict:
    """A report with one photo, after its privacy pass ran; returns the 201 body with the
    report as its reporter sees it then."""
    body = report_json(category=category, **fields)
    resp = post_multipart(client, body, [images.phone_jpeg(640, 480)])
    assert resp.status_code == 201, resp.json
    run_privacy_passes(client.application)
    tracked = client.get(f"/api/v1/track/{resp.json['tracking_token']}").json
    return {**resp.json, "report": tracked}


def _path(url: str) -> str:
    return urlsplit(url).path


def _urls(photo: dict) -> list[str]:
    return [photo["url"], photo["thumbnail_url"]]


def _assert_public(client, url: str) -> bytes:
    resp = client.get(url)
    assert resp.status_code == 200, url
    assert resp.mimetype == "image/jpeg"
    assert resp.headers["Cache-Control"] == PUBLIC
    return resp.data


def _assert_gone(client, url: str, **kwargs) -> None:
    """Exactly the answer an unknown name gets: status, headers that matter, body."""
    resp, unknown = client.get(url, **kwargs), client.get(UNKNOWN)
    assert resp.status_code == unknown.status_code == 404, url
    assert resp.get_data() == unknown.get_data()
    assert resp.mimetype == unknown.mimetype
    assert "public" not in resp.headers.get("Cache-Control", "")


def _assert_private(client, url: str, **kwargs) -> None:
    resp = client.get(url, **kwargs)
    assert resp.status_code == 200, url
    assert resp.mimetype == "image/jpeg"
    cache = resp.headers["Cache-Control"]
    assert "no-store" in cache and "public" not in cache and "max-age" not in cache


@pytest.fixture
def lamp_crew(staff):
    return staff.client("crew", "beleuchtung")


def test_hiding_takes_the_files_offline_on_the_very_next_request(client, lamp_crew):
    created = _file(client)
    public_id = created["report"]["public_id"]
    [photo] = client.get(f"/api/v1/reports/{public_id}").json["photos"]
    # Where the URLs were given out: the API, the CSV export, Open311.
    rows = csv.DictReader(io.StringIO(client.get("/api/v1/export/reports.csv").text))
    exported = next(r["photo_url"] for r in rows if r["public_id"] == public_id)
    open311 = client.get(f"/open311/v2/requests/{public_id}.json").json[0]["media_url"]
    assert _path(exported) == _path(open311) == photo["url"]
    for url in _urls(photo):
        _assert_public(client, url)

    assert publication(lamp_crew, public_id, action="hide").status_code == 200

    for url in _urls(photo):
        _assert_gone(client, url)


def test_three_abuse_flags_take_the_files_offline(client, lamp_crew):
    public_id = _file(client)["report"]["public_id"]
    [photo] = client.get(f"/api/v1/reports/{public_id}").json["photos"]
    for device in ("phone-1", "phone-2", "phone-3"):
        resp = client.post(
            f"/api/v1/reports/{public_id}/abuse",
            json={"reason": "offensive"},
            headers={"X-Device-Id": device},
        )
        assert resp.status_code == 202
    for url in _urls(photo):
        _assert_gone(client, url)
    # Staff find the flags unfounded: public again, on the next request.
    resp = lamp_crew.post(
        f"/api/v1/tickets/{public_id}/abuse/dismiss",
        headers={"If-Match": lamp_crew.get(f"/api/v1/tickets/{public_id}").headers["ETag"]},
    )
    assert resp.status_code == 200, resp.json
    for url in _urls(photo):
        _assert_public(client, url)


def test_the_reporter_and_the_department_still_load_hidden_photos(client, staff, lamp_crew):
    created = _file(client)
    public_id, token = created["report"]["public_id"], created["tracking_token"]
    assert publication(lamp_crew, public_id, action="hide").status_code == 200

    [mine] = client.get(f"/api/v1/track/{token}").json["photos"]
    for url in _urls(mine):
        assert "?k=" in url
        _assert_private(client, url)
    plain = [url.split("?")[0] for url in _urls(mine)]
    for url in plain:
        _assert_gone(client, url)
    # The key opens that one file only, and only unaltered.
    web_key = mine["url"].split("?k=")[1]
    _assert_gone(client, f"{plain[1]}?k={web_key}")
    _assert_gone(client, f"{plain[0]}?k={web_key[:-2]}AA")
    _assert_gone(client, f"{plain[0]}?k=")

    [seen_by_staff] = lamp_crew.get(f"/api/v1/tickets/{public_id}").json["photos"]
    for url in _urls(seen_by_staff):
        _assert_private(lamp_crew, url)
    token_headers = {"Authorization": "Bearer " + staff.token("crew", "beleuchtung")}
    _assert_private(client, seen_by_staff["url"], headers=token_headers)
    city_supervisor = staff.client("supervisor", citywide=True)
    _assert_private(city_supervisor, seen_by_staff["url"])

    other_crew = staff.client("crew", "tiefbau")
    other_token = {"Authorization": "Bearer " + staff.token("crew", "tiefbau")}
    for url in _urls(seen_by_staff):
        _assert_gone(other_crew, url)
        _assert_gone(client, url, headers=other_token)


def test_unpublished_and_unchosen_photos_are_served_only_once_published(client, staff):
    crew = staff.client("crew", "tiefbau")
    body = report_json(category="schlagloch")  # moderated before publishing
    blobs = [images.phone_jpeg(640, 480), images.png_bytes(64, 48)]
    created = post_multipart(client, body, blobs).json
    public_id = created["report"]["public_id"]
    run_privacy_passes(client.application)
    first, second = crew.get(f"/api/v1/tickets/{public_id}").json["photos"]
    for url in _urls(first) + _urls(second):
        _assert_gone(client, url)

    assert publication(crew, public_id, action="publish", photo_ids=[second["id"]]).status_code
    for url in _urls(first):
        _assert_gone(client, url)
    for url in _urls(second):
        _assert_public(client, url)

    # The reporter's view: the public URL of the chosen photo, a keyed one of the other.
    tracked = client.get(f"/api/v1/track/{created['tracking_token']}").json["photos"]
    assert [("?k=" in p["url"]) for p in tracked] == [True, False]
    assert tracked[1]["url"] == second["url"]
    _assert_private(client, tracked[0]["url"])


def test_a_held_report_serves_no_photo_even_in_an_auto_publishing_category(client, admin_headers):
    resp = client.post(
        "/api/v1/admin/blocklist", json={"pattern": "@spam.example"}, headers=admin_headers
    )
    assert resp.status_code == 201
    created = _file(client, email="x@spam.example")
    [photo] = client.get(f"/api/v1/track/{created['tracking_token']}").json["photos"]
    assert "?k=" in photo["url"]
    _assert_gone(client, photo["url"].split("?")[0])
    _assert_private(client, photo["url"])


def test_after_photos_stay_public_while_the_citizens_are_hidden(client, staff):
    crew = staff.client("crew", "tiefbau")
    created = post_multipart(client, report_json(), [images.phone_jpeg(640, 480)]).json
    public_id = created["report"]["public_id"]
    resp = crew.post(
        f"/api/v1/tickets/{public_id}/photos",
        data={"photos": [(io.BytesIO(images.phone_jpeg(800, 600)), "nachher.jpg")]},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 201, resp.json
    run_privacy_passes(client.application)
    citizen, after = crew.get(f"/api/v1/tickets/{public_id}").json["photos"]
    for url in _urls(citizen):
        _assert_gone(client, url)
    for url in _urls(after):
        _assert_public(client, url)


def test_a_public_photo_costs_one_statement(app, client):
    [photo] = _file(client)["report"]["photos"]
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        _assert_public(client, photo["thumbnail_url"])
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1, statements
    assert "storage_key" in statements[0]
