"""Every bad intake answers a clear 4xx in German and English and stores nothing."""

from __future__ import annotations

import pytest

from tests import images
from tests.reports.helpers import counts, media_files, post_multipart, report_json

NOTHING = {"reports": 0, "photos": 0, "ticket_events": 0}
OUTSIDE = {"lat": 50.2, "lon": 8.9}  # in Hesse, not in the demo city


def _messages(error: dict) -> list[dict]:
    """Every de/en message in an error body, nested field errors included."""
    found = [error["message"]]
    stack = [error.get("fields", {})]
    while stack:
        item = stack.pop()
        if isinstance(item, dict) and set(item) == {"de", "en"}:
            found.append(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def assert_refused(app, media_dir, resp, status: int, code: str, field: str | None = None):
    assert resp.status_code == status, resp.get_data(as_text=True)
    error = resp.json["error"]
    assert error["code"] == code
    if field is not None:
        assert field in error["fields"], error
    for message in _messages(error):
        assert message["de"] and message["en"]
        assert message["de"] != message["en"], f"untranslated: {message}"
    assert counts(app) == NOTHING
    assert media_files(media_dir) == []


JSON_CASES = {
    "missing category": ({k: v for k, v in report_json().items() if k != "category"}, "category"),
    "unknown category": (report_json(category="ufo"), "category"),
    "lat not a number": (report_json(lat="abc"), "lat"),
    "lat a list": (report_json(lat=[1]), "lat"),
    "category a number": (report_json(category=7), "category"),
    "lat out of range": (report_json(lat=91), "lat"),
    "lon out of range": (report_json(lon=-181), "lon"),
    "NaN latitude": (report_json(lat="NaN"), "lat"),
    "lat without lon": ({"category": "schlagloch", "lat": 50.1}, "lon"),
    "no location at all": ({"category": "schlagloch"}, "location"),
    "too long description": (report_json(description="x" * 4001), "description"),
    "NUL in description": (report_json(description="a\x00b"), "description"),
    "bad email": (report_json(email="not-an-address"), "email"),
    "unknown field": (report_json(priority=1), "priority"),
    "too long address": (report_json(address="a" * 301), "address"),
}


@pytest.mark.parametrize("body, field", JSON_CASES.values(), ids=JSON_CASES.keys())
def test_invalid_json_fields(app, client, media_dir, body, field):
    resp = client.post("/api/v1/reports", json=body)
    assert_refused(app, media_dir, resp, 422, "validation_failed", field)


def test_outside_the_city(app, client, media_dir):
    resp = client.post("/api/v1/reports", json=report_json(**OUTSIDE))
    assert_refused(app, media_dir, resp, 422, "outside_city", "location")
    assert "Musterstadt" in resp.json["error"]["message"]["de"]


def test_photo_location_outside_the_city(app, client, media_dir):
    photo = images.phone_jpeg(width=640, height=480, gps=(13.4, 52.5))  # Berlin
    resp = post_multipart(client, {"category": "graffiti"}, [photo])
    assert_refused(app, media_dir, resp, 422, "outside_city", "location")


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"[1, 2]", b'"a string"', b"\xff\xfe"],
    ids=["malformed", "array", "string", "not utf-8"],
)
def test_malformed_json(app, client, media_dir, raw):
    resp = client.post("/api/v1/reports", data=raw, content_type="application/json")
    assert_refused(app, media_dir, resp, 400, "invalid_json")


def test_unsupported_content_type(app, client, media_dir):
    resp = client.post("/api/v1/reports", data="category=x", content_type="text/plain")
    assert_refused(app, media_dir, resp, 415, "unsupported_media_type")


PHOTO_CASES = {
    "text named .jpg": (images.text_as_jpg, "not_an_image"),
    "truncated jpeg": (images.truncated_jpeg, "truncated"),
    "decompression bomb": (images.decompression_bomb, "too_many_pixels"),
    "svg": (images.svg_bytes, "not_an_image"),
    "zero bytes": (images.zero_bytes, "empty"),
}


@pytest.mark.parametrize("make, photo_code", PHOTO_CASES.values(), ids=PHOTO_CASES.keys())
def test_bad_photos(app, client, media_dir, make, photo_code):
    good = images.phone_jpeg(width=640, height=480)
    resp = post_multipart(client, report_json(), [good, make()])
    assert resp.status_code in {413, 422}
    assert resp.json["error"]["photo_error"] == photo_code
    assert "1" in resp.json["error"]["fields"]["photos"]  # the second photo is named
    assert_refused(app, media_dir, resp, resp.status_code, "validation_failed", "photos")


def test_too_many_photos(app, client, media_dir):
    small = images.phone_jpeg(width=64, height=48)
    resp = post_multipart(client, report_json(), [small] * 6)
    assert_refused(app, media_dir, resp, 422, "validation_failed", "photos")


def test_a_file_in_another_field(app, client, media_dir):
    import io

    resp = client.post(
        "/api/v1/reports",
        data={**report_json(), "avatar": (io.BytesIO(b"x"), "a.jpg")},
        content_type="multipart/form-data",
    )
    assert_refused(app, media_dir, resp, 422, "validation_failed", "avatar")


def test_body_over_the_size_limit(app, client, media_dir):
    app.config["MAX_CONTENT_LENGTH"] = 200_000
    big = images.phone_jpeg(width=2000, height=1500, quality=95)
    assert len(big) > 200_000
    resp = post_multipart(client, report_json(), [big])
    assert_refused(app, media_dir, resp, 413, "body_too_large")


def test_photo_over_the_photo_size_limit(app, client, media_dir):
    app.config["MAX_PHOTO_BYTES"] = 50_000
    resp = post_multipart(client, report_json(), [images.phone_jpeg(width=1600, height=1200)])
    assert resp.json["error"]["photo_error"] == "too_large"
    assert_refused(app, media_dir, resp, 413, "validation_failed", "photos")


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there", "ümlaut"])
def test_invalid_idempotency_key(app, client, media_dir, key):
    resp = client.post("/api/v1/reports", json=report_json(), headers={"Idempotency-Key": key})
    assert_refused(app, media_dir, resp, 400, "idempotency_key_invalid")
