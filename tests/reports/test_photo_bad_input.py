"""Tests for the photo pipeline (maengelmelder.reports.photos): bad and hostile input,
limits, Pillow's global state and the errors."""

from __future__ import annotations

import pickle
import random
import warnings
from collections.abc import Callable

import pytest
from PIL import Image, ImageFile

from maengelmelder.reports.photos import PhotoError, process_photo, read_gps
from tests import images
from tests.reports.photo_helpers import _assert_metadata_free, _no_warnings

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
