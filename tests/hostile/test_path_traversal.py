"""Photo URLs: no way out of the media directory, and no way to an unpublished photo.

``/media/<name>`` serves only names of the form ``<32 hex>-web.jpg`` / ``-thumb.jpg`` that
exist. Traversal in every spelling is a 404 that never carries a byte of a file outside the
media directory. The names of photos the public may not see yet (unpublished reports, held
reports) appear in no public answer, and they are 128 random bits: not to be guessed.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from maengelmelder.core.models import Photo, Report
from maengelmelder.extensions import db
from tests import images
from tests.passes import run_privacy_passes
from tests.reports.helpers import post_multipart, report_json
from tests.tickets.helpers import version_of

SENTINEL = b"SENTINEL-outside-the-media-directory-93b1"


def _photo_keys(app, public_id: str, column=Photo.storage_key) -> list[str]:
    with app.app_context():
        keys = db.session.scalars(
            select(column).join(Report).where(Report.public_id == public_id)
        ).all()
        db.session.remove()
        return list(keys)


@pytest.fixture
def stored(app, client, media_dir, tmp_path):
    """A stored public photo, and files with known content just outside (and inside) media/."""
    body = report_json(category="strassenlaterne")  # published at once
    resp = post_multipart(client, body, [images.phone_jpeg(320, 240)])
    assert resp.status_code == 201, resp.json
    assert run_privacy_passes(app) == ["done"]  # public once the worker ran its pass
    [key] = _photo_keys(app, resp.json["report"]["public_id"])
    (tmp_path / "secret_key").write_bytes(SENTINEL)
    (tmp_path / f"{key}-web.jpg").write_bytes(SENTINEL)  # a lookalike one level up
    (media_dir / "secret.txt").write_bytes(SENTINEL)  # in media/, but not a media name
    (media_dir / key[:2] / "notes.txt").write_bytes(SENTINEL)
    return key


TRAVERSALS = [
    "../secret_key",
    "..%2fsecret_key",
    "..%2Fsecret_key",
    "%2e%2e/secret_key",
    "%2e%2e%2fsecret_key",
    "%252e%252e%252fsecret_key",  # encoded twice
    "%c0%ae%c0%ae/secret_key",  # overlong UTF-8 dots
    "..\\secret_key",
    "..%5csecret_key",
    "..%5c..%5csecret_key",
    "/etc/passwd",
    "%2fetc%2fpasswd",
    "//etc/passwd",
    "C:%5cWindows%5cwin.ini",
    "secret.txt",
    "{k2}/notes.txt",
    "{k2}%2fnotes.txt",
    "{k2}%2f{key}-web.jpg",  # the real file by its real path below media/
    "../{key}-web.jpg",
    "..%2f{key}-web.jpg",
    "{key}-web.jpg%00.png",
    "{key}-web.jpg%00",
    "%00{key}-web.jpg",
    "{key}-web.jpg/",
    "{key}-web.jpg/..",
    "{key}-web.jpg%2f..%2f..%2fsecret_key",
    "{KEY}-web.jpg",  # the names are lower-case hex
    "{key}-web.JPG",
    "{key}-original.jpg",
    "{key}-web.jpeg",
    " {key}-web.jpg",
    "{key}-web.jpg%20",
    "{key}-web.jpg%0a",
    "{key}.jpg",
    "{key}",
    "a" * 5000,
    "{key}" * 150 + "-web.jpg",
    "%ff%fe%fd",
    ".",
    "..",
    "~",
]


def test_traversal_in_every_spelling_is_404(client, stored):
    answered = {}
    for raw in TRAVERSALS:
        path = "/media/" + raw.format(key=stored, KEY=stored.upper(), k2=stored[:2])
        resp = client.get(path)
        answered[raw] = resp.status_code
        assert SENTINEL not in resp.data, path
        assert resp.mimetype in ("application/json", "text/html"), path
    assert {raw: status for raw, status in answered.items() if status != 404} == {}
    assert client.get(f"/media/{stored}-web.jpg").status_code == 200  # the real one still is


def test_a_valid_looking_unknown_name_is_the_same_404(client, stored):
    """No oracle: an unknown well-formed name answers exactly like a malformed one."""
    unknown = client.get("/media/" + "0" * 32 + "-web.jpg")
    malformed = client.get("/media/..%2fsecret_key")
    assert unknown.status_code == malformed.status_code == 404
    assert unknown.get_json() == malformed.get_json()


# --------------------------------------------------------------------------- unpublished


def _public_answers(client, public_id: str) -> dict[str, str]:
    """Every public answer that could mention the report or its photos."""
    paths = [
        "/api/v1/reports",
        "/api/v1/reports?format=geojson",
        f"/api/v1/reports/{public_id}",
        "/api/v1/reports/nearby?lat=50.1005&lon=8.7655",
        "/api/v1/export/reports.csv",
        "/api/v1/export/reports.geojson",
        "/open311/v2/requests.json?extensions=true",
        "/open311/v2/requests.xml?extensions=true",
        f"/open311/v2/requests/{public_id}.json?extensions=true",
        f"/reports/{public_id}",
        "/api/v1/sla/transparency",
    ]
    out = {}
    for path in paths:
        resp = client.get(path)
        assert resp.status_code in (200, 404), (path, resp.status_code)
        out[path] = resp.get_data(as_text=True)
    resp = client.post(f"/api/v1/reports/{public_id}/support", json={})
    out["support"] = resp.get_data(as_text=True)
    return out


def _leaks(answers: dict[str, str], keys: list[str]) -> list[str]:
    return [path for path, body in answers.items() for key in keys if key in body]


def test_photo_names_of_unpublished_reports_are_in_no_public_answer(app, client, staff):
    photos = [images.phone_jpeg(320, 240), images.png_bytes(64, 48)]
    created = post_multipart(client, report_json(description="Noch nicht geprüft"), photos)
    assert created.status_code == 201
    public_id = created.json["report"]["public_id"]
    # What keeps them out below is the publication, not a privacy pass still to run.
    assert run_privacy_passes(app) == ["done", "done"]
    keys = _photo_keys(app, public_id)
    assert len(keys) == 2 and all(re.fullmatch(r"[0-9a-f]{32}", k) for k in keys)
    # The unblurred originals (staff only) are named in no public answer at any point.
    originals = _photo_keys(app, public_id, Photo.original_key)
    assert len(originals) == 2 and not set(originals) & set(keys)
    # The reporter sees their own photos through the (secret) tracking link.
    tracked = client.get(f"/api/v1/track/{created.json['tracking_token']}").get_data(as_text=True)
    assert all(key in tracked for key in keys)

    assert _leaks(_public_answers(client, public_id), keys + originals) == []

    crew = staff.client("crew", "tiefbau")
    resp = crew.post(
        f"/api/v1/tickets/{public_id}/publication",
        json={"action": "publish"},
        headers={"If-Match": version_of(crew, public_id)},
    )
    assert resp.status_code == 200
    published = _public_answers(client, public_id)
    assert _leaks(published, keys)  # published: now they are public
    assert _leaks(published, originals) == []

    resp = crew.post(
        f"/api/v1/tickets/{public_id}/publication",
        json={"action": "hide", "reason": "Gesicht erkennbar"},
        headers={"If-Match": version_of(crew, public_id)},
    )
    assert resp.status_code == 200
    assert _leaks(_public_answers(client, public_id), keys + originals) == []


def test_photo_names_of_held_reports_are_in_no_public_answer(app, client, admin_headers):
    resp = client.post(
        "/api/v1/admin/blocklist", json={"pattern": "@spam.example"}, headers=admin_headers
    )
    assert resp.status_code == 201
    created = post_multipart(
        client,
        report_json(category="strassenlaterne", email="x@spam.example"),  # auto-published
        [images.phone_jpeg(320, 240)],
    )
    assert created.status_code == 201
    public_id = created.json["report"]["public_id"]
    assert run_privacy_passes(app) == ["done"]  # what keeps it out is the hold
    assert _leaks(_public_answers(client, public_id), _photo_keys(app, public_id)) == []


def test_photo_names_are_random_not_sequential(app, client):
    """128 random bits per name: no two alike, no shared prefix beyond chance."""
    created = post_multipart(client, report_json(), [images.png_bytes(32, 24)] * 5)
    keys = _photo_keys(app, created.json["report"]["public_id"])
    assert len(set(keys)) == 5
    assert all(re.fullmatch(r"[0-9a-f]{32}", k) for k in keys)
    assert len({k[:6] for k in keys}) == 5
