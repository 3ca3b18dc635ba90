"""Test-image factory: every function returns the bytes of one (possibly hostile) upload.

Metadata is written by hand (``exif_block``) rather than with Pillow, so tests of the EXIF
reader do not merely check Pillow against itself. Big images are cached; all results are
immutable ``bytes`` and deterministic.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from functools import lru_cache
from io import BytesIO

import numpy as np
from PIL import Image, ImageDraw

__all__ = [
    "BERLIN",
    "MARKER_SIZE_DIVISOR",
    "POLYGLOT_MARKER",
    "SECRET_COMMENT",
    "animated_gif",
    "ascii_entry",
    "avif_bytes",
    "avif_photo",
    "bmp_bytes",
    "cmyk_jpeg",
    "decompression_bomb",
    "dms",
    "exif_block",
    "exif_bomb",
    "extreme_aspect_png",
    "gif_sub_block_flood",
    "heic_like",
    "heic_photo",
    "html_bytes",
    "ico_bytes",
    "jpeg_cut_with_eoi",
    "jpeg_segment_flood",
    "jpeg_with_exif",
    "mpo_jpeg",
    "oversized_dimension_png",
    "phone_jpeg",
    "png16_bytes",
    "png_bytes",
    "polyglot",
    "psd_header",
    "rational_entry",
    "short_entry",
    "short_scan_jpeg",
    "svg_bytes",
    "text_as_jpg",
    "tiff_bytes",
    "transparent_png",
    "truncated_jpeg",
    "webp_bytes",
    "xmp_packet",
    "zero_bytes",
]

BERLIN = (13.377704, 52.516275)  # (lon, lat) of the Brandenburger Tor
# Corner markers are squares of min(width, height) // MARKER_SIZE_DIVISOR pixels.
MARKER_SIZE_DIVISOR = 8
RED = (255, 0, 0)
BLUE = (0, 0, 255)
POLYGLOT_MARKER = b"POLYGLOT-PAYLOAD-7f3a"
SECRET_COMMENT = b"SECRET-COMMENT-e41c"


# --------------------------------------------------------------------------- EXIF writer

# TIFF field types
BYTE, ASCII, SHORT, LONG, RATIONAL, UNDEFINED = 1, 2, 3, 4, 5, 7

Entry = tuple[int, int, int, bytes]  # tag, type, count, value bytes


def ascii_entry(tag: int, text: str) -> Entry:
    """A NUL-terminated ASCII field."""
    raw = text.encode() + b"\x00"
    return tag, ASCII, len(raw), raw


def short_entry(tag: int, value: int) -> Entry:
    """A single SHORT field."""
    return tag, SHORT, 1, struct.pack(">H", value)


def rational_entry(tag: int, *pairs: tuple[int, int]) -> Entry:
    """A RATIONAL field from (numerator, denominator) pairs."""
    return tag, RATIONAL, len(pairs), b"".join(struct.pack(">II", n, d) for n, d in pairs)


def dms(value: float) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    """Degrees as EXIF degree/minute/second rationals (sign dropped; it goes in the ref)."""
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = (value - degrees - minutes / 60) * 3600
    return (degrees, 1), (minutes, 1), (round(seconds * 10_000), 10_000)


def _tiff(
    ifd0: list[Entry],
    sub_ifds: dict[int, list[Entry]] | None = None,
    ifd1: list[Entry] | None = None,
    tail: bytes = b"",
) -> bytes:
    """Lay out a big-endian TIFF structure: IFD0 (+ pointer sub-IFDs) (+ IFD1) (+ tail)."""
    sub_ifds = sub_ifds or {}

    def block_size(entries: list[Entry]) -> int:
        extra = sum(len(value) + (len(value) & 1) for *_, value in entries if len(value) > 4)
        return 2 + 12 * len(entries) + 4 + extra

    pointer_entries = [(tag, LONG, 1, b"\0\0\0\0") for tag in sub_ifds]
    root = sorted(ifd0 + pointer_entries)
    offset = 8 + block_size(root)
    offsets: dict[int, int] = {}
    for tag, entries in sub_ifds.items():
        offsets[tag] = offset
        offset += block_size(entries)
    ifd1_offset = offset if ifd1 else 0
    tail_offset = offset + (block_size(ifd1) if ifd1 else 0)
    root = [
        (tag, kind, count, struct.pack(">I", offsets[tag]) if tag in offsets else value)
        for tag, kind, count, value in root
    ]

    def serialise(entries: list[Entry], at: int, next_ifd: int) -> bytes:
        head = struct.pack(">H", len(entries))
        data = b""
        data_at = at + 2 + 12 * len(entries) + 4
        for tag, kind, count, value in sorted(entries):
            if len(value) > 4:
                head += struct.pack(">HHII", tag, kind, count, data_at + len(data))
                data += value + b"\0" * (len(value) & 1)
            else:
                head += struct.pack(">HHI", tag, kind, count) + value.ljust(4, b"\0")
        return head + struct.pack(">I", next_ifd) + data

    out = b"MM\x00\x2a" + struct.pack(">I", 8) + serialise(root, 8, ifd1_offset)
    for tag, entries in sub_ifds.items():
        out += serialise(entries, offsets[tag], 0)
    if ifd1:
        out += serialise(ifd1, ifd1_offset, 0)
    assert len(out) == tail_offset
    return out + tail


def exif_block(
    *,
    orientation: int | None = 1,
    gps: tuple[float, float] | None = BERLIN,
    serial: str = "SN123456",
    make: str = "Pixel",
    thumbnail: bytes = b"",
    gps_entries: list[Entry] | None = None,
) -> bytes:
    """An APP1/eXIf payload ("Exif\\0\\0" + TIFF) as a phone writes it.

    ``gps_entries`` replaces the GPS IFD built from ``gps`` (for malformed-GPS tests).
    """
    ifd0 = [
        ascii_entry(0x010F, make),
        ascii_entry(0x0110, f"{make} 8 Pro"),
        ascii_entry(0x0131, "HDR+ 1.0.123456789"),
        ascii_entry(0x0132, "2024:05:17 09:41:00"),
        ascii_entry(0xC62F, serial),  # CameraSerialNumber
    ]
    if orientation is not None:
        ifd0.append(short_entry(0x0112, orientation))
    sub_ifds = {
        0x8769: [  # Exif IFD
            ascii_entry(0x9003, "2024:05:17 09:41:00"),
            ascii_entry(0xA430, "Erika Mustermann"),  # CameraOwnerName
            ascii_entry(0xA431, serial),  # BodySerialNumber
            ascii_entry(0xA435, f"L{serial}"),  # LensSerialNumber
            rational_entry(0x829A, (1, 120)),
        ]
    }
    if gps is not None:
        lon, lat = gps
        sub_ifds[0x8825] = [
            (0x0000, BYTE, 4, b"\x02\x02\x00\x00"),
            ascii_entry(0x0001, "N" if lat >= 0 else "S"),
            rational_entry(0x0002, *dms(lat)),
            ascii_entry(0x0003, "E" if lon >= 0 else "W"),
            rational_entry(0x0004, *dms(lon)),
            (0x0005, BYTE, 1, b"\x00"),
            rational_entry(0x0006, (34_500, 1000)),
            ascii_entry(0x001D, "2024:05:17"),
        ]
    if gps_entries is not None:
        sub_ifds[0x8825] = gps_entries
    ifd1 = None
    if thumbnail:
        ifd1 = [
            (0x0201, LONG, 1, b"\0\0\0\0"),  # patched below once the offset is known
            (0x0202, LONG, 1, struct.pack(">I", len(thumbnail))),
        ]
        probe = _tiff(ifd0, sub_ifds, ifd1)
        ifd1[0] = (0x0201, LONG, 1, struct.pack(">I", len(probe)))
    return b"Exif\x00\x00" + _tiff(ifd0, sub_ifds, ifd1, tail=thumbnail)


def xmp_packet(*, serial: str, gps: tuple[float, float] | None, orientation: int) -> bytes:
    """An XMP packet repeating the sensitive EXIF fields, as Google Photos/Lightroom do."""
    position = ""
    if gps is not None:
        position = f' exif:GPSLatitude="{gps[1]:.6f}N" exif:GPSLongitude="{gps[0]:.6f}E"'
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF'
        ' xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:aux="http://ns.adobe.com/exif/1.0/aux/"'
        ' xmlns:exif="http://ns.adobe.com/exif/1.0/"'
        ' xmlns:tiff="http://ns.adobe.com/tiff/1.0/"'
        f' aux:SerialNumber="{serial}" tiff:Orientation="{orientation}"{position}/>'
        '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()


@lru_cache(maxsize=1)
def _srgb_icc() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


# --------------------------------------------------------------------------- pixels


def _photo(width: int, height: int, seed: int = 7) -> Image.Image:
    """Gradient + shapes + noise, so JPEGs are as big as a real phone photo.

    The stored top-left corner holds a pure red square and the top-right a pure blue one,
    so tests can tell where the EXIF orientation moved them.
    """
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 1, width, dtype=np.float32)[None, :]
    y = np.linspace(0, 1, height, dtype=np.float32)[:, None]
    channels = [
        (50 + 110 * x + 40 * y).astype(np.uint8),
        (70 + 90 * y + 30 * x).astype(np.uint8),
        (140 - 70 * y + 40 * x).astype(np.uint8),
    ]
    image = Image.merge(
        "RGB",
        [
            Image.fromarray(np.ascontiguousarray(np.broadcast_to(c, (height, width))))
            for c in channels
        ],
    )
    draw = ImageDraw.Draw(image)
    short = min(width, height)
    for index in range(24):  # a few "potholes" and "signs"
        left, top = int(rng.integers(0, width)), int(rng.integers(0, height))
        side = int(rng.integers(max(2, short // 30), max(3, short // 5)))
        colour = tuple(int(v) for v in rng.integers(0, 190, 3))
        if index % 2:
            draw.ellipse([left, top, left + side, top + side // 2], fill=colour)
        else:
            draw.rectangle([left, top, left + side // 2, top + side], fill=colour)
    # Texture at a quarter of the resolution plus fine grain; amplitudes tuned for ~3 MB.
    coarse = rng.integers(0, 32, (max(1, height // 4), max(1, width // 4), 3), dtype=np.uint8)
    texture = np.asarray(Image.fromarray(coarse).resize((width, height), Image.Resampling.BILINEAR))
    grain = rng.integers(0, 24, (height, width, 3), dtype=np.uint8)
    image = Image.fromarray(np.asarray(image) + texture + grain)
    marker = max(1, short // MARKER_SIZE_DIVISOR)
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, marker - 1, marker - 1], fill=RED)
    draw.rectangle([width - marker, 0, width - 1, marker - 1], fill=BLUE)
    return image


def _jpeg(image: Image.Image, **params: object) -> bytes:
    buffer = BytesIO()
    image.save(buffer, "JPEG", **params)
    return buffer.getvalue()


def _save(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


# --------------------------------------------------------------------------- good inputs


@lru_cache(maxsize=32)
def phone_jpeg(
    width: int = 4000,
    height: int = 3000,
    orientation: int = 6,
    gps: tuple[float, float] | None = BERLIN,
    serial: str = "SN123456",
    make: str = "Pixel",
    quality: int = 90,
) -> bytes:
    """A camera JPEG: stored width x height, EXIF (orientation, GPS, serials), XMP, ICC."""
    image = _photo(width, height)
    thumbnail = _jpeg(image.resize((160, max(1, 160 * height // width))), quality=70)
    exif = exif_block(
        orientation=orientation, gps=gps, serial=serial, make=make, thumbnail=thumbnail
    )
    return _jpeg(
        image,
        quality=quality,
        exif=exif,
        xmp=xmp_packet(serial=serial, gps=gps, orientation=orientation),
        icc_profile=_srgb_icc(),
        comment=SECRET_COMMENT,
    )


@lru_cache(maxsize=8)
def app_jpeg(width: int = 1600, height: int = 1200, quality: int = 82) -> bytes:
    """What the citizen app uploads: scaled on a canvas, a plain JFIF JPEG at quality 0.82."""
    return _jpeg(_photo(width, height), quality=quality)


def jpeg_with_exif(exif: bytes, width: int = 160, height: int = 120, **params: object) -> bytes:
    """A small photo JPEG carrying the given EXIF payload (and extra save params)."""
    return _jpeg(_photo(width, height), quality=85, exif=exif, **params)


def mpo_jpeg(width: int = 640, height: int = 480) -> bytes:
    """A multi-picture JPEG (MPF APP2 + a second image), as many phones write them."""
    first = _photo(width, height)
    second = Image.new("RGB", (width // 2, height // 2), (0, 255, 0))
    return _save(first, "MPO", save_all=True, append_images=[second], quality=85)


def png_bytes(
    width: int = 640, height: int = 480, mode: str = "RGBA", exif: bytes | None = None
) -> bytes:
    """A PNG whose left half is fully transparent (black underneath), right half opaque.

    ``mode`` is RGBA, LA, P (tRNS palette transparency), RGB or L (opaque variants).
    """
    half = width // 2
    if mode == "P":
        image = Image.new("P", (width, height), 0)
        image.putpalette([0, 0, 0, 0, 128, 255])
        ImageDraw.Draw(image).rectangle([half, 0, width, height], fill=1)
        return _save(image, "PNG", transparency=0, **({"exif": exif} if exif else {}))
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle([half, 0, width, height], fill=(0, 128, 255, 255))
    if mode != "RGBA":
        image = image.convert(mode)
    params = {"exif": exif} if exif else {}
    return _save(image, "PNG", **params)


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    )


def _png(
    width: int, height: int, bit_depth: int, colour_type: int, idat: bytes, extra: bytes = b""
) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + extra
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def png16_bytes(width: int = 512, height: int = 64, colour: bool = False) -> bytes:
    """A 16-bit PNG (grey, or RGB with colour=True): horizontal ramp 0..65535."""
    ramp = np.linspace(0, 65535, width).round().astype(">u2")
    samples = np.repeat(ramp[:, None], 3, axis=1).reshape(-1) if colour else ramp
    row = b"\x00" + samples.tobytes()
    return _png(width, height, 16, 2 if colour else 0, zlib.compress(row * height, 9))


def cmyk_jpeg(width: int = 400, height: int = 300) -> bytes:
    """An Adobe-style CMYK JPEG: left half pure cyan, right half pure yellow."""
    image = Image.new("CMYK", (width, height), (255, 0, 0, 0))
    ImageDraw.Draw(image).rectangle([width // 2, 0, width, height], fill=(0, 0, 255, 0))
    return _jpeg(image, quality=95)


def animated_gif(width: int = 120, height: int = 90) -> bytes:
    """A looping three-frame GIF: red, green, blue; with a comment that must not leak."""
    frames = [Image.new("RGB", (width, height), colour) for colour in (RED, (0, 255, 0), BLUE)]
    return _save(
        frames[0],
        "GIF",
        save_all=True,
        append_images=frames[1:],
        duration=200,
        loop=0,
        comment=SECRET_COMMENT,
    )


def webp_bytes(
    width: int = 800,
    height: int = 600,
    *,
    lossless: bool = False,
    alpha: bool = False,
    exif: bytes | None = None,
) -> bytes:
    """A WebP photo (with corner markers), optionally lossless, with alpha or with EXIF."""
    image = _photo(width, height)
    if alpha:
        image.putalpha(Image.new("L", image.size, 255))
        ImageDraw.Draw(image).rectangle([0, height // 2, width, height], fill=(0, 0, 0, 0))
    params: dict[str, object] = {"lossless": lossless, "quality": 90}
    if exif:
        params["exif"] = exif
    return _save(image, "WEBP", **params)


def extreme_aspect_png(width: int = 70_000, height: int = 4) -> bytes:
    """A valid, small-pixel-count PNG wider than any JPEG can be (limit 65,535)."""
    row = b"\x00" + bytes(range(256)) * (width // 256) + b"\x80" * (width % 256)
    return _png(width, height, 8, 0, zlib.compress(row * height, 9))


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


# --------------------------------------------------------------------------- other formats


def _small_rgb() -> Image.Image:
    return _photo(64, 48)


def bmp_bytes() -> bytes:
    """A BMP: Pillow reads it, we do not accept it."""
    return _save(_small_rgb(), "BMP")


def tiff_bytes() -> bytes:
    """A TIFF: Pillow reads it, we do not accept it."""
    return _save(_small_rgb(), "TIFF")


def ico_bytes() -> bytes:
    """An ICO: Pillow reads it, we do not accept it."""
    return _save(_small_rgb(), "ICO")


def avif_bytes() -> bytes:
    """A small AVIF without metadata."""
    return _save(_small_rgb(), "AVIF")


def psd_header() -> bytes:
    """The start of a Photoshop file (signature and header)."""
    return b"8BPS\x00\x01" + b"\x00" * 6 + struct.pack(">HIIHH", 3, 48, 64, 8, 3) + b"\x00" * 64


@lru_cache(maxsize=16)
def heic_photo(
    width: int = 4032,
    height: int = 3024,
    orientation: int = 6,
    gps: tuple[float, float] | None = BERLIN,
    *,
    tile: int | None = 512,
    bits: int = 8,
    alpha: bool = False,
    quality: int = 50,
) -> bytes:
    """A HEIC as an iPhone writes it: HEVC tiles of 512 pixels in a grid, EXIF (GPS, serials)
    and XMP as items, the orientation as the container's rotation and mirroring (pillow-heif
    turns the EXIF orientation into irot/imir, as the HEIF standard wants it)."""
    import pillow_heif

    image = _photo(width, height)
    if alpha:
        image = _with_transparent_band(image)
    if bits > 8:
        pixels = np.asarray(image, dtype=np.uint16) * 257  # 16 bits, saved as 10
        heif = pillow_heif.from_bytes(f"{image.mode};16", image.size, pixels.tobytes())
    else:
        heif = pillow_heif.from_pillow(image)
    buffer = BytesIO()
    extra = {"tile_size": tile} if tile else {}
    heif.save(
        buffer,
        quality=quality,
        exif=exif_block(orientation=orientation, gps=gps),
        xmp=xmp_packet(serial="SN123456", gps=gps, orientation=orientation),
        **extra,
    )
    return buffer.getvalue()


@lru_cache(maxsize=16)
def avif_photo(
    width: int = 4032,
    height: int = 3024,
    orientation: int = 6,
    gps: tuple[float, float] | None = BERLIN,
    *,
    alpha: bool = False,
    quality: int = 50,
) -> bytes:
    """An AVIF with EXIF (GPS, serials) and XMP; Pillow's encoder (libavif) writes the
    EXIF orientation as irot/imir as well."""
    image = _photo(width, height)
    if alpha:
        image = _with_transparent_band(image)
    return _save(
        image,
        "AVIF",
        quality=quality,
        exif=exif_block(orientation=orientation, gps=gps),
        xmp=xmp_packet(serial="SN123456", gps=gps, orientation=orientation),
    )


def _with_transparent_band(image: Image.Image) -> Image.Image:
    """RGBA: the bottom quarter fully transparent (it must come out white)."""
    rgba = image.convert("RGBA")
    alpha = Image.new("L", image.size, 255)
    ImageDraw.Draw(alpha).rectangle([0, image.height * 3 // 4, image.width, image.height], fill=0)
    rgba.putalpha(alpha)
    return rgba


def heic_like() -> bytes:
    """The first box of an iPhone HEIC file and nothing of the rest."""
    box = b"ftypheic" + b"\x00\x00\x00\x00" + b"mif1heic"
    return struct.pack(">I", len(box) + 4) + box + b"\x00" * 64
