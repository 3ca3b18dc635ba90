"""The honeypot and the minimum fill time refuse simple bots before anything is stored."""

from __future__ import annotations

from tests import images
from tests.reports.helpers import counts, media_files, post_multipart, report_json

NOTHING = {"reports": 0, "photos": 0, "ticket_events": 0}
TOO_FAST_DE = "Das ging sehr schnell – bitte prüfen Sie Ihre Angaben und senden Sie erneut."
TOO_FAST_EN = "That was very quick – please check your report and send it again."


def _refused(app, media_dir, resp, code: str) -> dict:
    assert resp.status_code == 422, resp.json
    error = resp.json["error"]
    assert error["code"] == code
    assert error["message"]["de"] and error["message"]["en"]
    assert error["message"]["de"] != error["message"]["en"]
    assert counts(app) == NOTHING
    assert media_files(media_dir) == []
    return error


def test_a_filled_honeypot_is_refused_and_nothing_is_stored(app, client, media_dir):
    resp = client.post("/api/v1/reports", json=report_json(website="http://spam.example"))
    error = _refused(app, media_dir, resp, "spam_suspected")
    assert "Website" in error["message"]["de"]


def test_a_filled_honeypot_in_a_form_with_photos_stores_no_file(app, client, media_dir):
    photo = images.phone_jpeg(width=640, height=480)
    resp = post_multipart(client, report_json(website="cheap pills", fill_ms=9000), [photo])
    _refused(app, media_dir, resp, "spam_suspected")


def test_an_empty_honeypot_is_what_people_send(client):
    assert client.post("/api/v1/reports", json=report_json(website="")).status_code == 201
    assert client.post("/api/v1/reports", json=report_json(website=None)).status_code == 201
    # Browsers send the empty field in a form too.
    resp = post_multipart(client, report_json(website="", fill_ms=4000))
    assert resp.status_code == 201, resp.json


def test_a_form_sent_faster_than_the_minimum_is_refused(app, client, media_dir):
    resp = client.post("/api/v1/reports", json=report_json(fill_ms=2999))
    error = _refused(app, media_dir, resp, "too_fast")
    assert error["message"] == {"de": TOO_FAST_DE, "en": TOO_FAST_EN}


def test_the_speed_check_comes_before_the_photos_are_looked_at(app, client, media_dir):
    # A broken photo would be a photo error; a form that was too fast never gets that far.
    resp = post_multipart(client, report_json(fill_ms=500), [b"not an image at all"])
    _refused(app, media_dir, resp, "too_fast")


def test_enough_time_or_no_fill_time_is_accepted(client):
    assert client.post("/api/v1/reports", json=report_json(fill_ms=3000)).status_code == 201
    # API clients and Open311 do not measure; they are not checked.
    assert client.post("/api/v1/reports", json=report_json()).status_code == 201


def test_the_minimum_comes_from_the_settings_and_zero_switches_it_off(app, client):
    app.config["MIN_FILL_SECONDS"] = 10
    assert client.post("/api/v1/reports", json=report_json(fill_ms=9999)).status_code == 422
    assert client.post("/api/v1/reports", json=report_json(fill_ms=10000)).status_code == 201
    app.config["MIN_FILL_SECONDS"] = 0
    assert client.post("/api/v1/reports", json=report_json(fill_ms=0)).status_code == 201


def test_fill_time_must_be_a_non_negative_integer(app, client, media_dir):
    for bad in (-1, "soon", "1.5", True):
        resp = client.post("/api/v1/reports", json=report_json(fill_ms=bad))
        error = _refused(app, media_dir, resp, "validation_failed")
        assert "fill_ms" in error["fields"]


def test_a_retry_with_a_new_fill_time_is_the_same_report(client):
    headers = {"Idempotency-Key": "outbox-entry-1"}
    first = client.post("/api/v1/reports", json=report_json(fill_ms=5000), headers=headers)
    again = client.post(
        "/api/v1/reports", json=report_json(fill_ms=61000, website=""), headers=headers
    )
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json["report"]["public_id"] == first.json["report"]["public_id"]
    assert again.json["tracking_token"] == first.json["tracking_token"]
