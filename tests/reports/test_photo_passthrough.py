"""The citizen app's uploads are kept as they are, minus every byte that is not the image.

An upright JFIF JPEG that already fits the web size is not re-encoded: the stored web image is
the uploaded stream cut down to tables, frame, scans and EOI. Everything else is re-encoded
from pixels as before.
"""

from __future__ import annotations

import re
import struct
import zipfile
from io import BytesIO

import numpy as np
import pytest
from PIL import Image, ImageCms

from maengelmelder.reports.photos import PhotoError, process_photo
from maengelmelder.reports.photos.containers import JFIF_HEADER, jpeg_essentials
from tests import images

SECRET = b"SECRET-IN-APP0-5d1e"
# What a decoder needs and nothing else: the fresh JFIF header, then tables, frame, scans.
ALLOWED_SEGMENTS = {0xE0, 0xDB, 0xC4, 0xC0, 0xC1, 0xC2, 0xDD, 0xDA}


def _pixels(data: bytes) -> np.ndarray:
    with Image.open(BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"))


def _kept(original: bytes, stored: bytes) -> bool:
    """True when the stored image has the original's exact pixels (no re-encoding)."""
    return _pixels(original).shape == _pixels(stored).shape and np.array_equal(
        _pixels(original), _pixels(stored)
    )


def _segments(data: bytes) -> list[int]:
    """Every segment marker of a JPEG stream, scans skipped, up to EOI (which must end it)."""
    assert data[:2] == b"\xff\xd8"
    markers, pos = [], 2
    while True:
        assert data[pos] == 0xFF
        marker = data[pos + 1]
        if marker == 0xD9:
            assert pos + 2 == len(data), "bytes after EOI"
            return markers
        markers.append(marker)
        (length,) = struct.unpack_from(">H", data, pos + 2)
        pos += 2 + length
        if marker == 0xDA:  # entropy-coded data up to the next real marker
            pos = re.compile(rb"\xff[^\x00\xd0-\xd7]").search(data, pos).start()


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def test_an_app_upload_is_kept_pixel_for_pixel() -> None:
    upload = images.app_jpeg()
    result = process_photo(upload)
    assert _kept(upload, result.web.data)
    assert (result.web.width, result.web.height) == (1600, 1200)
    assert result.source_size == (1600, 1200)
    assert result.web.data.startswith(b"\xff\xd8" + JFIF_HEADER)
    assert len(result.web.data) <= len(upload)
    # The thumbnail is made from the kept stream, upright and at the usual size.
    assert (result.thumb.width, result.thumb.height) == (320, 240)
    thumb = _pixels(result.thumb.data)
    assert tuple(thumb[1, 1]) == pytest.approx(images.RED, abs=40)
    assert tuple(thumb[1, -2]) == pytest.approx(images.BLUE, abs=40)


def _loaded_upload() -> bytes:
    """A JFIF-first progressive JPEG carrying every kind of metadata, inside and around it."""
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = images.exif_block(orientation=1, gps=images.BERLIN, serial="SN-KEPT-0042", make="Pixel")
    buffer = BytesIO()
    images._photo(800, 600).save(
        buffer,
        "JPEG",
        quality=82,
        progressive=True,
        exif=exif,
        icc_profile=icc,
        comment=images.SECRET_COMMENT,
    )
    data = buffer.getvalue()
    # The sender's JFIF header carries a secret (as a JFIF thumbnail could carry a picture).
    assert data[2:4] == b"\xff\xe0"
    (app0_length,) = struct.unpack_from(">H", data, 4)
    app0 = _segment(0xE0, b"JFIF\x00\x01\x02\x00\x00\x01\x00\x01\x00\x00" + SECRET)
    data = data[:2] + app0 + data[4 + app0_length :]
    # An APP segment and a comment between two progressive scans.
    second_scan = data.index(b"\xff\xda", data.index(b"\xff\xda") + 2)
    hidden = _segment(0xE5, b"BETWEEN-SCANS-APP") + _segment(0xFE, b"BETWEEN-SCANS-COM")
    data = data[:second_scan] + hidden + data[second_scan:]
    # And an archive after the end of the image.
    archive = BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("payload.html", b"<script>" + images.POLYGLOT_MARKER + b"</script>")
    return data + archive.getvalue()


def test_a_kept_upload_loses_every_byte_that_is_not_the_image() -> None:
    upload = _loaded_upload()
    result = process_photo(upload)
    assert _kept(upload, result.web.data)  # it took the pass-through, and the pixels are intact
    assert result.gps == pytest.approx(images.BERLIN, abs=1e-5)  # read, not stored
    assert set(_segments(result.web.data)) <= ALLOWED_SEGMENTS
    assert _segments(result.web.data).count(0xE0) == 1
    for needle in (
        SECRET,
        b"Exif",
        b"SN-KEPT-0042",
        b"ICC_PROFILE",
        images.SECRET_COMMENT,
        b"BETWEEN-SCANS",
        images.POLYGLOT_MARKER,
        b"PK\x03\x04",
    ):
        assert needle not in result.web.data, needle
        assert needle not in result.thumb.data, needle


def _cmyk() -> bytes:
    return images.cmyk_jpeg(400, 300)


def _grey() -> bytes:
    buffer = BytesIO()
    images._photo(400, 300).convert("L").save(buffer, "JPEG", quality=82)
    return buffer.getvalue()


def _adobe() -> bytes:
    data = images.app_jpeg(400, 300)
    adobe = _segment(0xEE, b"Adobe\x00\x64\x00\x00\x00\x00\x01")
    return data[:20] + adobe + data[20:]


def _exif_first() -> bytes:
    data = images.app_jpeg(400, 300)
    return data[:2] + _segment(0xE1, images.exif_block(orientation=1)) + data[2:]


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: images.phone_jpeg(1600, 1200, 6, None), id="turned"),
        pytest.param(lambda: images.app_jpeg(2000, 1500), id="larger-than-web"),
        pytest.param(lambda: images.app_jpeg(400, 300, quality=100), id="too-heavy"),
        pytest.param(_cmyk, id="cmyk"),
        pytest.param(_grey, id="greyscale"),
        pytest.param(_adobe, id="adobe-transform"),
        pytest.param(_exif_first, id="no-jfif-header"),
        pytest.param(lambda: images.png_bytes(400, 300), id="png"),
    ],
)
def test_anything_else_is_re_encoded_from_pixels(make) -> None:
    upload = make()
    result = process_photo(upload)
    assert not _kept(upload, result.web.data)
    with Image.open(BytesIO(result.web.data)) as web:
        assert web.mode == "RGB" and max(web.size) <= 1600


