"""Helpers shared by the photo pipeline tests: opening and comparing results, checking
that derivatives carry no metadata, and where the orientation moves the corner markers."""

from __future__ import annotations

import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO

from PIL import Image

from maengelmelder.reports.photos import Derivative
from tests import images

SERIAL = "SN123456"
RED = (255, 0, 0)
BLUE = (0, 0, 255)
WHITE = (255, 255, 255)


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
