"""Metadata written by hand: EXIF (TIFF IFDs), XMP packets and an sRGB ICC profile.

Written without Pillow, so tests of the EXIF reader do not merely check Pillow against
itself.
"""

from __future__ import annotations

import struct
from functools import lru_cache

BERLIN = (13.377704, 52.516275)  # (lon, lat) of the Brandenburger Tor
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
