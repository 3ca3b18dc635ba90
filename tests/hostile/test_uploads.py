"""Upload fuzzing over every way a photo gets in: citizen intake, Open311 media, after photos.

Each hostile file goes through all three upload paths. Only two outcomes are allowed: ``201``
with every stored file a metadata-free, re-encoded JPEG that carries none of the upload's
payload; or a 4xx with the bilingual error, after which nothing at all was stored (no row in
any table changed, no file appeared in the media directory). Never a 5xx.
"""

from __future__ import annotations

import io
import random
import struct
import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from PIL import Image
from sqlalchemy import select

from maengelmelder.core.models import Photo
from maengelmelder.extensions import db
from tests import images
from tests.hostile.helpers import (
    assert_bilingual_error,
    assert_clean_jpeg,
    assert_open311_error,
    changed_tables,
    media_files,
    snapshot,
)
from tests.reports.helpers import INSIDE, counts

PATHS = ("intake", "open311", "after_photo")


# --------------------------------------------------------------------------- hostile files


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload))
    )


def _small_jpeg() -> bytes:
    return images.phone_jpeg(320, 240, 1, None)


def html_after_eoi() -> bytes:
    """A JPEG with an HTML page and a script after its end-of-image marker."""
    return _small_jpeg() + b"<html><script>window.__xss=1</script></html>"


def gif_js_polyglot() -> bytes:
    """A GIF that is also valid JavaScript: a width of 10799 px is the bytes '/*' (GIFAR-style)."""
    image = Image.new("P", (10799, 1), 0)
    image.putpalette([255, 0, 0] * 256)
    buffer = io.BytesIO()
    image.save(buffer, "GIF")
    gif = buffer.getvalue()
    assert gif[6:8] == b"/*" and b"*/" not in gif
    return gif + b"*/=1;window.__xss=1;//"


def png_with_php() -> bytes:
    return images.png_bytes(64, 48, "RGB") + b"<?php system($_GET['c']); ?>"


def _jpeg_with_size(width: int, height: int) -> bytes:
    data = bytearray(_small_jpeg())
    pos = 2
    while data[pos + 1] not in (0xC0, 0xC1, 0xC2):
        pos += 2 + struct.unpack_from(">H", data, pos + 2)[0]
    struct.pack_into(">HH", data, pos + 5, height, width)
    return bytes(data)


def huge_header_jpeg() -> bytes:
    """A small JPEG whose frame header claims 65535 x 65535 pixels."""
    return _jpeg_with_size(65535, 65535)


def huge_header_png() -> bytes:
    header = struct.pack(">IIBBBBB", 65535, 65535, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + _chunk(b"IEND", b"")
    )


def huge_header_gif() -> bytes:
    screen = struct.pack("<HHBBB", 65535, 65535, 0, 0, 0)
    frame = b"," + struct.pack("<HHHHB", 0, 0, 65535, 65535, 0)
    return b"GIF89a" + screen + frame + b"\x02\x02\x44\x01\x00;"


def huge_header_webp() -> bytes:
    """A WebP whose extended header declares a 65534 x 65534 canvas around a tiny picture."""
    inner = images.webp_bytes(64, 48)[12:]
    vp8x = b"VP8X" + struct.pack("<I", 10) + bytes(4)
    vp8x += (65533).to_bytes(3, "little") + (65533).to_bytes(3, "little")
    body = b"WEBP" + vp8x + inner
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _with_ispe(data: bytes, width: int, height: int) -> bytes:
    """A HEIF/AVIF whose image spatial extents (ispe) declare another size."""
    pos = data.index(b"ispe") + 8  # type, then version and flags
    return data[:pos] + struct.pack(">II", width, height) + data[pos + 8 :]


def huge_header_heic() -> bytes:
    """A small HEIC (one picture, no grid) whose ispe claims 65535 x 65535 pixels."""
    return _with_ispe(images.heic_photo(320, 240, 1, tile=None), 65535, 65535)


def huge_grid_heic() -> bytes:
    """A HEIC whose grid descriptor (in idat) says 65535 x 65535, its ispe the truth."""
    data = images.heic_photo(640, 480, 1)
    pos = data.index(b"idat") + 4 + 4
    return data[:pos] + struct.pack(">HH", 65535, 65535) + data[pos + 4 :]


