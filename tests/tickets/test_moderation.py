"""What the public sees of a ticket: moderation, blacking out parts of photos, after photos."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from tests import images
from tests.media import BOTH_MEDIA
from tests.passes import run_privacy_passes
from tests.reports.helpers import media_files, post_multipart
from tests.tickets.helpers import CENTRE, file_ticket, version_of

ORIGINAL = "Loch in der Fahrbahn"


@pytest.fixture
def crew(staff):
    return staff.client("crew", "tiefbau")


def public(client, public_id: str) -> dict:
    resp = client.get(f"/api/v1/reports/{public_id}")
    assert resp.status_code == 200, resp.json
    return resp.json


def publication(client, public_id: str, **body):
    return client.post(
        f"/api/v1/tickets/{public_id}/publication",
        json=body,
        headers={"If-Match": version_of(client, public_id)},
    )


def redact(client, public_id: str, photo_id: int, rects):
    return client.post(
        f"/api/v1/tickets/{public_id}/photos/{photo_id}/redact", json={"rects": rects}
    )


def post_after(client, public_id: str, blob: bytes, name: str = "nachher.jpg"):
    return client.post(
        f"/api/v1/tickets/{public_id}/photos",
        data={"photos": [(io.BytesIO(blob), name)]},
        content_type="multipart/form-data",
    )


def pixels(client, url: str) -> np.ndarray:
    resp = client.get(url)
    assert resp.status_code == 200, url
    with Image.open(io.BytesIO(resp.data)) as img:
        return np.asarray(img.convert("RGB"), dtype=np.int16)


def file_with_photos(client, *blobs: bytes, category: str = "schlagloch") -> str:
    body = {"category": category, "description": ORIGINAL, **CENTRE}
    resp = post_multipart(client, body, list(blobs))
    assert resp.status_code == 201, resp.json
    run_privacy_passes(client.application)
    return resp.json["report"]["public_id"]


def test_moderated_report_hides_text_and_photos_but_the_reporter_sees_them(client, crew):
    created = file_ticket(client, "schlagloch", photo=True, address="Bei Familie Muster, Nr. 3")
    public_id = created["report"]["public_id"]

    seen = public(client, public_id)
    assert seen["description"] is None
    assert seen["address"] is None
    assert seen["photos"] == []
    assert seen["published"] is False
    listed = client.get("/api/v1/reports").json["items"]
    assert ORIGINAL not in str(listed)

    tracked = client.get(f"/api/v1/track/{created['tracking_token']}").json
    assert tracked["description"] == ORIGINAL
    assert tracked["address"] == "Bei Familie Muster, Nr. 3"
    # Staff need it to find the place, published or not.
    ticket = crew.get(f"/api/v1/tickets/{public_id}").json
    assert ticket["address"] == "Bei Familie Muster, Nr. 3"
    queued = crew.get("/api/v1/tickets").json["items"]
    assert [t["address"] for t in queued if t["public_id"] == public_id] == [ticket["address"]]
    assert len(tracked["photos"]) == 1
    assert client.get(tracked["photos"][0]["url"]).status_code == 200


def test_publishing_with_edited_text_keeps_the_original_internal(client, crew):
    public_id = file_ticket(client, "schlagloch", photo=True)["report"]["public_id"]
    run_privacy_passes(client.application)
    # Publishing changes the ticket, so it needs the version the caller saw.
    missing = crew.post(f"/api/v1/tickets/{public_id}/publication", json={"action": "publish"})
    assert missing.status_code == 428

    resp = publication(crew, public_id, action="publish", public_description="edited text")
    assert resp.status_code == 200, resp.json

    seen = public(client, public_id)
    assert seen["published"] is True
    assert seen["description"] == "edited text"
    assert len(seen["photos"]) == 1
    assert client.get(seen["photos"][0]["url"]).status_code == 200

    ticket = crew.get(f"/api/v1/tickets/{public_id}").json
    assert ticket["description"] == ORIGINAL
    assert ticket["public_description"] == "edited text"
    event = ticket["history"][-1]
    assert event["kind"] == "published"
    assert ORIGINAL in event["internal_note"]
    assert event["data"]["edited"] is True


def test_publishing_without_edit_shows_the_citizens_text(client, crew):
    created = file_ticket(client, "schlagloch", photo=True, address="Hauptstraße 12")
    public_id = created["report"]["public_id"]
    run_privacy_passes(client.application)
    assert publication(crew, public_id, action="publish").status_code == 200
    seen = public(client, public_id)
    assert seen["description"] == ORIGINAL
    assert seen["address"] == "Hauptstraße 12"
    assert len(seen["photos"]) == 1
    assert crew.get(f"/api/v1/tickets/{public_id}").json["history"][-1]["internal_note"] is None


@BOTH_MEDIA
def test_chosen_photos_are_public_and_hide_takes_everything_back(client, crew):
    public_id = file_with_photos(
        client,
        images.phone_jpeg(width=800, height=600),
        images.phone_jpeg(width=640, height=480, orientation=1),
    )
    first, second = crew.get(f"/api/v1/tickets/{public_id}").json["photos"]

    unknown = publication(crew, public_id, action="publish", photo_ids=[second["id"], 999_999])
    assert unknown.status_code == 422
    assert "photo_ids" in unknown.json["error"]["fields"]
    assert public(client, public_id)["published"] is False  # nothing changed

    resp = publication(crew, public_id, action="publish", photo_ids=[second["id"]])
    assert resp.status_code == 200, resp.json
    seen = public(client, public_id)
    assert seen["description"] == ORIGINAL
    assert [p["url"] for p in seen["photos"]] == [second["url"]]
    approved = {
        p["id"]: p["approved"] for p in crew.get(f"/api/v1/tickets/{public_id}").json["photos"]
    }
    assert approved == {first["id"]: False, second["id"]: True}

    hidden = publication(crew, public_id, action="hide", reason="Kennzeichen lesbar")
    assert hidden.status_code == 200, hidden.json
    seen = public(client, public_id)
    assert seen["published"] is False
    assert seen["description"] is None
    assert seen["photos"] == []
    event = crew.get(f"/api/v1/tickets/{public_id}").json["history"][-1]
    assert (event["kind"], event["internal_note"]) == ("hidden", "Kennzeichen lesbar")


def test_auto_publish_category_is_public_at_once(client):
    public_id = file_ticket(client, "strassenlaterne", photo=True, description="Laterne flackert")[
        "report"
    ]["public_id"]
    seen = public(client, public_id)
    assert seen["published"] is True
    assert seen["description"] == "Laterne flackert"
    assert seen["photos"] == []  # the photo once its privacy pass ran
    run_privacy_passes(client.application)
    seen = public(client, public_id)
    assert len(seen["photos"]) == 1
    assert client.get(seen["photos"][0]["thumbnail_url"]).status_code == 200


@BOTH_MEDIA
def test_redaction_blacks_out_both_sizes_under_a_new_name(client, crew, media_dir):
    public_id = file_ticket(client, "schlagloch", photo=True)["report"]["public_id"]
    run_privacy_passes(client.application)
    before = crew.get(f"/api/v1/tickets/{public_id}").json["photos"][0]
    assert (before["width"], before["height"]) == (600, 800)  # the photo stood upright
    old_web, old_thumb = pixels(crew, before["url"]), pixels(crew, before["thumbnail_url"])
    old_names = {before["url"].rsplit("/", 1)[1], before["thumbnail_url"].rsplit("/", 1)[1]}
    assert old_names <= {p.name for p in media_files(media_dir)}

    x, y, w, h = 100, 200, 150, 100
    resp = redact(crew, public_id, before["id"], [[x, y, w, h]])
    assert resp.status_code == 200, resp.json
    after = resp.json
    assert after["id"] == before["id"]
    assert after["url"] != before["url"]
    assert after["thumbnail_url"] != before["thumbnail_url"]
    assert (after["width"], after["height"]) == (600, 800)

    # The old public pixels are gone for good: files removed, URLs dead (the unblurred
    # original the privacy pass keeps for staff stays).
    names = {p.name for p in media_files(media_dir)}
    assert not old_names & names
    assert crew.get(before["url"]).status_code == 404
    assert crew.get(before["thumbnail_url"]).status_code == 404

    web = pixels(crew, after["url"])
    assert web.shape == old_web.shape
    inside = web[y + 3 : y + h - 3, x + 3 : x + w - 3]
    assert inside.max() <= 12 and inside.mean() < 2
    assert old_web[y + 3 : y + h - 3, x + 3 : x + w - 3].mean() > 60  # it was not dark before
    # Away from the rectangle the picture is what it was (up to JPEG re-encoding).
    for region in (np.s_[: y - 8], np.s_[y + h + 8 :], np.s_[y : y + h, : x - 8]):
        assert np.abs(web[region] - old_web[region]).mean() < 4

    thumb = pixels(crew, after["thumbnail_url"])
    assert thumb.shape == old_thumb.shape == (320, 240, 3)
    s = 240 / 600
    tx, ty, tw, th = int(x * s), int(y * s), int(w * s), int(h * s)
    # The thumbnail is small, so JPEG colour blocks bleed a few pixels further in.
    inside = thumb[ty + 4 : ty + th - 4, tx + 4 : tx + tw - 4]
    assert inside.max() <= 12 and inside.mean() < 2
    assert old_thumb[ty + 4 : ty + th - 4, tx + 4 : tx + tw - 4].mean() > 60
    assert np.abs(thumb[ty + th + 6 :] - old_thumb[ty + th + 6 :]).mean() < 4
    assert np.abs(thumb[: ty - 6] - old_thumb[: ty - 6]).mean() < 4

    event = crew.get(f"/api/v1/tickets/{public_id}").json["history"][-1]
    assert event["kind"] == "redacted"
    assert event["data"] == {"photo_id": before["id"], "rects": [[x, y, w, h]], "removed": []}


@pytest.mark.parametrize(
    "rect",
    [[500, 700, 101, 50], [-1, 0, 10, 10], [0, 0, 0, 10], [0, 790, 10, 11]],
    ids=["past-right-edge", "negative", "empty", "past-bottom"],
)
def test_redaction_outside_the_image_changes_nothing(client, crew, media_dir, rect):
    public_id = file_ticket(client, "schlagloch", photo=True)["report"]["public_id"]
    photo = crew.get(f"/api/v1/tickets/{public_id}").json["photos"][0]
    files = media_files(media_dir)
    version = version_of(crew, public_id)

    resp = redact(crew, public_id, photo["id"], [[10, 10, 20, 20], rect])
    assert resp.status_code == 422
    assert "rects" in resp.json["error"]["fields"]

    assert media_files(media_dir) == files
    assert crew.get(f"/api/v1/tickets/{public_id}").json["photos"][0]["url"] == photo["url"]
    assert crew.get(photo["url"]).status_code == 200
    assert version_of(crew, public_id) == version


def test_redacting_a_photo_of_another_ticket_is_not_found(client, crew, media_dir):
    mine = file_ticket(client, "schlagloch", photo=True)["report"]["public_id"]
    other = file_ticket(client, "gehweg", photo=True)["report"]["public_id"]
    foreign = crew.get(f"/api/v1/tickets/{other}").json["photos"][0]
    files = media_files(media_dir)

    resp = redact(crew, mine, foreign["id"], [[0, 0, 10, 10]])
    assert resp.status_code == 404
    assert media_files(media_dir) == files
    assert crew.get(foreign["url"]).status_code == 200


def test_after_photo_is_public_and_clean_even_when_the_report_is_not(client, crew, media_dir):
    public_id = file_ticket(client, "schlagloch", photo=True)["report"]["public_id"]
    resp = post_after(crew, public_id, images.phone_jpeg(width=1200, height=900))
    assert resp.status_code == 201, resp.json
    assert public(client, public_id)["photos"] == []  # the after photo once its pass ran
    run_privacy_passes(client.application)
    citizen, after = crew.get(f"/api/v1/tickets/{public_id}").json["photos"]
    assert (citizen["kind"], after["kind"]) == ("report", "after")
    assert after["approved"] is True
    assert resp.json["history"][-1]["kind"] == "photo"

    seen = public(client, public_id)
    assert seen["published"] is False
    assert seen["description"] is None
    assert [(p["kind"], p["url"]) for p in seen["photos"]] == [("after", after["url"])]

    data = client.get(after["url"]).data
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "JPEG"
        assert len(img.getexif()) == 0
        assert "exif" not in img.info and "icc_profile" not in img.info
    assert b"Exif\x00\x00" not in data
    assert images.SECRET_COMMENT not in data
    assert b"SN123456" not in data


def test_after_photos_stay_public_when_citizen_content_is_hidden_or_chosen(client, crew):
    public_id = file_ticket(client, "schlagloch", photo=True)["report"]["public_id"]
    post_after(crew, public_id, images.phone_jpeg(width=800, height=600, orientation=1))
    run_privacy_passes(client.application)
    citizen, after = crew.get(f"/api/v1/tickets/{public_id}").json["photos"]

    chosen = publication(crew, public_id, action="publish", photo_ids=[citizen["id"]])
    assert chosen.status_code == 200, chosen.json
    urls = [p["url"] for p in public(client, public_id)["photos"]]
    assert urls == [citizen["url"], after["url"]]

    assert publication(crew, public_id, action="hide").status_code == 200
    assert [p["url"] for p in public(client, public_id)["photos"]] == [after["url"]]


@pytest.mark.parametrize(
    "blob, name",
    [(images.text_as_jpg(), "brief.jpg"), (b"just some words\n", "notes.txt")],
    ids=["text-as-jpg", "txt"],
)
def test_after_photo_that_is_no_image_is_refused_and_leaves_no_file(
    client, crew, media_dir, blob, name
):
    public_id = file_ticket(client, "schlagloch", photo=True)["report"]["public_id"]
    files = media_files(media_dir)
    version = version_of(crew, public_id)

    resp = post_after(crew, public_id, blob, name)
    assert 400 <= resp.status_code < 500
    assert resp.json["error"]["code"] == "validation_failed"

    assert media_files(media_dir) == files
    ticket = crew.get(f"/api/v1/tickets/{public_id}").json
    assert [p["kind"] for p in ticket["photos"]] == ["report"]
    assert version_of(crew, public_id) == version


def test_after_photos_need_a_photo_and_the_tickets_department(client, crew, staff):
    public_id = file_ticket(client, "schlagloch")["report"]["public_id"]
    empty = crew.post(
        f"/api/v1/tickets/{public_id}/photos", data={}, content_type="multipart/form-data"
    )
    assert empty.status_code == 422
    json_body = crew.post(f"/api/v1/tickets/{public_id}/photos", json={})
    assert json_body.status_code == 415
    gardeners = staff.client("crew", "gruen")
    blob = images.phone_jpeg(width=800, height=600)
    assert post_after(gardeners, public_id, blob).status_code == 403
    assert public(client, public_id)["photos"] == []
