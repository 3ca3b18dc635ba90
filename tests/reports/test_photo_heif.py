"""HEIC (the iPhone's format) and AVIF through the photo pipeline.

The files are made here with pillow-heif and Pillow's own AVIF encoder, with EXIF (an
orientation, GPS, serial numbers) and XMP, as a phone writes them; both encoders store the
orientation as the container's rotation and mirroring (irot, imir), which is what counts.
"""

from __future__ import annotations

import random
import struct
import warnings

import pillow_heif
import pytest
from PIL import Image

from maengelmelder.reports.photos import PhotoError, heif, process_photo, read_gps
from maengelmelder.reports.photos.budget import DEFAULT_DECODE_BUDGET
from maengelmelder.reports.photos.containers import walk_container
from tests import images
from tests.reports.photo_helpers import (
    BLUE,
    EXPECTED_CORNERS,
    RED,
    WHITE,
    _assert_metadata_free,
    _close,
    _corner_colour,
    _open,
)

FORMATS = {
    "HEIF": lambda orientation, **kw: images.heic_photo(800, 600, orientation, **kw),
    "AVIF": lambda orientation, **kw: images.avif_photo(800, 600, orientation, **kw),
}


@pytest.fixture
def no_decoder(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test when any decoder (Pillow, libheif) is asked to open the file."""

    def refuse(*args: object, **kwargs: object) -> None:
        pytest.fail("a decoder was asked to open the file")

    monkeypatch.setattr(Image, "open", refuse)
    monkeypatch.setattr(pillow_heif, "open_heif", refuse)


def with_item_type(data: bytes, old: bytes, new: bytes) -> bytes:
    """A HEIF/AVIF whose first item of type `old` has type `new`."""
    pos = data.find(b"infe")
    while data[pos + 12 : pos + 16] != old:
        pos = data.find(b"infe", pos + 4)
        assert pos > 0
    return data[: pos + 12] + new + data[pos + 16 :]


def _item_types(data: bytes) -> set[bytes]:
    """The item types of a file's item infos (infe, version 2, as both encoders write)."""
    types, pos = set(), data.find(b"infe")
    while pos > 0:
        assert data[pos + 4] == 2
        types.add(data[pos + 12 : pos + 16])
        pos = data.find(b"infe", pos + 4)
    return types


def with_ispe(data: bytes, width: int, height: int) -> bytes:
    """A HEIF/AVIF whose image spatial extents (ispe) declare another size."""
    pos = data.index(b"ispe") + 8  # type, then version and flags
    return data[:pos] + struct.pack(">II", width, height) + data[pos + 8 :]


# --------------------------------------------------------------------------- the iPhone photo


def test_a_12_megapixel_iphone_heic_comes_out_upright_small_and_clean() -> None:
    data = images.heic_photo(4032, 3024, 6)  # a grid of 512-pixel tiles, as iPhones write
    assert data[4:12] == b"ftypheic" and b"grid" in data[:4096]
    result = process_photo(data, max_decode_bytes=DEFAULT_DECODE_BUDGET)
    assert result.source_format == "HEIF"
    assert result.source_size == (3024, 4032)  # portrait, as the phone showed it
    assert (result.web.width, result.web.height) == (1200, 1600)
    assert max(result.thumb.width, result.thumb.height) == 320
    assert result.gps == pytest.approx(images.BERLIN, abs=1e-6)
    for derivative in (result.web, result.thumb):
        _assert_metadata_free(derivative, b"SN123456")
    web = _open(result.web.data)
    marker = 3024 // images.MARKER_SIZE_DIVISOR * 1600 // 4032
    assert _close(_corner_colour(web, "TR", marker // 2), RED)  # stored top-left, turned
    assert _close(_corner_colour(web, "BR", marker // 2), BLUE)


def test_a_12_megapixel_avif_fits_the_default_memory() -> None:
    result = process_photo(images.avif_photo(4032, 3024, 6), max_decode_bytes=DEFAULT_DECODE_BUDGET)
    assert (result.source_format, result.source_size) == ("AVIF", (3024, 4032))
    assert (result.web.width, result.web.height) == (1200, 1600)


# --------------------------------------------------------------------------- orientation


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("orientation", sorted(EXPECTED_CORNERS))
def test_orientation_is_the_containers(fmt: str, orientation: int) -> None:
    data = FORMATS[fmt](orientation)
    # The walk reads back the rotation and mirroring the encoder made of EXIF's number.
    assert heif.walk(data).orientation == orientation
    result = process_photo(data)
    swapped = orientation >= 5
    assert (result.web.width, result.web.height) == ((600, 800) if swapped else (800, 600))
    assert result.source_size == (result.web.width, result.web.height)
    red_corner, blue_corner = EXPECTED_CORNERS[orientation]
    web = _open(result.web.data)
    marker = 600 // images.MARKER_SIZE_DIVISOR
    assert _close(_corner_colour(web, red_corner, marker // 2), RED), orientation
    assert _close(_corner_colour(web, blue_corner, marker // 2), BLUE), orientation


def test_an_untiled_heic_is_taken_too() -> None:
    result = process_photo(images.heic_photo(800, 600, 8, tile=None))
    assert (result.web.width, result.web.height) == (600, 800)
    assert _close(_corner_colour(_open(result.web.data), "BL", 30), RED)


# --------------------------------------------------------------------------- pixels


@pytest.mark.parametrize("fmt", FORMATS)
def test_transparency_is_flattened_on_white(fmt: str) -> None:
    data = FORMATS[fmt](1, alpha=True)
    assert walk_container(data).mode == "RGBA"
    web = _open(process_photo(data).web.data)
    assert _close(web.getpixel((400, 590)), WHITE)  # the transparent bottom quarter
    assert _close(_corner_colour(web, "TL", 30), RED)


def test_a_10_bit_heic_is_decoded_to_8_bits() -> None:
    data = images.heic_photo(800, 600, 1, bits=10)
    assert walk_container(data).bits == 10
    result = process_photo(data)
    assert _close(_corner_colour(_open(result.web.data), "TL", 30), RED)


def test_a_large_heic_is_reduced_while_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """libheif's picture is turned into RGB and reduced a strip at a time: the only full-size
    image in Pillow would be a strip."""
    data = images.heic_photo(4000, 3000, 1, tile=None)
    largest = []
    frombuffer = Image.frombuffer

    def watch(mode, size, *args, **kwargs):
        largest.append(size[0] * size[1])
        return frombuffer(mode, size, *args, **kwargs)

    monkeypatch.setattr(Image, "frombuffer", watch)
    result = process_photo(data)
    assert (result.web.width, result.web.height) == (1600, 1200)
    assert len(largest) > 1 and max(largest) < 4000 * 3000 // 8


# --------------------------------------------------------------------------- metadata


@pytest.mark.parametrize("fmt", FORMATS)
def test_exif_and_xmp_never_reach_a_decoder(fmt: str) -> None:
    data = FORMATS[fmt](6)
    copy = heif.walk(data).data
    assert {b"Exif", b"mime"} <= _item_types(data)
    assert not {b"Exif", b"mime"} & _item_types(copy)
    if fmt == "HEIF":
        decoded = pillow_heif.open_heif(copy)
        assert not decoded.info.get("exif") and not decoded.info.get("xmp")
    result = process_photo(data)
    assert result.gps == pytest.approx(images.BERLIN, abs=1e-6)  # read by our own reader
    for derivative in (result.web, result.thumb):
        _assert_metadata_free(derivative, b"SN123456")


@pytest.mark.parametrize("fmt", FORMATS)
def test_gps_is_read_without_decoding(fmt: str, no_decoder: None) -> None:
    assert read_gps(FORMATS[fmt](6)) == pytest.approx(images.BERLIN, abs=1e-6)
    assert read_gps(FORMATS[fmt](1, gps=None)) is None


def test_pillow_gets_no_heif_opener_registered() -> None:
    process_photo(images.heic_photo(320, 240, 1))
    Image.init()
    assert "HEIF" not in Image.OPEN


# --------------------------------------------------------------------------- hostile


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_header_claiming_too_many_pixels_is_refused_undecoded(fmt: str, no_decoder) -> None:
    data = with_ispe(FORMATS[fmt](1, **({"tile": None} if fmt == "HEIF" else {})), 60000, 60000)
    with pytest.raises(PhotoError) as error:
        process_photo(data)
    assert error.value.code == "too_many_pixels"


def test_a_grid_larger_than_its_ispe_is_measured_by_the_grid(no_decoder) -> None:
    data = images.heic_photo(640, 480, 1)  # a grid: its descriptor is in idat
    grid_at = data.index(b"idat") + 4
    assert struct.unpack_from(">BBBBHH", data, grid_at)[4:] == (640, 480)
    data = data[: grid_at + 4] + struct.pack(">HH", 60000, 60000) + data[grid_at + 8 :]
    with pytest.raises(PhotoError) as error:
        process_photo(data)
    assert error.value.code == "too_many_pixels"


def test_a_24_megapixel_heic_over_the_photo_memory_is_refused_undecoded(no_decoder) -> None:
    """Decoded whole (libheif has no reduced-scale decoding), a 24-megapixel HEIC needs more
    than the default memory per photo; the refusal names the limit for HEIC."""
    data = with_ispe(images.heic_photo(640, 480, 1, tile=None), 5712, 4284)
    with pytest.raises(PhotoError) as error:
        process_photo(data, max_decode_bytes=DEFAULT_DECODE_BUDGET)
    assert error.value.code == "too_many_pixels"
    limit = float(error.value.message["en"].split("At most ")[1].split()[0])
    assert 15 < limit < 24.5


def test_a_heif_holding_a_jpeg_is_not_supported() -> None:
    data = with_item_type(images.heic_photo(320, 240, 1, tile=None), b"hvc1", b"jpeg")
    with pytest.raises(PhotoError) as error:
        process_photo(data)
    assert error.value.code == "unsupported_format"


def test_a_video_is_not_supported() -> None:
    mp4 = struct.pack(">I", 24) + b"ftypisom" + bytes(4) + b"isomiso2" + b"\0\0\0\x08free"
    with pytest.raises(PhotoError) as error:
        process_photo(mp4)
    assert error.value.code == "unsupported_format"


def test_the_refusal_names_the_formats_and_how_to_send_an_iphone_photo() -> None:
    with pytest.raises(PhotoError) as error:
        process_photo(images.tiff_bytes())
    de, en = error.value.message["de"], error.value.message["en"]
    for name in ("JPEG", "HEIC", "AVIF", "PNG", "WebP", "GIF"):
        assert name in de and name in en
    assert "iPhone" in de and "Maximale Kompatibilität" in de
    assert "iPhone" in en and "Most Compatible" in en


@pytest.mark.parametrize("fmt", FORMATS)
def test_cut_and_mutated_files_only_ever_raise_photo_errors(fmt: str) -> None:
    seed = FORMATS[fmt](6)
    rng = random.Random(20261205)
    outcomes = set()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for number in range(60):
            data = bytearray(seed)
            if number % 3:
                # Half of them in the boxes before the pictures' data.
                span = 2048 if number % 2 else len(data)
                for _ in range(rng.randint(1, 6)):
                    data[rng.randrange(span)] = rng.randrange(256)
            else:
                data = data[: rng.randrange(len(data))]
            try:
                outcomes.add(type(process_photo(bytes(data))).__name__)
            except PhotoError as error:
                outcomes.add(error.code)
            read_gps(bytes(data))
    assert "truncated" in outcomes, outcomes


def test_the_cut_first_box_of_a_heic_is_truncated() -> None:
    with pytest.raises(PhotoError) as error:
        process_photo(images.heic_like())
    assert error.value.code == "truncated"


def test_processing_is_the_same_from_several_threads() -> None:
    from concurrent.futures import ThreadPoolExecutor

    inputs = [FORMATS["HEIF"](6), FORMATS["AVIF"](3)] * 3
    expected = [process_photo(data).web.data for data in inputs]
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(lambda d: process_photo(d).web.data, inputs)) == expected