def huge_header_avif() -> bytes:
    return _with_ispe(images.avif_photo(320, 240, 1), 65535, 65535)


def mp4_named_heic() -> bytes:
    """The start of an MP4 video (a Live Photo's), an ISO-BMFF file but no image."""
    return struct.pack(">I", 24) + b"ftypisom" + bytes(4) + b"isomiso2" + b"\0\0\0\x08free"


def animated_webp() -> bytes:
    frames = [Image.new("RGB", (64, 48), colour) for colour in ((255, 0, 0), (0, 255, 0))]
    buffer = io.BytesIO()
    frames[0].save(buffer, "WEBP", save_all=True, append_images=frames[1:], duration=100)
    return buffer.getvalue()


def png_exif_bomb() -> bytes:
    """A PNG with a 2 MB eXIf chunk: IFDs claiming 65535 entries that all point back at IFD0."""
    ifd = struct.pack(">H", 65535) + struct.pack(">HHII", 0x8825, 4, 1, 8) * 5000
    tiff = (b"MM\x00\x2a" + struct.pack(">I", 8) + ifd) * 40
    png = images.png_bytes(64, 48, "RGB")
    return png[:33] + _chunk(b"eXIf", tiff) + png[33:]


@dataclass(frozen=True)
class Case:
    make: Callable[[], bytes]
    filename: str = "photo.jpg"
    content_type: str = "image/jpeg"
    refused: str | None = None  # the photo error code, or None when the photo is stored
    colour: tuple[int, int, int] | None = None  # the colour the stored picture must show


RED = (255, 0, 0)
CASES = {
    "truncated jpeg": Case(images.truncated_jpeg, refused="truncated"),
    # A 7000 x 7000 frame header over the scan of 16 x 16 pixels, with an end marker.
    "jpeg frame far larger than its scan": Case(images.short_scan_jpeg, refused="truncated"),
    "progressive jpeg frame far larger than its scan": Case(
        lambda: images.short_scan_jpeg(progressive=True), refused="truncated"
    ),
    "jpeg cut, end marker added": Case(images.jpeg_cut_with_eoi, refused="truncated"),
    "progressive jpeg cut, end marker added": Case(
        lambda: images.jpeg_cut_with_eoi(progressive=True), refused="truncated"
    ),
    "truncated png": Case(lambda: images.png_bytes()[:-30], "p.png", "image/png", "truncated"),
    "jpeg cut in its header": Case(lambda: _small_jpeg()[:300], refused="truncated"),
    "jpeg + zip polyglot": Case(images.polyglot),
    "jpeg + html after eoi": Case(html_after_eoi),
    "gif/js polyglot": Case(gif_js_polyglot, "a.gif", "image/gif", colour=RED),
    "png + php": Case(png_with_php, "shell.php.png", "image/png"),
    "jpeg header 65535x65535": Case(huge_header_jpeg, refused="too_many_pixels"),
    "png header 65535x65535": Case(huge_header_png, "p.png", "image/png", "too_many_pixels"),
    "gif header 65535x65535": Case(huge_header_gif, "g.gif", "image/gif", "too_many_pixels"),
    "webp header 65534x65534": Case(huge_header_webp, "w.webp", "image/webp", "too_many_pixels"),
    "decompression bomb": Case(images.decompression_bomb, "b.png", "image/png", "too_many_pixels"),
    "cmyk jpeg": Case(images.cmyk_jpeg),
    "16-bit png": Case(images.png16_bytes, "p.png", "image/png"),
    "greyscale + alpha png": Case(lambda: images.png_bytes(64, 48, "LA"), "p.png", "image/png"),
    "palette + transparency png": Case(lambda: images.png_bytes(64, 48, "P"), "p.png"),
    "animated gif": Case(images.animated_gif, "a.gif", "image/gif", colour=RED),
    "animated webp": Case(animated_webp, "a.webp", "image/webp", colour=RED),
    "zero bytes": Case(images.zero_bytes, refused="empty"),
    "exif bomb jpeg": Case(images.exif_bomb),
    "exif bomb png": Case(png_exif_bomb, "p.png", "image/png"),
    "png named .jpg, sent as pdf": Case(images.png_bytes, "scan.jpg", "application/pdf"),
    "jpeg named .exe, no type": Case(_small_jpeg, "setup.exe", "application/octet-stream"),
    "text named .jpg": Case(images.text_as_jpg, refused="not_an_image"),
    "jpeg named .heic": Case(_small_jpeg, "IMG_0001.HEIC", "image/heic"),
    "iphone heic (grid, exif, xmp)": Case(
        lambda: images.heic_photo(640, 480, 6), "IMG_0002.HEIC", "image/heic"
    ),
    "avif with exif": Case(lambda: images.avif_photo(320, 240, 8), "a.avif", "image/avif"),
    "transparent heic": Case(
        lambda: images.heic_photo(64, 48, 1, alpha=True, tile=None), "t.heic", "image/heic"
    ),
    "heic cut after its first box": Case(
        images.heic_like, "IMG_0003.HEIC", "image/heic", "truncated"
    ),
    "heic cut in its pictures' data": Case(
        lambda: images.heic_photo(640, 480, 6)[:12000], "IMG_0004.HEIC", "image/heic", "truncated"
    ),
    "heic header 65535x65535": Case(huge_header_heic, "h.heic", "image/heic", "too_many_pixels"),
    "heic grid 65535x65535": Case(huge_grid_heic, "g.heic", "image/heic", "too_many_pixels"),
    "avif header 65535x65535": Case(huge_header_avif, "a.avif", "image/avif", "too_many_pixels"),
    "live photo video named .heic": Case(
        mp4_named_heic, "IMG_0005.HEIC", "image/heic", "unsupported_format"
    ),
    "svg with script": Case(images.svg_bytes, "x.svg", "image/svg+xml", "not_an_image"),
    "html named .jpg": Case(images.html_bytes, refused="not_an_image"),
}


