"""Tests for the photo pipeline (maengelmelder.reports.photos): the phone photo, sizes,
draft decoding, other formats, concurrency and the benchmark."""

from __future__ import annotations

import dataclasses
import hashlib
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image, JpegImagePlugin

from maengelmelder.reports.photos import PhotoError, ProcessedPhoto, process_photo, read_gps
from tests import images
from tests.reports.photo_helpers import (
    BLUE,
    RED,
    SERIAL,
    WHITE,
    _assert_metadata_free,
    _close,
    _corner_colour,
    _open,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------- the phone photo


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
