"""Duplicates with evidence: nearby reports show what the public may see of them, a 'me too'
keeps the supporter's comment and photo for staff, and the reporter reads back their own
"it is not fixed" note."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from maengelmelder.core.events import TicketEvent
from maengelmelder.core.models import Photo, Report, Support
from maengelmelder.extensions import db
from tests import images
from tests.passes import run_privacy_passes
from tests.reports.helpers import counts, media_files, post_multipart, report_json

HERE = {"lat": 50.1005, "lon": 8.7655}
NEARBY = "/api/v1/reports/nearby?lat=50.1005&lon=8.7655&category=schlagloch"


@pytest.fixture
def crew(staff):
    return staff.client("crew", "tiefbau")


def _file(client, photo: bool = False, **fields) -> dict:
    body = report_json(**{**HERE, **fields})
    if photo:
        resp = post_multipart(client, body, [images.phone_jpeg(width=800, height=600)])
    else:
        resp = client.post("/api/v1/reports", json=body)
    assert resp.status_code == 201, resp.json
    return resp.json


def _publish(crew, public_id: str, **body):
    etag = crew.get(f"/api/v1/tickets/{public_id}").headers["ETag"]
    resp = crew.post(
        f"/api/v1/tickets/{public_id}/publication",
        json={"action": "publish", **body},
        headers={"If-Match": etag},
    )
    assert resp.status_code == 200, resp.json
    return resp.json


def _support(client, public_id: str, device: str = "phone-b", photo: bytes | None = None, **f):
    data = {k: str(v) for k, v in f.items()}
    if photo is not None:
        data["photos"] = [(io.BytesIO(photo), "ich-auch.jpg")]
    return client.post(
        f"/api/v1/reports/{public_id}/support",
        data=data,
        content_type="multipart/form-data",
        headers={"X-Device-Id": device},
    )


# --------------------------------------------------------------------------- nearby


def test_published_nearby_reports_show_photo_and_text_unpublished_ones_do_not(client, crew):
    hidden = _file(client, photo=True, description="Noch ungeprüft")["report"]["public_id"]
    shown = _file(client, photo=True, description="Tiefes Loch", lat=50.10052)
    shown_id = shown["report"]["public_id"]
    _publish(crew, shown_id)
    run_privacy_passes(client.application)  # as the worker does after each photo's intake

    items = {i["public_id"]: i for i in client.get(NEARBY).json["items"]}
    assert items[shown_id]["description"] == "Tiefes Loch"
    [photo] = items[shown_id]["photos"]
    thumb = client.get(photo["thumbnail_url"])
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    # The unchecked one shows what it is, where and since when, but nothing of the citizen's.
    assert items[hidden]["description"] is None and items[hidden]["photos"] == []
    assert items[hidden]["published"] is False
    assert items[hidden]["created_at"] and items[hidden]["distance_m"] == 0.0


def test_nearby_puts_the_nearest_first_and_evidence_first_among_equally_near(client, crew):
    bare_here = _file(client)["report"]["public_id"]  # 0 m, unpublished
    published_close = _file(client, lat=50.10053)["report"]["public_id"]  # about 3 m
    _publish(crew, published_close)
    published_far = _file(client, lat=50.1008)["report"]["public_id"]  # about 33 m
    _publish(crew, published_far)
    bare_between = _file(client, lat=50.1007)["report"]["public_id"]  # about 22 m

    order = [i["public_id"] for i in client.get(NEARBY).json["items"]]
    assert order == [published_close, bare_here, bare_between, published_far]


def test_nearby_lists_at_most_ten(client):
    for n in range(12):
        _file(client, lat=50.1005 + n * 0.00002)
    items = client.get(NEARBY).json["items"]
    assert len(items) == 10
    assert [i["distance_m"] for i in items] == sorted(i["distance_m"] for i in items)


# --------------------------------------------------------------------------- me too


def test_support_with_comment_and_photo_waits_for_moderation(app, client, crew):
    created = _file(client, email="anna@example.org")
    public_id, token = created["report"]["public_id"], created["tracking_token"]
    _publish(crew, public_id)  # public text: the supporter's photo must still wait
    resp = _support(
        client,
        public_id,
        comment="Seit gestern noch tiefer.",
        photo=images.phone_jpeg(1200, 900, 6, images.BERLIN),
    )
    assert resp.status_code == 200, resp.json
    assert resp.json["supporters"] == 1
    assert resp.json["photos"] == []

    # Not public: not on the report, not in the list, not the file.
    assert client.get(f"/api/v1/reports/{public_id}").json["photos"] == []
    listed = client.get("/api/v1/reports").json["items"]
    assert [i["photos"] for i in listed] == [[]]
    with app.app_context():
        photo = db.session.scalars(select(Photo)).one()
        assert (photo.kind, photo.approved) == ("support", False)
        key = photo.storage_key
        db.session.remove()
    assert client.get(f"/media/{key}-web.jpg").status_code == 404
    # Nor to the reporter: it is not their photo.
    tracked = client.get(f"/api/v1/track/{token}").json
    assert tracked["photos"] == []
    assert all(e["kind"] != "supported" for e in tracked["history"])
    assert "tiefer" not in str(tracked)

    # Staff see the comment and the photo on the ticket, the photo stripped of its GPS.
    ticket = crew.get(f"/api/v1/tickets/{public_id}").json
    [staff_photo] = ticket["photos"]
    assert (staff_photo["kind"], staff_photo["approved"]) == ("support", False)
    stored = crew.get(staff_photo["url"])
    assert stored.status_code == 200 and b"Exif" not in stored.data[:200]
    supported = next(e for e in ticket["history"] if e["kind"] == "supported")
    assert supported["internal_note"] == "Seit gestern noch tiefer."
    assert supported["public_note"] is None
    assert supported["data"]["photo_id"] == staff_photo["id"]

    # A moderator publishes it: now it is public, once its privacy pass ran.
    _publish(crew, public_id, photo_ids=[staff_photo["id"]])
    assert client.get(f"/api/v1/reports/{public_id}").json["photos"] == []
    run_privacy_passes(client.application)
    [public_photo] = client.get(f"/api/v1/reports/{public_id}").json["photos"]
    assert client.get(public_photo["thumbnail_url"]).status_code == 200
    assert "tiefer" not in str(client.get(f"/api/v1/reports/{public_id}").json)


def test_support_with_a_comment_only_as_json(app, client, crew):
    public_id = _file(client)["report"]["public_id"]
    resp = client.post(
        f"/api/v1/reports/{public_id}/support",
        json={"comment": "  Auch gesehen  ", "lang": "en"},
        headers={"X-Device-Id": "phone-c"},
    )
    assert resp.status_code == 200, resp.json
    history = crew.get(f"/api/v1/tickets/{public_id}").json["history"]
    [supported] = [e for e in history if e["kind"] == "supported"]
    assert supported["internal_note"] == "Auch gesehen"
    assert supported["data"] == {"photo_id": None, "comment": True}
    # A plain support still records nothing but the count.
    assert client.post(f"/api/v1/reports/{public_id}/support").json["supporters"] == 2
    history = crew.get(f"/api/v1/tickets/{public_id}").json["history"]
    assert [e["kind"] for e in history].count("supported") == 1


def test_bad_photo_or_comment_is_refused_and_nothing_is_written(app, client, media_dir):
    public_id = _file(client)["report"]["public_id"]
    before, files = counts(app), media_files(media_dir)
    bad = _support(client, public_id, comment="schau", photo=images.text_as_jpg())
    assert bad.status_code == 422, bad.json
    error = bad.json["error"]
    [message] = error["fields"]["photos"]["0"]
    assert message["de"].startswith("Foto 1:") and message["en"].startswith("Photo 1:")
    assert error["message"]["de"] and error["message"]["en"]

    two = [images.phone_jpeg(320, 240, 1), images.phone_jpeg(320, 240, 1)]
    resp = client.post(
        f"/api/v1/reports/{public_id}/support",
        data={"photos": [(io.BytesIO(b), f"{i}.jpg") for i, b in enumerate(two)]},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422, resp.json
    assert resp.json["error"]["fields"]["photos"][0]["en"]

    long = client.post(f"/api/v1/reports/{public_id}/support", json={"comment": "x" * 501})
    assert long.status_code == 422
    assert set(long.json["error"]["fields"]["comment"][0]) == {"de", "en"}
    other_file = client.post(
        f"/api/v1/reports/{public_id}/support",
        data={"bild": (io.BytesIO(images.phone_jpeg(320, 240, 1)), "a.jpg")},
        content_type="multipart/form-data",
    )
    assert other_file.status_code == 422

    assert counts(app) == before and media_files(media_dir) == files
    with app.app_context():
        assert db.session.scalar(select(Report.supporters)) == 0
        assert db.session.scalars(select(Support)).all() == []
        db.session.remove()


def test_a_repeated_support_adds_no_second_comment_or_photo(app, client, media_dir):
    public_id = _file(client)["report"]["public_id"]
    photo = images.phone_jpeg(640, 480, 1)
    first = _support(client, public_id, comment="eins", photo=photo)
    assert first.status_code == 200 and first.json["supporters"] == 1
    files = media_files(media_dir)
    again = _support(client, public_id, comment="zwei", photo=photo)
    assert again.status_code == 200 and again.json["supporters"] == 1
    assert media_files(media_dir) == files
    with app.app_context():
        notes = db.session.scalars(
            select(TicketEvent.internal_note).where(TicketEvent.kind == "supported")
        ).all()
        assert notes == ["eins"]
        assert len(db.session.scalars(select(Photo)).all()) == 1
        db.session.remove()


# --------------------------------------------------------------------------- reopen


def test_reopen_note_shows_on_the_tracking_page_and_nowhere_public(client, crew):
    created = _file(client)
    public_id, token = created["report"]["public_id"], created["tracking_token"]
    _publish(crew, public_id)
    etag = crew.get(f"/api/v1/tickets/{public_id}").headers["ETag"]
    moved = crew.post(
        f"/api/v1/tickets/{public_id}/transition",
        json={"to": "resolved", "public_note": "Verfüllt"},
        headers={"If-Match": etag},
    )
    assert moved.status_code == 200, moved.json
    resp = client.post(f"/api/v1/track/{token}/reopen", json={"note": "Das Loch ist wieder da."})
    assert resp.status_code == 200, resp.json
    reopened = [e for e in resp.json["history"] if e["kind"] == "reopened"]
    assert [e["your_note"] for e in reopened] == ["Das Loch ist wieder da."]
    assert reopened[0]["note"] is None
    assert all(e["your_note"] is None for e in resp.json["history"] if e["kind"] != "reopened")
    tracked = client.get(f"/api/v1/track/{token}").json
    assert [e["your_note"] for e in tracked["history"] if e["your_note"]] == [
        "Das Loch ist wieder da."
    ]
    # Staff still read it as the internal note.
    history = crew.get(f"/api/v1/tickets/{public_id}").json["history"]
    assert next(e for e in history if e["kind"] == "reopened")["internal_note"] == (
        "Das Loch ist wieder da."
    )
    # The public report, its page and Open311 never show it.
    assert "wieder da" not in client.get(f"/api/v1/reports/{public_id}").get_data(as_text=True)
    assert "wieder da" not in client.get(f"/reports/{public_id}").get_data(as_text=True)
    open311 = client.get(f"/open311/v2/requests/{public_id}.json?extensions=true")
    assert open311.status_code == 200 and "wieder da" not in open311.get_data(as_text=True)


def test_retention_drops_a_supporters_unpublished_photo_with_the_reporters(
    app, client, crew, clock, media_dir
):
    from maengelmelder.privacy.jobs import retention

    public_id = _file(client, photo=True)["report"]["public_id"]
    assert _support(client, public_id, photo=images.phone_jpeg(640, 480, 1)).status_code == 200
    for to in ("resolved", "closed"):
        etag = crew.get(f"/api/v1/tickets/{public_id}").headers["ETag"]
        moved = crew.post(
            f"/api/v1/tickets/{public_id}/transition", json={"to": to}, headers={"If-Match": etag}
        )
        assert moved.status_code == 200, moved.json
    assert len(media_files(media_dir)) == 4
    clock.advance(days=91)
    with app.app_context():
        assert retention()["photos"] == 2
        assert db.session.scalars(select(Photo)).all() == []
    assert media_files(media_dir) == []