# --------------------------------------------------------------------------- the three paths


class Uploader:
    """Posts one file through one upload path: citizen, Open311 client, or crew."""

    def __init__(self, app, client, staff) -> None:
        self.app, self.client = app, client
        self.headers = {"Authorization": "Bearer " + staff.token("crew", "tiefbau")}
        body = {"category": "schlagloch", "description": "Loch", **INSIDE}
        resp = client.post("/api/v1/reports", json=body)
        assert resp.status_code == 201, resp.json
        self.ticket = resp.json["report"]["public_id"]

    def post(self, path: str, blob: bytes, filename: str, content_type: str):
        upload = (io.BytesIO(blob), filename, content_type)
        if path == "intake":
            data = {"category": "schlagloch", "lat": "50.1005", "lon": "8.7655", "photos": upload}
            return self.client.post("/api/v1/reports", data=data)
        if path == "open311":
            data = {
                "api_key": self.headers["Authorization"][7:],
                "service_code": "schlagloch",
                "lat": "50.1005",
                "long": "8.7655",
                "media": upload,
            }
            return self.client.post("/open311/v2/requests.json", data=data)
        return self.client.post(
            f"/api/v1/tickets/{self.ticket}/photos", data={"photos": upload}, headers=self.headers
        )


@pytest.fixture
def uploader(app, client, staff) -> Uploader:
    return Uploader(app, client, staff)


def _photo_rows(app) -> dict[int, tuple[str, int, int]]:
    with app.app_context():
        rows = db.session.execute(
            select(Photo.id, Photo.storage_key, Photo.web_width, Photo.web_height)
        )
        out = {pid: (key, width, height) for pid, key, width, height in rows}
        db.session.remove()
        return out


