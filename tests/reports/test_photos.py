"""Tests for the photo pipeline (maengelmelder.reports.photos)."""

from __future__ import annotations

import dataclasses
import hashlib
import pickle
import random
import struct
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image, ImageFile, JpegImagePlugin

from maengelmelder.reports.photos import (
    Derivative,
    PhotoError,
    ProcessedPhoto,
    process_photo,
    read_gps,
)
from tests import images

REPO_ROOT = Path(__file__).resolve().parents[2]
SERIAL = "SN123456"
RED = (255, 0, 0)
BLUE = (0, 0, 255)
WHITE = (255, 255, 255)


# --------------------------------------------------------------------------- helpers


def _open(data: bytes) -> Image.Image:
    image = Image.open(BytesIO(data))
    image.load()
    return image


def _close(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 40) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def _jpeg_markers(data: bytes) -> list[int]:
    """Marker codes from SOI up to and including SOS."""
    assert data[:2] == b"\xff\xd8"
    markers, pos = [], 2
    while True:
        assert data[pos] == 0xFF
        marker = data[pos + 1]
        markers.append(marker)
        if marker == 0xDA:
            return markers
        (length,) = struct.unpack_from(">H", data, pos + 2)
        pos += 2 + length


def _assert_metadata_free(derivative: Derivative, *secrets: bytes) -> None:
    image = _open(derivative.data)
    assert image.format == "JPEG"
    assert image.mode == "RGB"
    assert image.size == (derivative.width, derivative.height)
    assert len(image.getexif()) == 0
    for key in ("exif", "xmp", "icc_profile", "comment", "adobe"):
        assert key not in image.info, key
    # Structurally: only the JFIF APP0 header; no APP1 (EXIF/XMP), APP2 (ICC/MPF), COM.
    markers = _jpeg_markers(derivative.data)
    assert [m for m in markers if 0xE0 <= m <= 0xEF or m == 0xFE] == [0xE0]
    for needle in (
        b"Exif",
        b"GPS",
        b"ICC_PROFILE",
        b"MPF",
        b"xmpmeta",
        b"http://ns.adobe.com",
        b"2024:05:17",
        b"Erika",
        images.SECRET_COMMENT,
        *secrets,
    ):
        assert needle not in derivative.data, needle


def _corner_colour(image: Image.Image, corner: str, inset: int) -> tuple[int, int, int]:
    x = inset if corner[1] == "L" else image.width - 1 - inset
    y = inset if corner[0] == "T" else image.height - 1 - inset
    return image.getpixel((x, y))  # type: ignore[return-value]


