"""Citizen intake: a report goes in whole, or not at all."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from maengelmelder.core.models import PublicIdCounter, Report
from maengelmelder.extensions import db
from tests import images
from tests.media import BOTH_MEDIA
from tests.reports.helpers import INSIDE, counts, media_files, post_multipart, report_json

NOTHING = {"reports": 0, "photos": 0, "ticket_events": 0}


def test_json_report_is_filed_routed_and_promised(client, clock):
    resp = client.post("/api/v1/reports", json=report_json(email="anna@example.org"))
    assert resp.status_code == 201, resp.json
    body = resp.json
    report = body["report"]
    assert re.fullmatch(r"2026-\d{6}", report["public_id"])
    assert report["public_id"] == "2026-000001"
    assert resp.headers["Location"] == f"/api/v1/reports/{report['public_id']}"
    assert report["department"]["code"] == "tiefbau"
    assert report["department"]["name"] == {
        "de": "Tiefbauamt",
        "en": "Civil Engineering Office",
    }
    assert report["status"] == "new"
    assert report["deadline"] == (clock.now + timedelta(hours=48)).isoformat().replace(
        "+00:00", "Z"
    )
    assert body["tracking_url"].startswith("http://maengel.test/track/")
    assert "email" not in str(report) and "anna@example.org" not in str(report)


def test_second_report_gets_the_next_public_id(client):
    first = client.post("/api/v1/reports", json=report_json()).json["report"]["public_id"]
    second = client.post("/api/v1/reports", json=report_json()).json["report"]["public_id"]
    assert (first, second) == ("2026-000001", "2026-000002")


def test_public_ids_restart_with_the_berlin_new_year(client, clock):
    clock.now = datetime(2026, 12, 31, 22, 30, tzinfo=UTC)  # 23:30 in Berlin
    assert client.post("/api/v1/reports", json=report_json()).json["report"]["public_id"] == (
        "2026-000001"
    )
    clock.now = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)  # 00:30 on 1 January in Berlin
    assert client.post("/api/v1/reports", json=report_json()).json["report"]["public_id"] == (
        "2027-000001"
    )


def test_public_ids_keep_counting_past_six_digits(app, client):
    with app.app_context():
        db.session.add(PublicIdCounter(year=2026, last=999_999))
        db.session.commit()
    report = client.post("/api/v1/reports", json=report_json()).json["report"]
    assert report["public_id"] == "2026-1000000"
    with app.app_context():
        stored = db.session.scalar(select(Report))
        # The id is written into the new row itself, which stays at its first version.
        assert (stored.public_id, stored.version) == ("2026-1000000", 1)


@BOTH_MEDIA
def test_phone_photo_is_stored_upright_small_and_without_metadata(app, client, media_dir):
    photo = images.phone_jpeg(orientation=6, gps=(8.7701, 50.1012), serial="SN-CAM-998877")
    resp = post_multipart(client, report_json(email="anna@example.org"), [photo])
    assert resp.status_code == 201, resp.json
    report = resp.json["report"]
    assert len(report["photos"]) == 1
    assert (report["photos"][0]["width"], report["photos"][0]["height"]) == (1200, 1600)

    stored = media_files(media_dir)
    assert len(stored) == 2
    for path in stored:
        raw = path.read_bytes()
        assert b"Exif" not in raw and b"SN-CAM-998877" not in raw and b"http://ns.adobe" not in raw
        with Image.open(io.BytesIO(raw)) as img:
            assert not img.getexif()
            assert "icc_profile" not in img.info
            assert max(img.size) <= 1600
    # The original is not kept: only the two derivatives exist, both far smaller.
    assert sum(p.stat().st_size for p in stored) < len(photo) / 4

    public = client.get(f"/api/v1/reports/{report['public_id']}").json
    assert "anna@example.org" not in str(public)
    assert not {"email", "reporter_email", "tracking_token", "idempotency_key"} & set(public)
    # Potholes are moderated: text and photo stay private until staff publish them.
    assert public["published"] is False
    assert public["description"] is None and public["photos"] == []
    photo_resp = client.get(report["photos"][0]["url"])
    assert photo_resp.status_code == 200
    assert photo_resp.mimetype == "image/jpeg"
    assert photo_resp.headers["X-Content-Type-Options"] == "nosniff"


def test_location_comes_from_the_photo_when_none_is_given(client):
    photo = images.phone_jpeg(width=800, height=600, orientation=1, gps=(8.7701, 50.1012))
    resp = post_multipart(client, {"category": "graffiti"}, [photo])
    assert resp.status_code == 201, resp.json
    report = resp.json["report"]
    assert report["location_source"] == "photo"
    assert report["lon"] == pytest.approx(8.7701, abs=1e-4)
    assert report["lat"] == pytest.approx(50.1012, abs=1e-4)


def test_given_location_wins_over_the_photo(client):
    photo = images.phone_jpeg(width=800, height=600, orientation=1, gps=(8.7701, 50.1012))
    resp = post_multipart(client, report_json(), [photo])
    assert resp.json["report"]["location_source"] == "client"
    assert resp.json["report"]["lat"] == INSIDE["lat"]


def test_retry_with_the_same_idempotency_key_returns_the_first_report(app, client):
    headers = {"Idempotency-Key": "3f1c0a56-7b1e-4a57-9d3a-2f0b6f6d1c11"}
    photo = images.phone_jpeg(width=800, height=600)
    first = post_multipart(client, report_json(), [photo], headers=headers)
    again = post_multipart(client, report_json(), [photo], headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json["report"]["public_id"] == first.json["report"]["public_id"]
    assert again.json["tracking_url"] == first.json["tracking_url"]
    assert counts(app) == {"reports": 1, "photos": 1, "ticket_events": 1}
    # The replayed tracking link works.
    token = again.json["tracking_token"]
    assert client.get(f"/api/v1/track/{token}").status_code == 200


def test_retry_without_photos_returns_the_first_report_and_uses_up_no_public_id(app, client):
    headers = {"Idempotency-Key": "json-retry-1"}
    first = client.post("/api/v1/reports", json=report_json(), headers=headers)
    again = client.post("/api/v1/reports", json=report_json(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json["report"]["public_id"] == first.json["report"]["public_id"]
    assert again.json["tracking_token"] == first.json["tracking_token"]
    assert counts(app) == {"reports": 1, "photos": 0, "ticket_events": 1}
    # The retry's attempt was rolled back whole: the next report gets the very next number.
    following = client.post("/api/v1/reports", json=report_json()).json["report"]["public_id"]
    year, number = first.json["report"]["public_id"].split("-")
    assert following == f"{year}-{int(number) + 1:06d}"


def test_same_key_with_a_different_report_is_refused(app, client, media_dir):
    headers = {"Idempotency-Key": "key-1"}
    assert client.post("/api/v1/reports", json=report_json(), headers=headers).status_code == 201
    resp = client.post("/api/v1/reports", json=report_json(description="anders"), headers=headers)
    assert resp.status_code == 422
    assert resp.json["error"]["code"] == "idempotency_mismatch"
    assert counts(app)["reports"] == 1


def test_html_is_stored_as_text_and_escaped_on_the_tracking_page(client):
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    resp = client.post("/api/v1/reports", json=report_json(description=evil))
    assert resp.status_code == 201
    assert resp.json["report"]["description"] == evil
    page = client.get("/track/" + resp.json["tracking_token"])
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


def test_tracking_link_shows_the_report_and_its_history(client):
    created = client.post("/api/v1/reports", json=report_json(email="a@example.org")).json
    tracked = client.get("/api/v1/track/" + created["tracking_token"])
    assert tracked.status_code == 200
    assert tracked.json["public_id"] == created["report"]["public_id"]
    assert [e["to_status"] for e in tracked.json["history"]] == ["new"]
    assert "a@example.org" not in tracked.get_data(as_text=True)
    page = client.get("/track/" + created["tracking_token"]).get_data(as_text=True)
    assert created["report"]["public_id"] in page and "Neu" in page and "Tiefbauamt" in page


def test_a_wrong_tracking_token_finds_nothing(client):
    client.post("/api/v1/reports", json=report_json())
    assert client.get("/api/v1/track/not-a-token").status_code == 404
    assert client.get("/track/not-a-token").status_code == 404


def test_reporter_email_is_stored_privately(app, client):
    client.post("/api/v1/reports", json=report_json(email="anna@example.org"))
    with app.app_context():
        report = db.session.scalar(select(Report))
        assert report.reporter_email == "anna@example.org"
        assert report.notify_reporter is True
        assert len(report.tracking_token_hash) == 64


@BOTH_MEDIA
def test_a_failed_commit_leaves_no_photo_files(app, client, media_dir, monkeypatch):
    from sqlalchemy.exc import OperationalError

    def broken_commit():
        raise OperationalError("COMMIT", {}, Exception("connection lost"))

    monkeypatch.setattr(db.session, "commit", broken_commit)
    resp = post_multipart(client, report_json(), [images.phone_jpeg(width=800, height=600)])
    # A lost connection is the database being away, not a bug: try again in a few seconds.
    assert resp.status_code == 503
    assert resp.json["error"]["code"] == "database_unavailable"
    assert resp.headers["Retry-After"]
    assert media_files(media_dir) == []
    monkeypatch.undo()
    assert counts(app) == NOTHING


def test_an_unwritable_media_dir_answers_507_and_stores_nothing(app, client, media_dir):
    media_dir.parent.mkdir(parents=True, exist_ok=True)
    media_dir.write_text("not a directory")
    resp = post_multipart(client, report_json(), [images.phone_jpeg(width=800, height=600)])
    assert resp.status_code == 507
    assert resp.json["error"]["code"] == "storage_failed"
    assert counts(app) == NOTHING