def _check_stored(
    app, client, media_dir, before_rows, before_files, upload: bytes, colour=None, headers=None
):
    """The upload became exactly one photo: two clean JPEG files, served as image/jpeg (to the
    crew: the citizen's photos of these reports are not public before moderation)."""
    new = {pid: row for pid, row in _photo_rows(app).items() if pid not in before_rows}
    assert len(new) == 1, new
    [(key, width, height)] = new.values()
    expected = {f"{key[:2]}/{key}-web.jpg", f"{key[:2]}/{key}-thumb.jpg"}
    assert media_files(media_dir) - before_files == expected
    for name in expected:
        data = (media_dir / name).read_bytes()
        assert data != upload
        picture = assert_clean_jpeg(data)
        if name.endswith("-web.jpg"):
            assert picture.size == (width, height)
            served = client.get(f"/media/{name.split('/')[1]}", headers=headers)
            assert served.status_code == 200 and served.mimetype == "image/jpeg"
            assert served.data == data
        if colour is not None:
            centre = picture.getpixel((picture.width // 2, picture.height // 2))
            assert all(abs(a - b) <= 40 for a, b in zip(centre, colour, strict=True)), centre


def _check_refused(app, media_dir, path: str, resp, before, before_files, code: str | None):
    """A 4xx with the bilingual error, and not a single row or file more than before."""
    if path == "open311":
        assert_open311_error(resp)
    else:
        error = assert_bilingual_error(resp, {413, 422})
        if code is not None:
            assert error.get("photo_error") == code, error
        assert "photos" in error["fields"], error
    assert changed_tables(before, snapshot(app)) == []
    assert media_files(media_dir) == before_files


@pytest.mark.parametrize("name", CASES)
def test_hostile_file_on_every_upload_path(app, client, media_dir, uploader, name):
    case = CASES[name]
    blob = case.make()
    for path in PATHS:
        before, before_files, rows = snapshot(app), media_files(media_dir), _photo_rows(app)
        resp = uploader.post(path, blob, case.filename, case.content_type)
        assert resp.status_code < 500, (path, resp.status_code, resp.get_data(as_text=True))
        if case.refused is None:
            assert resp.status_code == 201, (path, resp.get_data(as_text=True))
            _check_stored(
                app, client, media_dir, rows, before_files, blob, case.colour, uploader.headers
            )
        else:
            _check_refused(app, media_dir, path, resp, before, before_files, case.refused)


# --------------------------------------------------------------------------- mutation run

MUTATIONS = 300
SEED = 20260310


def _mutate(rng: random.Random, seed: bytes) -> bytes:
    data = bytearray(seed)
    kind = rng.choice(("flip", "bytes", "truncate", "cut", "repeat", "length"))
    if kind == "flip":
        for _ in range(rng.randint(1, 16)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    elif kind == "bytes":
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
    elif kind == "truncate":
        data = data[: rng.randrange(len(data))]
    elif kind == "cut":
        start = rng.randrange(len(data))
        del data[start : start + rng.randint(1, 2000)]
    elif kind == "repeat":
        start = rng.randrange(len(data))
        data[start:start] = data[start : start + rng.randint(1, 4000)]
    else:  # a segment length in the header: the first 2 KB hold the markers
        pos = rng.randrange(2, min(len(data), 2048) - 2)
        data[pos : pos + 2] = rng.randrange(65536).to_bytes(2, "big")
    return bytes(data)


def test_seeded_mutations_of_a_phone_photo(app, client, media_dir, uploader):
    """Bit flips, overwrites, truncations, cuts, repeats and broken lengths of a phone JPEG."""
    seed = images.phone_jpeg(480, 360, 6, images.BERLIN)
    rng = random.Random(SEED)
    outcomes: Counter[str] = Counter()
    started = time.monotonic()
    for number in range(MUTATIONS):
        blob = _mutate(rng, seed)
        path = PATHS[number % len(PATHS)]
        before, before_files = counts(app), media_files(media_dir)
        rows = _photo_rows(app)
        resp = uploader.post(path, blob, "IMG_1234.jpg", "image/jpeg")
        assert resp.status_code < 500, (number, path, resp.get_data(as_text=True))
        if resp.status_code == 201:
            _check_stored(app, client, media_dir, rows, before_files, blob, None, uploader.headers)
            outcomes["stored"] += 1
        else:
            if path == "open311":
                assert_open311_error(resp)
            else:
                outcomes[assert_bilingual_error(resp).get("photo_error", "other")] += 1
            assert counts(app) == before, (number, path)
            assert media_files(media_dir) == before_files, (number, path)
    elapsed = time.monotonic() - started
    print(f"{MUTATIONS} mutations in {elapsed:.1f} s: {dict(outcomes)}")
    # The run really exercised both outcomes (its time is printed, not asserted: the
    # machine may be shared).
    assert outcomes["stored"] >= 20 and outcomes["truncated"] >= 20, outcomes
