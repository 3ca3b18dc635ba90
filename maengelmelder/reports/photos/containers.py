"""Bounded walker for the allowed image containers: JPEG, PNG, GIF, WebP, HEIF and AVIF."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from PIL import Image

from . import heif
from .errors import PhotoError

# The formats this walker recognises; re-exported as the package's public constant.
ALLOWED_FORMATS: tuple[str, ...] = ("JPEG", "PNG", "WEBP", "GIF", heif.HEIF, heif.AVIF)


@dataclass
class Container:
    """What the walk found: format, declared size, raw EXIF and the bytes to decode."""

    format: str
    size: tuple[int, int]
    exif: bytes | None
    data: bytes
    # Byte ranges handed to Pillow; None means the whole input.
    keep: list[tuple[int, int]] | None = None
    # How Pillow will hold the decoded pixels (PNG, GIF, WebP), for the memory estimate.
    mode: str | None = None
    # HEIF and AVIF: the orientation their container declares (an EXIF one does not
    # count), and the most bits per channel.
    orientation: int | None = None
    bits: int = 8

    def clean(self) -> bytes:
        if self.keep is None:
            return self.data
        view = memoryview(self.data)
        return b"".join(view[start:end] for start, end in self.keep)


def _damaged() -> PhotoError:
    return PhotoError("truncated")


def walk_container(data: bytes) -> Container | None:
    """Identify an allowed format by signature and walk its structure (None if foreign)."""
    if data.startswith(b"\xff\xd8\xff"):
        return _walk_jpeg(data)
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _walk_png(data)
    if data.startswith((b"GIF87a", b"GIF89a")):
        return _walk_gif(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _walk_webp(data)
    if heif.is_bmff_image(data):
        return _walk_bmff(data)
    return None


def _walk_bmff(data: bytes) -> Container:
    """HEIF (HEIC) and AVIF: see heif.py. The decoder gets a copy without metadata items."""
    found = heif.walk(data)
    if found.format == heif.AVIF and not heif.avif_supported():
        raise PhotoError("unsupported_format")
    # libheif turns a HEIC upright while decoding; an AVIF is turned like a JPEG.
    orientation = 1 if found.format == heif.HEIF else found.orientation
    return Container(
        found.format,
        found.size,
        found.exif,
        found.data,
        mode="RGBA" if found.alpha else "RGB",
        orientation=orientation,
        bits=found.bits,
    )


# SOF0..SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range.
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Huffman-coded DCT frames (baseline, extended, progressive): what cameras and browsers write.
# Lossless, hierarchical and arithmetic-coded frames show in no browser; they are refused.
_JPEG_HUFFMAN_DCT = frozenset({0xC0, 0xC1, 0xC2})
# Kept for the decoder: APP0 (JFIF colour space hint) and APP14 (Adobe colour transform).
_JPEG_KEEP_APP = frozenset({0xE0, 0xEE})
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD9)})
# Real files have a few dozen segments before the scan; millions of empty ones would
# keep this walk (and Pillow's) busy for seconds.
_JPEG_MAX_SEGMENTS = 4096


def _walk_jpeg(data: bytes) -> Container:
    """Walk JPEG markers up to SOS; drop APP1..APP15 (except APP14) and COM segments."""
    size: tuple[int, int] | None = None
    exif: bytes | None = None
    keep: list[tuple[int, int]] = [(0, 2)]
    end = len(data)
    pos = 2
    for _ in range(_JPEG_MAX_SEGMENTS):
        # Like Pillow, tolerate junk and 0xFF fill bytes between segments.
        pos = data.find(b"\xff", pos)
        if pos < 0:
            raise _damaged()
        while pos < end and data[pos] == 0xFF:
            pos += 1
        if pos >= end:
            raise _damaged()
        marker = data[pos]
        start = pos - 1
        pos += 1
        if marker == 0x00 or marker in _JPEG_STANDALONE:
            continue
        if marker == 0xD9:  # EOI before any scan: there is no image.
            raise _damaged()
        if pos + 2 > end:
            raise _damaged()
        (length,) = struct.unpack_from(">H", data, pos)
        segment_end = pos + length
        if length < 2 or segment_end > end:
            raise _damaged()
        if marker == 0xDA:  # Start of scan: entropy-coded data follows, copy the rest.
            if size is None:
                raise _damaged()
            keep.append((start, end))
            return Container("JPEG", size, exif, data, keep)
        if marker in _JPEG_SOF:
            if marker not in _JPEG_HUFFMAN_DCT:
                raise PhotoError("unsupported_format")
            if length < 8:
                raise _damaged()
            height, width = struct.unpack_from(">HH", data, pos + 3)
            if width == 0 or height == 0:  # Height via DNL marker: not worth supporting.
                raise _damaged()
            # Several SOFs are bogus but possible; budget the largest one declared.
            if size is None or width * height > size[0] * size[1]:
                size = (width, height)
        elif marker == 0xE1 and exif is None and data.startswith(b"Exif\x00\x00", pos + 2):
            exif = data[pos + 8 : segment_end]
        if marker in _JPEG_KEEP_APP or not (0xE0 <= marker <= 0xEF or marker == 0xFE):
            keep.append((start, segment_end))
        pos = segment_end
    raise _damaged()


# Pillow's mode by PNG (colour type, bit depth); all other kinds decode to four bytes a pixel.
_PNG_MODES = {(0, 1): "1", (0, 2): "L", (0, 4): "L", (0, 8): "L", (0, 16): "I;16", (2, 8): "RGB"}
_PNG_MODES.update({(3, depth): "P" for depth in (1, 2, 4, 8)})

# Chunks the PNG decoder needs; everything else (text, iCCP, eXIf, APNG frames) is dropped.
_PNG_KEEP = frozenset({b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"})


def _walk_png(data: bytes) -> Container:
    """Walk PNG chunks up to IEND, keeping only the ones needed to decode the image."""
    size: tuple[int, int] | None = None
    mode = "RGBA"
    exif: bytes | None = None
    keep: list[tuple[int, int]] = [(0, 8)]
    end = len(data)
    pos = 8
    while True:
        if pos + 8 > end:
            raise _damaged()
        length, kind = struct.unpack_from(">I4s", data, pos)
        chunk_end = pos + 12 + length
        if length > 0x7FFFFFFF or chunk_end > end:
            raise _damaged()
        if size is None:
            if kind != b"IHDR" or length < 13:
                raise _damaged()
            width, height, depth, colour = struct.unpack_from(">IIBB", data, pos + 8)
            if width == 0 or height == 0:
                raise _damaged()
            size = (width, height)
            mode = _PNG_MODES.get((colour, depth), "RGBA")
        elif kind == b"eXIf" and exif is None:
            exif = data[pos + 8 : pos + 8 + length]
            exif = exif[6:] if exif.startswith(b"Exif\x00\x00") else exif
        if kind in _PNG_KEEP:
            keep.append((pos, chunk_end))
        if kind == b"IEND":
            # Anything after IEND (an appended archive, say) never reaches the decoder.
            return Container("PNG", size, exif, data, keep, mode)
        pos = chunk_end


_GIF_BLOCK = re.compile(rb"[!,;]")
# Extension data before the first frame is a chain of up-to-255-byte sub-blocks; a chain
# of millions of 1-byte ones would keep this walk (and Pillow's) busy for seconds.
_GIF_MAX_SUB_BLOCKS = 100_000


def _walk_gif(data: bytes) -> Container:
    """Read the GIF screen and first frame extent, mirroring how Pillow sizes the image."""
    end = len(data)
    if end < 13:
        raise _damaged()
    width, height, flags = struct.unpack_from("<HHB", data, 6)
    pos = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    budget = _GIF_MAX_SUB_BLOCKS
    while True:
        # Pillow skips bytes that start no block, so search for the next introducer.
        match = _GIF_BLOCK.search(data, pos)
        if match is None or match.group() == b";":
            raise _damaged()  # No image in the file.
        pos = match.start() + 1
        if match.group() == b",":
            if pos + 9 > end:
                raise _damaged()
            left, top, frame_width, frame_height = struct.unpack_from("<HHHH", data, pos)
            size = (max(width, left + frame_width), max(height, top + frame_height))
            if 0 in size:
                raise _damaged()
            return Container("GIF", size, None, data, mode="P")
        pos += 1  # Extension label, then data sub-blocks up to a zero-length one.
        while pos < end and data[pos]:
            pos += data[pos] + 1
            budget -= 1
            if budget < 0:
                raise _damaged()
        pos += 1


def _walk_webp(data: bytes) -> Container:
    """Read the WebP canvas size (libwebp allocates it on open) and the EXIF chunk."""
    end = len(data)
    size: tuple[int, int] | None = None
    kind = data[12:16]
    if kind == b"VP8 " and end >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack_from("<HH", data, 26)
        size = (width & 0x3FFF, height & 0x3FFF)
    elif kind == b"VP8L" and end >= 25 and data[20] == 0x2F:
        (bits,) = struct.unpack_from("<I", data, 21)
        size = ((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    elif kind == b"VP8X" and end >= 30:
        size = (
            int.from_bytes(data[24:27], "little") + 1,
            int.from_bytes(data[27:30], "little") + 1,
        )
    if size is None or 0 in size:
        raise _damaged()
    exif: bytes | None = None
    pos = 12
    while pos + 8 <= end:
        kind, length = struct.unpack_from("<4sI", data, pos)
        if kind == b"EXIF":
            exif = data[pos + 8 : pos + 8 + length]
            exif = exif[6:] if exif.startswith(b"Exif\x00\x00") else exif
            break
        pos += 8 + length + (length & 1)
    return Container("WEBP", size, exif, data, mode="RGBA")


def classify_foreign(data: bytes) -> str:
    """Tell a known-but-unsupported image format from something that is not an image."""
    # ISO-BMFF ('ftyp' box) that is no HEIF or AVIF still image: videos, mostly.
    if data[4:8] == b"ftyp":
        return "unsupported_format"
    prefix = data[:16]
    Image.init()
    # Only the cheap signature checks of Pillow's other plugins run; no header is parsed,
    # so nothing is allocated and no decompression-bomb check (or warning) is triggered.
    for name, (_factory, accept) in list(Image.OPEN.items()):
        if name in ALLOWED_FORMATS or name == "MPO" or accept is None:
            continue
        try:
            verdict = accept(prefix)
        except Exception:
            continue
        if verdict and not isinstance(verdict, str):
            return "unsupported_format"
    return "not_an_image"


# -- JPEG pass-through: a browser's upload kept as it is, minus everything but the image -------

# Huffman-coded baseline, extended and progressive frames: what every browser shows.
_JPEG_PASSTHROUGH_SOF = frozenset({0xC0, 0xC1, 0xC2})
# Quantisation and Huffman tables, restart interval, start of scan: all else is refused.
_JPEG_COPIED = frozenset({0xDB, 0xC4, 0xDD, 0xDA})
# A marker: 0xFF (plus fill bytes) and a code that is not stuffing (00), RSTn (D0-D7) or fill.
_JPEG_MARKER = re.compile(rb"\xff+([^\x00\xd0-\xd7\xff])")
# The JFIF header every stream gets instead of the sender's own: version 1.01, no density,
# no thumbnail (a JFIF thumbnail would be a second, unchecked copy of the picture).
JFIF_HEADER = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"


def jpeg_essentials(data: bytes) -> bytes | None:
    """The JPEG cut to what a decoder needs: tables, frame, scans, end of image.

    Every APPn and COM segment goes (EXIF, XMP, ICC, MPF, comments, the sender's JFIF
    header, also those between progressive scans), and so does anything before the first
    marker or after EOI (an appended archive). A fresh JFIF header stands in for the old.

    Only for a plain stream: a JFIF file with one 8-bit, 3-component (YCbCr) Huffman frame
    and no Adobe segment. Anything else (CMYK, greyscale, arithmetic coding, 12-bit, a
    missing EOI, junk between segments) gives None, and the caller re-encodes from pixels.
    """
    if not data.startswith(b"\xff\xd8\xff\xe0") or not data.startswith(b"JFIF\x00", 6):
        return None
    out = [b"\xff\xd8", JFIF_HEADER]
    end = len(data)
    pos = 2
    frames = scans = 0
    for _ in range(_JPEG_MAX_SEGMENTS):
        found = _JPEG_MARKER.search(data, pos)
        if found is None:
            return None
        start = found.end() - 2
        if scans:
            out.append(data[pos:start])  # entropy-coded data, RSTn markers included
        elif start != pos:
            return None  # junk or fill bytes between header segments
        marker = found.group(1)[0]
        if marker == 0xD9:
            if not frames or not scans:
                return None
            out.append(b"\xff\xd9")
            return b"".join(out)
        if marker == 0x01 or found.end() + 2 > end:
            return None
        (length,) = struct.unpack_from(">H", data, found.end())
        segment_end = found.end() + length
        if length < 2 or segment_end > end:
            return None
        if 0xE0 <= marker <= 0xEF or marker == 0xFE:
            if marker == 0xEE:
                return None  # Adobe: a colour transform the fresh JFIF header would contradict
        elif marker in _JPEG_PASSTHROUGH_SOF:
            if frames or length < 8 or data[found.end() + 2] != 8 or data[found.end() + 7] != 3:
                return None  # a second frame, 12-bit precision, or not three components
            frames += 1
            out.append(data[start:segment_end])
        elif marker in _JPEG_COPIED:
            if marker == 0xDA:
                if not frames:
                    return None
                scans += 1
            out.append(data[start:segment_end])
        else:
            return None  # any other marker (reserved JPGn ones could carry anything)
        pos = segment_end
    return None
