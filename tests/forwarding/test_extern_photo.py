"""The secret link page's "Erledigt" with a photo: stored like a crew's after photo, named by
the resolution's event, public once its privacy pass ran; a bad photo writes nothing."""

from __future__ import annotations

import io

import pytest

from tests import images
from tests.passes import run_privacy_passes
from tests.reports.helpers import media_files

from .helpers import external_updates, report_row
from .test_extern_page import NONCE, _mailed_link, _updates


def _resolve(client, path: str, *photos: tuple[bytes, str], action: str = "resolved"):
    nonce = NONCE.search(client.get(path).get_data(as_text=True)).group(1)
    data = {"nonce": nonce, "action": action, "note": "Leuchte getauscht"}
    data["photo"] = [(io.BytesIO(blob), name) for blob, name in photos]
    return client.post(path, data=data, content_type="multipart/form-data")


def test_resolved_with_a_photo_shows_it_to_staff_and_once_clean_to_the_public(
    app, client, admin_headers
):
    public_id, path = _mailed_link(app, client, admin_headers, email="erika@example.org")
    page = client.get(path).get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'name="photo"' in page
    assert "Foto danach" in page and "Photo afterwards" in page

    done = _resolve(client, path, (images.phone_jpeg(width=1200, height=900), "nachher.jpg"))
    assert done.status_code == 200, done.get_data(as_text=True)
    assert report_row(app, public_id).status == "resolved"

    ticket = client.get(f"/api/v1/tickets/{public_id}", headers=admin_headers).json
    (after,) = [p for p in ticket["photos"] if p["kind"] == "after"]
    (event,) = external_updates(app, public_id)
    assert event["status"] == "resolved" and event["photos"] == [after["id"]]

    public = client.get(f"/api/v1/reports/{public_id}").json
    assert "after" not in [p["kind"] for p in public["photos"]]  # not before its privacy pass
    run_privacy_passes(app)
    ticket = client.get(f"/api/v1/tickets/{public_id}", headers=admin_headers).json
    (after,) = [p for p in ticket["photos"] if p["kind"] == "after"]
    public = client.get(f"/api/v1/reports/{public_id}").json
    assert ("after", after["url"]) in [(p["kind"], p["url"]) for p in public["photos"]]
    data = client.get(after["url"]).data
    assert b"Exif\x00\x00" not in data and images.SECRET_COMMENT not in data


@pytest.mark.parametrize(
    ("photos", "action", "says"),
    [
        ([(images.text_as_jpg(), "brief.jpg")], "resolved", "Foto 1"),
        ([(b"just some words\n", "notes.txt")], "resolved", "Foto 1"),
        ([(images.phone_jpeg(width=1200, height=900), "gross.jpg")], "resolved", "Foto 1"),
        ([(images.phone_jpeg(width=40, height=30), "a.jpg")] * 2, "resolved", "höchstens ein"),
        ([(images.phone_jpeg(width=40, height=30), "a.jpg")], "acknowledged", "nur mit"),
    ],
    ids=["text-as-jpg", "txt", "too-large", "two", "not-resolving"],
)
def test_a_bad_photo_is_refused_on_the_page_and_writes_nothing(
    app, client, admin_headers, media_dir, photos, action, says
):
    public_id, path = _mailed_link(app, client, admin_headers)
    app.config["MAX_PHOTO_BYTES"] = 60_000  # the large photo is over it, the small ones not
    files = media_files(media_dir)
    version = report_row(app, public_id).version

    resp = _resolve(client, path, *photos, action=action)
    assert 400 <= resp.status_code < 500
    html = resp.get_data(as_text=True)
    assert says in html
    message = html.split('role="status">', 1)[1].split("</p>", 1)[0]
    assert '<span lang="en">/ ' in message and message.split("/ ", 1)[1].strip(" <>/span")
    assert 'name="photo"' in html  # the forms are there to try again

    assert media_files(media_dir) == files
    report = report_row(app, public_id)
    assert report.status == "waiting_external" and report.version == version
    assert _updates(app, public_id) == []


def test_an_unexpected_file_field_is_refused(app, client, admin_headers):
    public_id, path = _mailed_link(app, client, admin_headers)
    nonce = NONCE.search(client.get(path).get_data(as_text=True)).group(1)
    blob = images.phone_jpeg(width=40, height=30)
    resp = client.post(
        path,
        data={"nonce": nonce, "action": "resolved", "photos": [(io.BytesIO(blob), "a.jpg")]},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422
    assert "Unerwartete Datei" in resp.get_data(as_text=True)
    assert _updates(app, public_id) == []


def test_resolving_without_a_photo_still_works_as_multipart(app, client, admin_headers):
    public_id, path = _mailed_link(app, client, admin_headers)
    nonce = NONCE.search(client.get(path).get_data(as_text=True)).group(1)
    empty = (io.BytesIO(b""), "")  # what a browser sends for "no file chosen"
    resp = client.post(
        path,
        data={"nonce": nonce, "action": "resolved", "note": "", "photo": [empty]},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert report_row(app, public_id).status == "resolved"
    (event,) = external_updates(app, public_id)
    assert "photos" not in event
