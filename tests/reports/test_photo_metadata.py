"""Tests for the photo pipeline (maengelmelder.reports.photos): the EXIF orientation and
the GPS position."""

from __future__ import annotations

import pytest
from PIL import Image

from maengelmelder.reports.photos import process_photo, read_gps
from tests import images
from tests.reports.photo_helpers import BLUE, EXPECTED_CORNERS, RED, _close, _corner_colour, _open

# --------------------------------------------------------------------------- orientation


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
