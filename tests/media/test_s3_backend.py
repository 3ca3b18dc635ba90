"""The S3 backend's own promises, on a real S3-compatible server (SeaweedFS).

Objects written in a transaction that does not commit are removed, replaced ones go only
with the commit, photos are streamed with the same headers as from the folder (ETag,
ranges), a bucket prefix is never readable without signing, and with a public address
configured public photos (only those) are answered with a redirect to a presigned URL.
"""

from __future__ import annotations

import io
import urllib.error
import urllib.request
import uuid

import pytest
import sqlalchemy as sa

from maengelmelder.extensions import db
from maengelmelder.storage import storage
from tests import images
from tests.passes import run_privacy_passes
from tests.reports.helpers import media_files, post_multipart, report_json
from tests.tickets.helpers import file_ticket

pytestmark = pytest.mark.parametrize("media_backend", ["s3"])


def a_name() -> str:
    return f"{uuid.uuid4().hex}-web.jpg"


def names(media_dir) -> set[str]:
    return {item.name for item in media_files(media_dir)}


def in_transaction() -> None:
    db.session.execute(sa.select(1))  # as every writing request has begun one


def test_objects_of_a_rolled_back_transaction_are_removed(app, media_dir):
    kept, dropped = a_name(), a_name()
    with app.app_context():
        in_transaction()
        storage().put(db.session, kept, b"kept")
        db.session.commit()
        in_transaction()
        storage().put(db.session, dropped, b"dropped")
        assert names(media_dir) == {kept, dropped}
        db.session.rollback()
    assert names(media_dir) == {kept}


def test_replaced_objects_go_only_with_the_commit(app, media_dir):
    name = a_name()
    with app.app_context():
        in_transaction()
        storage().put(db.session, name, b"old")
        db.session.commit()
        in_transaction()
        storage().delete_on_commit(db.session, name)
        db.session.rollback()
        assert names(media_dir) == {name}  # the replacing transaction failed: still there
        in_transaction()
        storage().delete_on_commit(db.session, name)
        db.session.commit()
    assert names(media_dir) == set()


def _reporters_photo(client) -> tuple[str, bytes]:
    resp = post_multipart(client, report_json(), [images.phone_jpeg(width=800, height=600)])
    assert resp.status_code == 201, resp.json
    url = resp.json["report"]["photos"][0]["url"]
    return url, client.get(url).data


def test_photos_are_streamed_with_length_etag_and_ranges(client):
    url, data = _reporters_photo(client)
    full = client.get(url)
    assert full.status_code == 200 and full.mimetype == "image/jpeg"
    assert int(full.headers["Content-Length"]) == len(data) > 1000
    assert full.headers["Cache-Control"] == "private, no-store"  # not public yet
    assert full.headers["Accept-Ranges"] == "bytes"
    etag = full.headers["ETag"]

    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    part = client.get(url, headers={"Range": "bytes=100-599"})
    assert part.status_code == 206
    assert part.data == data[100:600]
    assert part.headers["Content-Range"] == f"bytes 100-599/{len(data)}"


def test_the_bucket_refuses_unsigned_reads(app, client, media_dir, s3_server):
    _reporters_photo(client)
    stored = media_files(media_dir)
    assert len(stored) == 2
    for item in stored:
        assert item.read_bytes()[:2] == b"\xff\xd8"  # signed: the JPEG is there
        url = f"{s3_server.endpoint}/media/{media_dir.prefix}{item.key}"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=10)
        assert refused.value.code == 403
    with pytest.raises(urllib.error.HTTPError) as listing:
        urllib.request.urlopen(f"{s3_server.endpoint}/media?list-type=2", timeout=10)
    assert listing.value.code == 403


@pytest.fixture
def public_address(app, s3_server):
    """The object store's address for browsers (here: the server itself)."""
    from maengelmelder.storage import init_app

    app.config["MEDIA_PUBLIC_URL"] = s3_server.endpoint
    init_app(app)
    return s3_server.endpoint


def test_public_photos_redirect_to_a_presigned_url_and_others_do_not(
    app, client, staff, public_address
):
    crew = staff.client("crew", "tiefbau")
    created = file_ticket(client, "schlagloch", photo=True)
    public_id = created["report"]["public_id"]
    after = crew.post(
        f"/api/v1/tickets/{public_id}/photos",
        data={"photos": [(io.BytesIO(images.phone_jpeg()), "nachher.jpg")]},
        content_type="multipart/form-data",
    )
    assert after.status_code == 201, after.json
    run_privacy_passes(app)
    shown = client.get(f"/api/v1/reports/{public_id}").json["photos"]
    assert [p["kind"] for p in shown] == ["after"]

    moved = client.get(shown[0]["url"])
    assert moved.status_code == 302
    target = moved.headers["Location"]
    assert target.startswith(public_address) and "X-Amz-Signature=" in target
    with urllib.request.urlopen(target, timeout=10) as answer:
        body = answer.read()
    assert body[:2] == b"\xff\xd8"
    # Without the signature the same object is refused.
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(target.split("?")[0], timeout=10)
    assert refused.value.code == 403

    # The citizen's photo is not public (moderated category): only staff see it, streamed
    # after the access check, never as a URL of the store.
    ticket = crew.get(f"/api/v1/tickets/{public_id}").json["photos"]
    citizens = next(p["url"] for p in ticket if p["kind"] == "report")
    staff_view = crew.get(citizens)
    assert staff_view.status_code == 200 and staff_view.data[:2] == b"\xff\xd8"
    assert client.get(citizens).status_code == 404
