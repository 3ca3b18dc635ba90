"""Decoding memory is bounded per photo and per process.

The attack (security round 2, finding 3): a 186 KB PNG of 7000 x 7000 transparent pixels
(49 megapixels, within the pixel limit) was accepted after 3.4 s and took the worker to
600-650 MB; five photos per request and three requests at once reached 1.95 GB. Now a photo
is refused when its decode would need more than the per-photo memory (its kind's lower pixel
limit), and decoding shares a per-process budget: a photo that cannot get its share within a
short wait is answered 503 with Retry-After. The RSS figures are in benchmarks/photos.py.
"""

from __future__ import annotations

import io
import threading

import pytest
from PIL import Image, ImageFile

from maengelmelder.reports import photos
from maengelmelder.reports.photos import PhotoError, process_photo
from tests import images
from tests.hostile.helpers import assert_bilingual_error, media_files
from tests.reports.helpers import INSIDE, counts

MIB = 1024 * 1024
BUDGET = 160 * MIB  # the default


def test_the_transparent_png_is_refused_before_it_is_decoded(monkeypatch) -> None:
    data = images.transparent_png(7000, 7000)
    assert len(data) < 200_000
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda *a: pytest.fail("decoded"))
    with pytest.raises(PhotoError) as error:
        process_photo(data, max_decode_bytes=BUDGET)
    assert error.value.code == "too_many_pixels"
    # The limit named is the one for a PNG, lower than the 50 megapixels of a JPEG.
    limit = float(error.value.message["en"].split("At most ")[1].split(" ")[0])
    assert 15 <= limit < 50, error.value.message


def test_photos_within_their_kinds_limit_are_processed() -> None:
    for data in (
        images.phone_jpeg(4000, 3000, 6),  # 12 MP, decoded at half scale
        images.short_scan_jpeg(1, 1),  # a real 16 x 16 scan in a 1 x 1 frame
        images.transparent_png(4000, 3000),  # a 12-megapixel screenshot-sized PNG
    ):
        process_photo(data, max_decode_bytes=BUDGET)


def test_a_photo_waits_for_its_share_of_the_budget() -> None:
    budget = photos.DecodeBudget(10 * MIB, wait_seconds=5)
    released = threading.Event()
    with budget.reserve(8 * MIB):
        assert budget.used == 8 * MIB

        def later() -> None:
            with budget.reserve(8 * MIB):
                released.set()

        waiter = threading.Thread(target=later)
        waiter.start()
        assert not released.wait(0.2)  # the second photo waits for the first
    waiter.join(5)
    assert released.is_set() and budget.used == 0


def test_a_budget_that_stays_taken_is_busy() -> None:
    budget = photos.DecodeBudget(10 * MIB, wait_seconds=0, retry_after=7)
    with budget.reserve(10 * MIB), pytest.raises(photos.PhotoBusy) as busy, budget.reserve(1):
        pass
    assert busy.value.retry_after == 7
    assert budget.used == 0
    with budget.reserve(50 * MIB):  # more than all of it: waits for all of it
        assert budget.used == 10 * MIB


def _upload(client, blobs: list[bytes]):
    files = [(io.BytesIO(blob), f"photo{i}.png") for i, blob in enumerate(blobs)]
    data = {"category": "schlagloch", **{k: str(v) for k, v in INSIDE.items()}, "photos": files}
    return client.post("/api/v1/reports", data=data, content_type="multipart/form-data")


def test_five_transparent_pngs_of_49_megapixels_are_refused(app, client, media_dir):
    before = counts(app)
    resp = _upload(client, [images.transparent_png(7000, 7000)] * 5)
    error = assert_bilingual_error(resp, {422})
    assert error["photo_error"] == "too_many_pixels"
    assert counts(app) == before and media_files(media_dir) == set()


@pytest.fixture
def taken_budget(app):
    """The process's decoding budget, all of it held by someone else, without waiting."""
    app.config["PHOTO_DECODE_WAIT_SECONDS"] = 0
    app.extensions.pop("maengelmelder.decode_budget", None)
    from maengelmelder.reports.limits import decode_budget

    with app.app_context():
        budget = decode_budget()
    with budget.reserve(budget.total):
        yield budget


def test_uploads_wait_for_the_budget_and_answer_503_with_retry_after(
    app, client, staff, media_dir, taken_budget
):
    before = counts(app)
    resp = _upload(client, [images.app_jpeg(800, 600)])
    error = assert_bilingual_error(resp, {503})
    assert error["code"] == "photos_busy"
    assert int(resp.headers["Retry-After"]) > 0
    key = staff.token("crew", "tiefbau")
    resp = client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": key,
            "service_code": "schlagloch",
            "lat": "50.1005",
            "long": "8.7655",
            "media": (io.BytesIO(images.app_jpeg(800, 600)), "photo.jpg"),
        },
    )
    assert resp.status_code == 503 and int(resp.headers["Retry-After"]) > 0
    [answer] = resp.json
    assert answer["code"] == 503 and "Fotos" in answer["description"]
    assert counts(app) == before and media_files(media_dir) == set()


def test_a_photo_larger_than_the_configured_budget_is_too_many_pixels(app, client, media_dir):
    app.config["PHOTO_DECODE_BUDGET_BYTES"] = 64 * MIB
    app.extensions.pop("maengelmelder.decode_budget", None)
    image = Image.new("RGBA", (4000, 3000), (0, 0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    resp = _upload(client, [buffer.getvalue()])
    assert assert_bilingual_error(resp, {422})["photo_error"] == "too_many_pixels"
    # A JPEG of the same size is decoded at reduced scale and fits.
    resp = _upload(client, [images.app_jpeg(4000, 3000)])
    assert resp.status_code == 201, resp.json
