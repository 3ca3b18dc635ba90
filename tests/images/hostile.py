"""Bad inputs: truncated and lying JPEGs, bombs, polyglots, hostile metadata, floods and
files that are no image at all."""

from __future__ import annotations

import struct
import zipfile
import zlib
from functools import lru_cache
from io import BytesIO

from PIL import Image

from .metadata import ASCII, LONG, RATIONAL, SHORT, UNDEFINED
from .photos import animated_gif, phone_jpeg
from .pixels import _jpeg, _photo, _png

POLYGLOT_MARKER = b"POLYGLOT-PAYLOAD-7f3a"


# --------------------------------------------------------------------------- bad inputs


def truncated_jpeg() -> bytes:
    """A phone JPEG cut off in the middle of its scan data."""
    data = phone_jpeg(1200, 900, 1)
    return data[: len(data) * 6 // 10]


def short_scan_jpeg(width: int = 7000, height: int = 7000, progressive: bool = False) -> bytes:
    """A ~630-byte JPEG whose frame header claims width x height pixels while its scan holds
    the coded data of 16 x 16 pixels, followed by an end-of-image marker."""
    data = bytearray(_jpeg(Image.new("RGB", (16, 16), (200, 30, 30)), progressive=progressive))
    pos = 2
    while data[pos + 1] not in (0xC0, 0xC1, 0xC2):
        pos += 2 + struct.unpack_from(">H", data, pos + 2)[0]
    struct.pack_into(">HH", data, pos + 5, height, width)
    return bytes(data)


@lru_cache(maxsize=8)
def jpeg_cut_with_eoi(share: float = 0.9, progressive: bool = False, **params: object) -> bytes:
    """A 2400 x 1800 photo JPEG cut off within its coded data, with an end-of-image marker
    added after the cut, as if it were complete."""
    data = _jpeg(_photo(2400, 1800), quality=90, progressive=progressive, **params)
    return data[: int(len(data) * share)] + b"\xff\xd9"


@lru_cache(maxsize=4)
def transparent_png(width: int = 7000, height: int = 7000) -> bytes:
    """A fully valid, fully transparent RGBA PNG (width x height) of under 200 KB."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + 4 * width)
    rows_per_piece = max(1, 4_000_000 // len(row))
    pieces = []
    for first in range(0, height, rows_per_piece):
        pieces.append(compressor.compress(row * min(rows_per_piece, height - first)))
    pieces.append(compressor.flush())
    return _png(width, height, 8, 6, b"".join(pieces))


def text_as_jpg() -> bytes:
    """Plain text, as if someone renamed a .txt to .jpg."""
    return (
        "Sehr geehrte Damen und Herren,\n"
        "in der Hauptstraße 12 ist seit Wochen die Laterne kaputt.\n"
        "Mit freundlichen Grüßen\n"
    ).encode()


def svg_bytes() -> bytes:
    """An SVG (vector, and a classic script carrier)."""
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
        b'<rect width="100" height="100" fill="red"/>'
        b"<script>alert(document.cookie)</script></svg>\n"
    )


def html_bytes() -> bytes:
    """An HTML page."""
    return b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


def zero_bytes() -> bytes:
    """An empty upload."""
    return b""


@lru_cache(maxsize=8)
def decompression_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A fully valid 1-bit black PNG of width x height pixels that compresses to ~50 KB."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + (width + 7) // 8)
    rows_per_piece = max(1, 4_000_000 // len(row))
    pieces = []
    for first in range(0, height, rows_per_piece):
        pieces.append(compressor.compress(row * min(rows_per_piece, height - first)))
    pieces.append(compressor.flush())
    return _png(width, height, 1, 0, b"".join(pieces))


def oversized_dimension_png() -> bytes:
    """A PNG header declaring 2^31-1 x 2^31-1 pixels (the PNG maximum), with no real data."""
    side = 2**31 - 1
    return _png(side, side, 8, 2, zlib.compress(b"\x00" * 64))


def polyglot() -> bytes:
    """A valid JPEG with HTML in a COM segment and a ZIP (with HTML) appended after EOI."""
    jpeg = phone_jpeg(640, 480, 1, None)
    html = b"<html><script>alert('" + POLYGLOT_MARKER + b"')</script></html>"
    comment = b"\xff\xfe" + struct.pack(">H", len(html) + 2) + html
    archive = BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("payload.html", html)
    return jpeg[:2] + comment + jpeg[2:] + archive.getvalue()


@lru_cache(maxsize=1)
def exif_bomb() -> bytes:
    """A valid small JPEG whose metadata is hostile.

    * an APP1 EXIF segment of ~64 KB whose IFD0 claims 65,535 entries, contains
      orientation 99, a 4-billion-element tag, offsets past the end, a GPS IFD pointer
      back to IFD0 (a cycle), and a "next IFD" pointing at itself;
    * a second EXIF segment with a GPS IFD full of zero denominators and garbage refs;
    * a malformed MPF (APP2) segment and an XMP segment of random bytes.
    """
    ifd0_offset = 8
    entries = [
        struct.pack(">HHII", 0x0112, SHORT, 1, 99 << 16),  # orientation 99
        struct.pack(">HHII", 0x0112, LONG, 0xFFFFFFFF, 0x7FFFFFF0),  # duplicate, absurd
        struct.pack(">HHII", 0x8825, LONG, 1, ifd0_offset),  # GPS IFD -> IFD0 (cycle)
        struct.pack(">HHII", 0x8769, LONG, 1, 0xFFFFFFF0),  # Exif IFD beyond the end
        struct.pack(">HHII", 0x0002, RATIONAL, 0x20000000, 0xFFFFFF00),  # huge & beyond
        struct.pack(">HHII", 0x927C, UNDEFINED, 40_000, 0x200),  # "MakerNote"
        struct.pack(">HHII", 0x010F, 99, 8, 0x10),  # unknown field type
    ]
    body = b"".join(entries) * 800  # ~67 KB would overflow a segment; trimmed below
    tiff = b"MM\x00\x2a" + struct.pack(">I", ifd0_offset) + struct.pack(">H", 0xFFFF) + body
    tiff = tiff[:65_000]
    first = b"Exif\x00\x00" + tiff

    gps_ifd_entries = [
        struct.pack(">HHI", 0x0001, ASCII, 2) + b"X\x00\x00\x00",
        struct.pack(">HHII", 0x0002, RATIONAL, 3, 8 + 2 + 12 * 4 + 4),
        struct.pack(">HHI", 0x0003, ASCII, 2) + b"\xff\x00\x00\x00",
        struct.pack(">HHII", 0x0004, RATIONAL, 3, 8 + 2 + 12 * 4 + 4),
    ]
    gps_ifd = struct.pack(">H", 4) + b"".join(gps_ifd_entries) + struct.pack(">I", 8)
    second_tiff = (
        b"MM\x00\x2a"
        + struct.pack(">I", 8)
        + gps_ifd  # doubles as IFD0 (GPS pointer below) and the GPS IFD
        + struct.pack(">6I", 52, 0, 31, 0, 0, 0)
    )
    second = b"Exif\x00\x00" + second_tiff
    mpf = b"MPF\x00" + b"MM\x00\x2a" + struct.pack(">I", 8) + b"\xff" * 64
    xmp = b"http://ns.adobe.com/xap/1.0/\x00" + bytes(range(256)) * 40

    def segment(marker: int, payload: bytes) -> bytes:
        return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload

    jpeg = _jpeg(_photo(640, 480), quality=85)
    return (
        jpeg[:2]
        + segment(0xE1, first)
        + segment(0xE1, second)
        + segment(0xE2, mpf)
        + segment(0xE1, xmp)
        + jpeg[2:]
    )


def jpeg_segment_flood(size: int = 14 * 1024 * 1024) -> bytes:
    """A JPEG with millions of empty comment segments before its (valid) image data."""
    jpeg = phone_jpeg(160, 120, 1, None)
    return jpeg[:2] + b"\xff\xfe\x00\x02" * (size // 4) + jpeg[2:]


def gif_sub_block_flood(size: int = 14 * 1024 * 1024) -> bytes:
    """A GIF whose first extension is a chain of millions of 1-byte sub-blocks."""
    gif = animated_gif(20, 10)
    flags = gif[10]
    first_block = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    flood = b"!\xfe" + b"\x01x" * (size // 2) + b"\x00"
    return gif[:first_block] + flood + gif[first_block:]