def test_the_density_limit_is_what_decides_for_a_heavy_upload() -> None:
    light, heavy = images.app_jpeg(400, 300), images.app_jpeg(400, 300, quality=100)
    assert len(light) <= 400 * 300 * 0.5 < len(heavy)
    assert _kept(light, process_photo(light).web.data)


def test_a_cut_off_upload_is_refused() -> None:
    upload = images.app_jpeg()
    with pytest.raises(PhotoError) as caught:
        process_photo(upload[: len(upload) // 2])
    assert caught.value.code == "truncated"


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda d: d[:-2], id="no-eoi"),
        pytest.param(lambda d: d[:2] + b"\x00" + d[2:], id="junk-after-soi"),
        pytest.param(lambda d: d.replace(b"\xff\xc0", b"\xff\xc9", 1), id="arithmetic-coding"),
        pytest.param(lambda d: d.replace(b"\xff\xdb", b"\xff\xf3\x00\x04ab\xff\xdb", 1), id="jpg3"),
        pytest.param(lambda d: d.replace(b"\xff\xda", b"\xff\xd9\xff\xda", 1), id="eoi-first"),
    ],
)
def test_streams_outside_the_allow_list_are_not_kept(edit) -> None:
    data = edit(images.app_jpeg(160, 120))
    assert jpeg_essentials(data) is None
    assert jpeg_essentials(images.app_jpeg(160, 120)) is not None
