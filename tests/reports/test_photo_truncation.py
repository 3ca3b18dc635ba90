"""A JPEG whose decoder runs out of data before the frame is complete is refused as truncated.

The attack (security round 2, finding 8): a 631-byte JPEG whose frame header claims
7000 x 7000 pixels, whose scan holds 16 x 16 pixels, with an end-of-image marker, was stored
as a flat grey 1600 x 1600 picture: libjpeg fills what is missing with zeros and only warns.
"""

from __future__ import annotations

import io
import re
import struct

import pytest
from PIL import Image, ImageFile

from maengelmelder.reports.photos import PhotoError, process_photo
from tests import images


def _refused(data: bytes) -> str:
    with pytest.raises(PhotoError) as error:
        process_photo(data)
    return error.value.code


@pytest.mark.parametrize("progressive", [False, True], ids=["baseline", "progressive"])
def test_a_frame_far_larger_than_its_scan_is_truncated(
    progressive: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = images.short_scan_jpeg(7000, 7000, progressive=progressive)
    assert len(data) < 1000 and data.endswith(b"\xff\xd9")
    # Refused from the markers alone: Pillow never spends the 49-megapixel decode on it.
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda *a: pytest.fail("decoded"))
    assert _refused(data) == "truncated"


@pytest.mark.parametrize("share", [0.3, 0.9, 0.995])
@pytest.mark.parametrize(
    "params",
    [{}, {"progressive": True}, {"restart_marker_blocks": 4}, {"subsampling": 0}],
    ids=["baseline", "progressive", "restart-markers", "4:4:4"],
)
def test_a_cut_jpeg_with_an_end_marker_added_is_truncated(share: float, params: dict) -> None:
    data = images.jpeg_cut_with_eoi(share, **params)
    assert _refused(data) == "truncated"


def _jpeg(**params: object) -> bytes:
    source = Image.open(io.BytesIO(images.app_jpeg(2000, 1500)))  # re-encoded, never kept
    buffer = io.BytesIO()
    source.save(buffer, "JPEG", quality=88, **params)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "params",
    [{}, {"progressive": True}, {"restart_marker_rows": 1, "progressive": True}],
    ids=["baseline", "progressive", "progressive-restart"],
)
def test_complete_jpegs_are_kept_with_or_without_their_end_marker(params: dict) -> None:
    data = _jpeg(**params)
    whole = process_photo(data)
    # A complete scan needs no end marker; what follows one never reaches the decoder.
    for variant in (data[:-2], data + b"PK\x03\x04" + bytes(200)):
        again = process_photo(variant)
        assert again.web.data == whole.web.data
        assert again.thumb.data == whole.thumb.data


@pytest.mark.parametrize("progressive", [False, True], ids=["baseline", "progressive"])
def test_a_flat_grey_picture_is_not_mistaken_for_a_short_one(progressive: bool) -> None:
    """Mid-grey is what libjpeg fills missing data with; a real grey photo is still fine."""
    buffer = io.BytesIO()
    Image.new("RGB", (2000, 1500), (128, 128, 128)).save(buffer, "JPEG", progressive=progressive)
    result = process_photo(buffer.getvalue())
    assert (result.web.width, result.web.height) == (1600, 1200)


@pytest.mark.parametrize("marker", [0xC3, 0xC9, 0xCA, 0xC5], ids=lambda m: f"SOF{m - 0xC0}")
def test_lossless_arithmetic_and_hierarchical_jpegs_are_not_supported(marker: int) -> None:
    data = bytearray(_jpeg())
    pos = 2
    while data[pos + 1] != 0xC0:
        pos += 2 + struct.unpack_from(">H", data, pos + 2)[0]
    data[pos + 1] = marker
    assert _refused(bytes(data)) == "unsupported_format"


@pytest.mark.parametrize("progressive", [False, True], ids=["baseline", "progressive"])
def test_fill_bytes_before_markers_are_not_mistaken_for_missing_data(progressive: bool) -> None:
    """0xFF fill bytes may stand before any marker; the padding goes before them, not among."""
    data = _jpeg(progressive=progressive)
    scans = data.index(b"\xff\xda") + 2
    filled = data[:scans] + re.sub(
        rb"\xff([\xc4\xda\xd9])", lambda m: b"\xff\xff\xff\xff" + m.group(1), data[scans:]
    )
    assert filled != data
    assert process_photo(filled).web.data == process_photo(data).web.data