@contextmanager
def _no_warnings() -> Iterator[None]:
    """Fail on any warning, escalated to an error or not (the test process is single-threaded)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    assert [str(w.message) for w in caught] == []


@pytest.fixture
def forbid_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any attempt to open or decode an image with Pillow fail the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        pytest.fail("Pillow was asked to open or decode the file")

    monkeypatch.setattr(Image, "open", refuse)
    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


# --------------------------------------------------------------------------- the phone photo


@pytest.fixture(scope="module")
def phone() -> bytes:
    return images.phone_jpeg(4000, 3000, 6, images.BERLIN, SERIAL)


@pytest.fixture(scope="module")
def processed_phone(phone: bytes) -> ProcessedPhoto:
    return process_photo(phone)


def test_factory_phone_jpeg_is_realistic(phone: bytes) -> None:
    # The input really carries what the pipeline must remove.
    assert 1_500_000 < len(phone) < 8_000_000
    image = Image.open(BytesIO(phone))
    assert image.size == (4000, 3000)
    exif = image.getexif()
    assert exif[0x0112] == 6
    assert exif.get_ifd(0x8769)[0xA431] == SERIAL
    gps = exif.get_ifd(0x8825)
    assert gps[1] == "N" and gps[3] == "E"
    assert {"exif", "xmp", "icc_profile", "comment"} <= set(image.info)


def test_phone_jpeg_sizes_are_portrait_after_rotation(
    phone: bytes, processed_phone: ProcessedPhoto
) -> None:
    result = processed_phone
    assert (result.web.width, result.web.height) == (1200, 1600)
    assert (result.thumb.width, result.thumb.height) == (240, 320)
    assert _open(result.web.data).size == (1200, 1600)
    assert _open(result.thumb.data).size == (240, 320)
    assert result.source_format == "JPEG"
    assert result.source_size == (3000, 4000)
    assert result.sha256 == hashlib.sha256(phone).hexdigest()


def test_phone_jpeg_outputs_carry_no_metadata(processed_phone: ProcessedPhoto) -> None:
    for derivative in (processed_phone.web, processed_phone.thumb):
        _assert_metadata_free(derivative, SERIAL.encode(), b"Pixel")


def test_phone_jpeg_gps_is_read(phone: bytes, processed_phone: ProcessedPhoto) -> None:
    lon, lat = images.BERLIN
    assert processed_phone.gps == pytest.approx((lon, lat), abs=1e-6)
    assert read_gps(phone) == pytest.approx((lon, lat), abs=1e-6)


def test_phone_jpeg_rotation_moves_the_corner_markers(processed_phone: ProcessedPhoto) -> None:
    # Stored top-left red / top-right blue; orientation 6 turns them right and bottom-right.
    web = _open(processed_phone.web.data)
    assert _close(_corner_colour(web, "TR", 60), RED)
    assert _close(_corner_colour(web, "BR", 60), BLUE)
    assert not _close(_corner_colour(web, "TL", 60), RED)


def test_results_are_frozen(processed_phone: ProcessedPhoto) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        processed_phone.gps = None  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        processed_phone.web.width = 1  # type: ignore[misc]


# --------------------------------------------------------------------------- orientation

# Where the stored top-left (red) and top-right (blue) markers must end up.
EXPECTED_CORNERS = {
    1: ("TL", "TR"),
    2: ("TR", "TL"),
    3: ("BR", "BL"),
    4: ("BL", "BR"),
    5: ("TL", "BL"),
    6: ("TR", "BR"),
    7: ("BR", "TR"),
    8: ("BL", "TL"),
}


@pytest.mark.parametrize("orientation", sorted(EXPECTED_CORNERS))
def test_orientation_is_applied(orientation: int) -> None:
    result = process_photo(images.phone_jpeg(800, 600, orientation, None))
    swapped = orientation >= 5
    assert (result.web.width, result.web.height) == ((600, 800) if swapped else (800, 600))
    assert result.source_size == (result.web.width, result.web.height)
    red_corner, blue_corner = EXPECTED_CORNERS[orientation]
    web = _open(result.web.data)
    marker = 600 // images.MARKER_SIZE_DIVISOR
    assert _close(_corner_colour(web, red_corner, marker // 2), RED)
    assert _close(_corner_colour(web, blue_corner, marker // 2), BLUE)
    thumb = _open(result.thumb.data)
    assert _close(_corner_colour(thumb, red_corner, marker // 5), RED)


def test_invalid_orientation_is_ignored() -> None:
    result = process_photo(images.phone_jpeg(800, 600, 99, None))
    assert (result.web.width, result.web.height) == (800, 600)
    assert _close(_corner_colour(_open(result.web.data), "TL", 30), RED)


def test_orientation_from_png_exif_is_applied() -> None:
    exif = images.exif_block(orientation=8, gps=(9.993682, 53.551086))  # Hamburg
    result = process_photo(images.png_bytes(400, 200, "RGB", exif=exif))
    assert (result.web.width, result.web.height) == (200, 400)
    assert result.gps == pytest.approx((9.993682, 53.551086), abs=1e-6)


# --------------------------------------------------------------------------- sizes


@pytest.mark.parametrize(
    ("size", "web", "thumb"),
    [
        ((640, 480), (640, 480), (320, 240)),
        ((100, 50), (100, 50), (100, 50)),
        ((1600, 900), (1600, 900), (320, 180)),
        ((1601, 1000), (1600, 999), (320, 200)),
        ((300, 320), (300, 320), (300, 320)),
    ],
)
def test_small_images_are_not_upscaled(
    size: tuple[int, int], web: tuple[int, int], thumb: tuple[int, int]
) -> None:
    result = process_photo(images.phone_jpeg(*size, 1, None))
    assert (result.web.width, result.web.height) == web
    assert (result.thumb.width, result.thumb.height) == thumb


def test_custom_long_sides_and_quality() -> None:
    data = images.phone_jpeg(1200, 900, 1, None)
    small = process_photo(data, web_long_side=600, thumb_long_side=100, quality=40)
    assert (small.web.width, small.web.height) == (600, 450)
    assert (small.thumb.width, small.thumb.height) == (100, 75)
    assert len(small.web.data) < len(process_photo(data, web_long_side=600).web.data)


def test_extreme_aspect_ratio_never_reaches_zero_pixels() -> None:
    result = process_photo(images.extreme_aspect_png())
    assert result.source_size == (70_000, 4)
    assert (result.web.width, result.web.height) == (1600, 1)
    assert (result.thumb.width, result.thumb.height) == (320, 1)


def test_invalid_arguments_are_programming_errors() -> None:
    with pytest.raises(ValueError) as error:
        process_photo(images.png_bytes(), web_long_side=0)
    assert not isinstance(error.value, PhotoError)


# --------------------------------------------------------------------------- draft mode


@pytest.mark.parametrize(
    ("web_long_side", "requested", "decoded"),
    [
        (1600, (1600, 1200), (2000, 1500)),  # 1/2 scale: just above the web size
        (1000, (1000, 750), (1000, 750)),  # 1/4
        (500, (500, 375), (500, 375)),  # 1/8
        (300, (300, 225), (500, 375)),  # libjpeg cannot go below 1/8
        (4000, (4000, 3000), (4000, 3000)),  # nothing to gain
    ],
)
def test_jpeg_is_decoded_at_reduced_scale(
    monkeypatch: pytest.MonkeyPatch,
    phone: bytes,
    web_long_side: int,
    requested: tuple[int, int],
    decoded: tuple[int, int],
) -> None:
    drafts: list[tuple[str | None, tuple[int, int] | None]] = []
    resized_from: list[tuple[int, int]] = []
    original_draft = JpegImagePlugin.JpegImageFile.draft
    original_resize = Image.Image.resize

    def spy_draft(self, mode, size):  # type: ignore[no-untyped-def]
        drafts.append((mode, size))
        return original_draft(self, mode, size)

    def spy_resize(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        resized_from.append(self.size)
        return original_resize(self, *args, **kwargs)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy_draft)
    monkeypatch.setattr(Image.Image, "resize", spy_resize)

    result = process_photo(phone, web_long_side=web_long_side)

    assert drafts == [("RGB", requested)]
    # The first resize works on the decoded image (libjpeg already scaled it down), the
    # second makes the thumbnail from the web image rather than from the decode.
    web_size = (result.web.width, result.web.height)
    assert resized_from == [decoded] + ([web_size] if max(web_size) > 320 else [])
    assert (result.web.height, result.web.width) == requested  # portrait after rotation
    assert result.source_size == (3000, 4000)


def test_png_is_not_drafted(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    monkeypatch.setattr(Image.Image, "draft", lambda self, *args: calls.append(args))
    process_photo(images.png_bytes())
    assert calls == []


# --------------------------------------------------------------------------- other formats


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P"])
def test_png_transparency_is_flattened_on_white(mode: str) -> None:
    result = process_photo(images.png_bytes(640, 480, mode))
    assert result.source_format == "PNG"
    web = _open(result.web.data)
    assert _close(web.getpixel((20, 240)), WHITE, 8)  # transparent black -> white
    # The opaque half is (0, 128, 255); as LA it is grey with luma 0.587*128 + 0.114*255.
    expected = (104, 104, 104) if mode == "LA" else (0, 128, 255)
    assert _close(web.getpixel((600, 240)), expected, 12)


def test_png_16_bit_grey_is_scaled_not_clipped() -> None:
    result = process_photo(images.png16_bytes(512, 64))
    web = _open(result.web.data)
    left, middle, right = (web.getpixel((x, 32))[0] for x in (2, 256, 509))
    assert left <= 6
    assert 115 <= middle <= 140  # clipping would give 255 almost everywhere
    assert right >= 249
    assert sorted(web.getpixel((x, 32))[0] for x in range(0, 512, 32)) == [
        web.getpixel((x, 32))[0] for x in range(0, 512, 32)
    ]


def test_png_16_bit_rgb() -> None:
    result = process_photo(images.png16_bytes(512, 64, colour=True))
    web = _open(result.web.data)
    assert 115 <= web.getpixel((256, 32))[1] <= 140


def test_cmyk_jpeg_is_converted_to_rgb() -> None:
    result = process_photo(images.cmyk_jpeg(400, 300))
    web = _open(result.web.data)
    assert web.mode == "RGB"
    assert _close(web.getpixel((50, 150)), (0, 255, 255))  # cyan
    assert _close(web.getpixel((350, 150)), (255, 255, 0))  # yellow


def test_animated_gif_uses_the_first_frame() -> None:
    data = images.animated_gif(120, 90)
    assert Image.open(BytesIO(data)).n_frames == 3
    result = process_photo(data)
    assert result.source_format == "GIF"
    assert (result.web.width, result.web.height) == (120, 90)
    assert _close(_open(result.web.data).getpixel((60, 45)), RED, 10)
    _assert_metadata_free(result.web)


def test_webp() -> None:
    result = process_photo(images.webp_bytes(800, 600))
    assert result.source_format == "WEBP"
    assert result.source_size == (800, 600)
    assert _close(_corner_colour(_open(result.web.data), "TL", 30), RED)


def test_webp_lossless_with_alpha_is_flattened() -> None:
    result = process_photo(images.webp_bytes(200, 100, lossless=True, alpha=True))
    assert _close(_open(result.web.data).getpixel((100, 90)), WHITE, 8)


def test_webp_exif_orientation_and_gps_are_used() -> None:
    exif = images.exif_block(orientation=6, gps=(11.5755, 48.137))  # München
    data = images.webp_bytes(400, 300, exif=exif)
    result = process_photo(data)
    assert (result.web.width, result.web.height) == (300, 400)
    assert result.gps == pytest.approx((11.5755, 48.137), abs=1e-6)
    assert read_gps(data) == result.gps
    _assert_metadata_free(result.web, SERIAL.encode())


def test_multi_picture_jpeg_is_treated_as_jpeg() -> None:
    data = images.mpo_jpeg(640, 480)
    assert Image.open(BytesIO(data)).format == "MPO"  # what Pillow would make of it
    result = process_photo(data)
    assert result.source_format == "JPEG"
    assert (result.web.width, result.web.height) == (640, 480)
    _assert_metadata_free(result.web)


def test_progressive_and_greyscale_jpeg() -> None:
    image = Image.new("L", (3300, 2000), 90)
    buffer = BytesIO()
    image.save(buffer, "JPEG", progressive=True)
    result = process_photo(buffer.getvalue())
    assert (result.web.width, result.web.height) == (1600, 970)
    assert _close(_open(result.web.data).getpixel((800, 500)), (90, 90, 90), 3)


def test_bytearray_and_memoryview_inputs() -> None:
    data = images.png_bytes(64, 48)
    expected = process_photo(data)
    assert process_photo(bytearray(data)) == expected
    assert process_photo(memoryview(data)) == expected  # type: ignore[arg-type]


# --------------------------------------------------------------------------- GPS


def _gps_jpeg(entries: list[images.Entry]) -> bytes:
    return images.jpeg_with_exif(images.exif_block(gps_entries=entries))


def _gps_entries(
    lat: list[tuple[int, int]], lon: list[tuple[int, int]], lat_ref: str = "N", lon_ref: str = "E"
) -> list[images.Entry]:
    entries = [images.rational_entry(2, *lat), images.rational_entry(4, *lon)]
    if lat_ref:
        entries.append(images.ascii_entry(1, lat_ref))
    if lon_ref:
        entries.append(images.ascii_entry(3, lon_ref))
    return entries


def test_gps_southern_and_western_hemisphere() -> None:
    rio = (-43.1729, -22.9068)
    data = images.jpeg_with_exif(images.exif_block(gps=rio))
    assert read_gps(data) == pytest.approx(rio, abs=1e-6)
    assert process_photo(data).gps == pytest.approx(rio, abs=1e-6)


def test_gps_little_endian_exif_written_by_pillow() -> None:
    exif = Image.Exif()
    exif.endian = "<"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (48.0, 8.0, 13.2), 3: "E", 4: (11.0, 34.0, 31.8)})
    data = images.jpeg_with_exif(exif.tobytes())
    assert data.find(b"II*\x00") > 0
    assert read_gps(data) == pytest.approx((11.5755, 48.137), abs=1e-6)


DMS_52 = [(52, 1), (31, 1), (0, 1)]
DMS_13 = [(13, 1), (24, 1), (0, 1)]


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        (_gps_entries(DMS_52, DMS_13), (13.4, 52.516667)),
        (_gps_entries([(52_516_667, 1_000_000)], [(134, 10)]), (13.4, 52.516667)),
        (_gps_entries(DMS_52, DMS_13, "s", "w"), (-13.4, -52.516667)),
        (_gps_entries(DMS_52, DMS_13, "", "E"), None),  # hemisphere unknown
        (_gps_entries(DMS_52, DMS_13, "X", "E"), None),
        (_gps_entries([(52, 0), (31, 1), (0, 1)], DMS_13), None),  # zero denominator
        (_gps_entries([(91, 1), (0, 1), (0, 1)], DMS_13), None),
        (_gps_entries(DMS_52, [(181, 1), (0, 1), (0, 1)]), None),
        (_gps_entries(DMS_52, [(13, 1), (75, 1), (0, 1)]), None),  # 75 minutes
        (_gps_entries([(0, 1), (0, 1), (0, 1)], [(0, 1), (0, 1), (0, 1)]), None),  # no fix
        ([*_gps_entries(DMS_52, DMS_13), images.ascii_entry(9, "V")], None),  # void
        ([images.ascii_entry(1, "N"), images.ascii_entry(2, "52.5")], None),  # wrong type
        ([], None),
    ],
)
def test_gps_edge_cases(entries: list[images.Entry], expected: tuple[float, float] | None) -> None:
    data = _gps_jpeg(entries)
    if expected is None:
        assert read_gps(data) is None
        assert process_photo(data).gps is None
    else:
        assert read_gps(data) == pytest.approx(expected, abs=1e-6)


def test_no_gps_when_absent() -> None:
    assert process_photo(images.phone_jpeg(320, 240, 1, None)).gps is None
    assert read_gps(images.png_bytes()) is None
    assert read_gps(images.animated_gif()) is None


def test_read_gps_does_not_decode_pixels(phone: bytes, forbid_decoding: None) -> None:
    assert read_gps(phone) == pytest.approx(images.BERLIN, abs=1e-6)


# --------------------------------------------------------------------------- bad input

BAD_INPUTS: list[tuple[Callable[[], bytes], str]] = [
    (images.zero_bytes, "empty"),
    (images.text_as_jpg, "not_an_image"),
    (images.svg_bytes, "not_an_image"),
    (images.html_bytes, "not_an_image"),
    (lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "not_an_image"),
    (lambda: b"\x00", "not_an_image"),
    (images.truncated_jpeg, "truncated"),
    (lambda: images.phone_jpeg(320, 240, 1)[:300], "truncated"),  # cut inside the header
    (lambda: images.png_bytes()[:-30], "truncated"),
    (lambda: images.png16_bytes()[:200], "truncated"),
    (lambda: images.animated_gif()[:40], "truncated"),
    (lambda: images.webp_bytes(64, 48)[:200], "truncated"),
    (lambda: b"\xff\xd8\xff" + b"garbage" * 10, "truncated"),
    (images.decompression_bomb, "too_many_pixels"),
    (images.oversized_dimension_png, "too_many_pixels"),
    (images.bmp_bytes, "unsupported_format"),
    (images.tiff_bytes, "unsupported_format"),
    (images.ico_bytes, "unsupported_format"),
    (images.psd_header, "unsupported_format"),
    (images.heic_like, "truncated"),  # the first box of a HEIC, nothing of the rest
]


@pytest.mark.parametrize(("factory", "code"), BAD_INPUTS)
def test_bad_inputs_are_refused_with_the_right_code(
    factory: Callable[[], bytes], code: str
) -> None:
    data = factory()
    with _no_warnings(), pytest.raises(PhotoError) as error:
        process_photo(data)
    assert error.value.code == code
    assert error.value.status == 422
    assert list(error.value.message) == ["de", "en"]
    assert all(text.strip() for text in error.value.message.values())
    assert error.value.message["de"] != error.value.message["en"]
    assert isinstance(error.value, ValueError)
    assert read_gps(data) is None or code == "truncated"


def test_not_an_image_message_is_plain_language() -> None:
    with pytest.raises(PhotoError) as error:
        process_photo(images.text_as_jpg())
    assert error.value.message["de"].startswith("Die Datei ist kein Bild.")
    assert error.value.message["en"].startswith("The file is not an image.")


def test_too_large_is_checked_before_anything_else(forbid_decoding: None) -> None:
    data = images.decompression_bomb()
    with pytest.raises(PhotoError) as error:
        process_photo(data, max_bytes=len(data) - 1)
    assert error.value.code == "too_large"
    assert error.value.status == 413
    with pytest.raises(PhotoError) as error:
        process_photo(b"x" * (15 * 1024 * 1024 + 1))
    assert error.value.code == "too_large"
    assert "15 MB" in error.value.message["de"]
    assert "15 MB" in error.value.message["en"]


@pytest.mark.parametrize("side", [20_000, 10_000, 8_000])
def test_bomb_is_refused_before_pillow_sees_it(side: int, forbid_decoding: None) -> None:
    # 20000^2 exceeds Pillow's error limit, 10000^2 its warning limit, 8000^2 only ours.
    data = images.decompression_bomb(side, side)
    assert len(data) < 100_000
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(PhotoError) as error:
            process_photo(data)
    assert error.value.code == "too_many_pixels"
    assert "50 Megapixel" in error.value.message["de"]


def test_bomb_emits_no_warnings() -> None:
    with _no_warnings(), pytest.raises(PhotoError):
        process_photo(images.decompression_bomb(10_000, 10_000))


def test_pixel_limit_is_a_parameter() -> None:
    data = images.png_bytes(640, 480)
    with pytest.raises(PhotoError) as error:
        process_photo(data, max_pixels=640 * 480 - 1)
    assert error.value.code == "too_many_pixels"
    assert process_photo(data, max_pixels=640 * 480).web.width == 640


def test_pillow_global_limit_is_honoured_but_not_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    # 120,000 pixels: above Pillow's warning threshold, below its error threshold (2x).
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100_000)
    with _no_warnings(), pytest.raises(PhotoError) as error:
        process_photo(images.png_bytes(400, 300))
    assert error.value.code == "too_many_pixels"
    assert Image.MAX_IMAGE_PIXELS == 100_000


def test_pillow_bomb_exceptions_become_too_many_pixels(monkeypatch: pytest.MonkeyPatch) -> None:
    # E.g. a warning escalated by the host application's filters.
    for exception in (Image.DecompressionBombError, Image.DecompressionBombWarning):

        def explode(*args: object, exception: type[Exception] = exception, **kwargs: object):
            raise exception("bomb")

        monkeypatch.setattr(Image, "open", explode)
        with pytest.raises(PhotoError) as error:
            process_photo(images.png_bytes())
        assert error.value.code == "too_many_pixels"


def test_pillow_global_state_is_untouched() -> None:
    before = (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES, list(warnings.filters))
    for factory, _code in BAD_INPUTS:
        with pytest.raises(PhotoError):
            process_photo(factory())
    process_photo(images.exif_bomb())
    after = (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES, list(warnings.filters))
    assert after == before


def test_polyglot_payload_does_not_survive() -> None:
    data = images.polyglot()
    assert images.POLYGLOT_MARKER in data and b"PK\x03\x04" in data
    result = process_photo(data)
    assert result.source_format == "JPEG"
    for derivative in (result.web, result.thumb):
        for needle in (images.POLYGLOT_MARKER, b"PK\x03\x04", b"payload.html", b"<script"):
            assert needle not in derivative.data
        _assert_metadata_free(derivative)


def test_exif_bomb_is_harmless() -> None:
    data = images.exif_bomb()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = process_photo(data)
        assert read_gps(data) is None
    assert result.gps is None
    assert (result.web.width, result.web.height) == (640, 480)  # orientation 99 ignored
    _assert_metadata_free(result.web)


def test_exif_bomb_is_silent() -> None:
    with _no_warnings():
        process_photo(images.exif_bomb())


@pytest.mark.parametrize("factory", [images.jpeg_segment_flood, images.gif_sub_block_flood])
def test_structure_floods_are_refused_early(
    factory: Callable[[], bytes], forbid_decoding: None
) -> None:
    # Millions of empty segments/sub-blocks: refused by the walk, long before Pillow.
    with pytest.raises(PhotoError) as error:
        process_photo(factory())
    assert error.value.code == "truncated"


def test_photo_error_pickles() -> None:
    with pytest.raises(PhotoError) as caught:
        process_photo(b"x" * (15 * 1024 * 1024 + 1))
    error = caught.value
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.code, copy.message, copy.status) == (error.code, error.message, 413)
    assert str(copy) == str(error) == "too_large: The file is too large. At most 15 MB are allowed."


def test_unknown_error_code_is_rejected() -> None:
    with pytest.raises(ValueError):
        PhotoError("nope")


def test_mutated_files_only_ever_raise_photo_errors() -> None:
    rng = random.Random(20240517)
    seeds = [
        images.phone_jpeg(160, 120, 6),
        images.app_jpeg(160, 120),
        images.png_bytes(32, 24, "P"),
        images.png16_bytes(32, 4),
        images.animated_gif(20, 10),
        images.webp_bytes(32, 24),
        images.webp_bytes(32, 24, lossless=True, alpha=True),
        images.mpo_jpeg(32, 24),
    ]
    outcomes = set()
    with _no_warnings():
        for seed in seeds:
            for _ in range(40):
                data = bytearray(seed)
                if rng.random() < 0.6:
                    for _ in range(rng.randint(1, 6)):
                        data[rng.randrange(len(data))] = rng.randrange(256)
                else:
                    data = data[: rng.randrange(len(data))]
                try:
                    outcomes.add(type(process_photo(bytes(data))).__name__)
                except PhotoError as error:
                    outcomes.add(error.code)
                read_gps(bytes(data))
    assert "ProcessedPhoto" in outcomes and "truncated" in outcomes


# --------------------------------------------------------------------------- concurrency


def test_concurrent_calls_give_the_same_results() -> None:
    inputs = [
        images.phone_jpeg(900, 700, 6),
        images.png_bytes(),
        images.webp_bytes(300, 200),
        images.animated_gif(),
        images.cmyk_jpeg(),
        images.text_as_jpg(),
        images.decompression_bomb(),
    ] * 3

    def outcome(data: bytes) -> object:
        try:
            return process_photo(data)
        except PhotoError as error:
            return error.code

    sequential = [outcome(data) for data in inputs]
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(outcome, inputs))
    assert parallel == sequential


# --------------------------------------------------------------------------- benchmark


def test_benchmark_quick_mode_runs() -> None:
    completed = subprocess.run(
        [sys.executable, str(REPO_ROOT / "benchmarks" / "photos.py"), "--quick"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "speed-up" in completed.stdout
