"""Photo pipeline for report uploads: validate image bytes, render clean JPEG derivatives.

The module is pure (bytes in, bytes out): no Flask, no database, no file system, no
module-level mutable state. It never touches Pillow's global settings
(``Image.MAX_IMAGE_PIXELS``, ``ImageFile.LOAD_TRUNCATED_IMAGES``) and never installs
warning filters, so it is safe to call from any thread or worker.

How hostile input is contained:

* The byte size is checked before anything else.
* The container (JPEG markers, PNG chunks, GIF blocks, WebP RIFF chunks) is walked by a
  small bounded parser here, which yields the declared pixel size, the raw EXIF block and,
  for JPEG and PNG, a copy of the stream without metadata segments. The pixel budget is
  enforced on that declared size, before Pillow sees the file.
* Pillow decodes that copy (GIF and WebP as they are: Pillow only carries their metadata
  as raw bytes), restricted to the one format the walk identified. So Pillow never
  parses EXIF, MPF, XMP or PNG text chunks, which is where its corrupt-metadata warnings
  (and much of its attack surface) come from; orientation and GPS are read by the
  bounded EXIF reader at the end of this module instead.
* Because the pixel budget also honours ``Image.MAX_IMAGE_PIXELS`` (the lower of the two
  wins), Pillow's own ``DecompressionBombWarning`` cannot fire for a declared size; if it
  or ``DecompressionBombError`` is raised anyway (warnings escalated to errors), it is
  reported as ``too_many_pixels``.
* Derivatives are re-encoded from pixels, with ``info`` cleared, so no EXIF, XMP, ICC
  profile, comment or appended payload survives.
"""

from __future__ import annotations

import hashlib
import math
import re
import struct
from dataclasses import dataclass
from io import BytesIO

from PIL import Image

__all__ = [
    "ALLOWED_FORMATS",
    "OUTPUT_MEDIA_TYPE",
    "Derivative",
    "PhotoError",
    "ProcessedPhoto",
    "process_photo",
    "read_gps",
]

ALLOWED_FORMATS: tuple[str, ...] = ("JPEG", "PNG", "WEBP", "GIF")
OUTPUT_MEDIA_TYPE = "image/jpeg"

_MIB = 1024 * 1024
_WHITE = (255, 255, 255)


# --------------------------------------------------------------------------- errors

_MESSAGES: dict[str, tuple[str, str]] = {
    "empty": ("Die Datei ist leer.", "The file is empty."),
    "not_an_image": (
        "Die Datei ist kein Bild. Bitte laden Sie ein Foto als JPEG, PNG, WebP oder GIF hoch.",
        "The file is not an image. Please upload a photo as JPEG, PNG, WebP or GIF.",
    ),
    "unsupported_format": (
        "Dieses Bildformat wird nicht unterstützt. "
        "Bitte laden Sie ein Foto als JPEG, PNG, WebP oder GIF hoch.",
        "This image format is not supported. Please upload a photo as JPEG, PNG, WebP or GIF.",
    ),
    "truncated": (
        "Die Bilddatei ist unvollständig oder beschädigt. Bitte laden Sie sie erneut hoch.",
        "The image file is incomplete or damaged. Please upload it again.",
    ),
    "too_many_pixels": (
        "Das Bild ist zu groß. Erlaubt sind höchstens {limit} Megapixel.",
        "The image is too large. At most {limit} megapixels are allowed.",
    ),
    "too_large": (
        "Die Datei ist zu groß. Erlaubt sind höchstens {limit} MB.",
        "The file is too large. At most {limit} MB are allowed.",
    ),
}


class PhotoError(ValueError):
    """An upload that cannot be used as a report photo.

    ``code`` is stable and machine-readable, ``message`` holds citizen-facing texts
    (``"de"`` first, ``"en"``), ``status`` is the HTTP status to answer with: 413 for
    ``too_large`` (the request body is the problem), 422 for everything else (the request
    was well-formed but its content cannot be processed).
    """

    CODES = tuple(_MESSAGES)

    def __init__(self, code: str, message: dict[str, str] | None = None) -> None:
        if code not in _MESSAGES:
            raise ValueError(f"unknown photo error code {code!r}")
        if message is None:
            de, en = _MESSAGES[code]
            message = {"de": de, "en": en}
        super().__init__(code, message)  # both in args, so the error pickles (e.g. for RQ)
        self.code: str = code
        self.message: dict[str, str] = message
        self.status: int = 413 if code == "too_large" else 422

    def __str__(self) -> str:
        return f"{self.code}: {self.message['en']}"

    @classmethod
    def _with_limit(cls, code: str, limit: float) -> PhotoError:
        # Three significant digits at most, no exponent; German uses a decimal comma.
        text = f"{limit:.3g}" if limit < 100 else str(round(limit))
        de, en = _MESSAGES[code]
        return cls(
            code,
            {"de": de.format(limit=text.replace(".", ",")), "en": en.format(limit=text)},
        )


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Derivative:
    """One re-encoded JPEG rendition without any metadata."""

    data: bytes
    width: int
    height: int


@dataclass(frozen=True)
class ProcessedPhoto:
    """The outcome of :func:`process_photo`."""

    web: Derivative
    thumb: Derivative
    source_format: str
    source_size: tuple[int, int]
    gps: tuple[float, float] | None
    sha256: str


# --------------------------------------------------------------------------- public API


def process_photo(
    data: bytes,
    *,
    max_bytes: int = 15 * _MIB,
    max_pixels: int = 50_000_000,
    web_long_side: int = 1600,
    thumb_long_side: int = 320,
    quality: int = 82,
) -> ProcessedPhoto:
    """Validate an uploaded photo and render upright, metadata-free web and thumb JPEGs."""
    if min(max_bytes, max_pixels, web_long_side, thumb_long_side) < 1 or not 1 <= quality <= 100:
        raise ValueError("limits and sizes must be positive, quality within 1..100")
    data = bytes(data)
    if len(data) > max_bytes:
        raise PhotoError._with_limit("too_large", max_bytes / _MIB)
    if not data:
        raise PhotoError("empty")

    container = _walk_container(data)
    if container is None:
        raise PhotoError(_classify_foreign(data))

    pixel_limit = _pixel_limit(max_pixels)
    width, height = container.size
    if width * height > pixel_limit:
        raise _too_many_pixels(pixel_limit)

    orientation, gps = _read_exif(container.exif)
    image, (full_width, full_height), box = _decode(container, pixel_limit, web_long_side)
    swaps_axes = orientation in (5, 6, 7, 8)
    # The web size is computed in stored orientation; rotating afterwards keeps the long side.
    web_size = _fit((full_width, full_height), web_long_side)
    rgb = _to_rgb(image)
    web = _resize(rgb, web_size, box=box, reducing_gap=3.0)
    web = _orient(web, orientation)
    # The thumbnail is derived from the (already small, upright) web image, not the decode.
    thumb = _resize(web, _fit(web.size, thumb_long_side), reducing_gap=2.0)

    return ProcessedPhoto(
        web=_encode(web, quality),
        thumb=_encode(thumb, quality),
        source_format=container.format,
        source_size=(full_height, full_width) if swaps_axes else (full_width, full_height),
        gps=gps,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def read_gps(data: bytes) -> tuple[float, float] | None:
    """Return (lon, lat) from a photo's EXIF GPS block without decoding pixels, else None."""
    try:
        container = _walk_container(bytes(data))
    except PhotoError:
        return None
    if container is None:
        return None
    return _read_exif(container.exif)[1]


# --------------------------------------------------------------------------- decoding


def _pixel_limit(max_pixels: int) -> int:
    # Honour Pillow's global limit too (read, never written): staying at or below it means
    # Pillow's DecompressionBombWarning cannot be triggered by a declared image size.
    pillow_limit = Image.MAX_IMAGE_PIXELS
    return max_pixels if pillow_limit is None else min(max_pixels, int(pillow_limit))


def _too_many_pixels(pixel_limit: int) -> PhotoError:
    return PhotoError._with_limit("too_many_pixels", pixel_limit / 1_000_000)


def _decode(
    container: _Container, pixel_limit: int, web_long_side: int
) -> tuple[Image.Image, tuple[int, int], tuple[float, float, float, float] | None]:
    """Fully decode the sanitised stream; return image, full-resolution size, draft box."""
    try:
        image = Image.open(BytesIO(container.clean()), formats=[container.format])
        if image.width * image.height > pixel_limit:  # should the walk ever disagree
            raise _too_many_pixels(pixel_limit)
        full_size = image.size
        box = None
        if container.format == "JPEG":
            # Let libjpeg scale by 1/2, 1/4 or 1/8 while decoding, down to the smallest
            # size that is still at least as large as the web derivative.
            drafted = image.draft("RGB", _fit(image.size, web_long_side))
            if drafted is not None:
                box = drafted[1]
        # Force the full decode here so truncation surfaces now, as an error.
        image.load()
    except PhotoError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels(pixel_limit) from exc
    except MemoryError:
        raise
    except Exception as exc:
        # The container walk recognised the format, so any decoder failure (truncated
        # data, broken zlib/huffman stream, bad checksum, escalated warning) means the
        # file is damaged. Pillow raises many exception types here; all mean the same.
        raise PhotoError("truncated") from exc
    return image, full_size, box


def _fit(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    """Scale (w, h) so the long side is at most long_side; never upscale, never reach 0."""
    width, height = size
    scale = long_side / max(width, height)
    if scale >= 1:
        return width, height
    return max(1, round(width * scale)), max(1, round(height * scale))


def _resize(
    image: Image.Image,
    size: tuple[int, int],
    *,
    box: tuple[float, float, float, float] | None = None,
    reducing_gap: float | None = None,
) -> Image.Image:
    if box is None and image.size == size:
        return image
    return image.resize(size, Image.Resampling.LANCZOS, box=box, reducing_gap=reducing_gap)


_TRANSPOSE: dict[int, Image.Transpose] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _orient(image: Image.Image, orientation: int) -> Image.Image:
    # Same mapping as ImageOps.exif_transpose, applied from our own EXIF reading because
    # Pillow never sees the EXIF block (see module docstring).
    method = _TRANSPOSE.get(orientation)
    return image if method is None else image.transpose(method)


# PNG is the only allowed format with 16-bit greyscale, which Pillow opens as I;16 (or I).
_SIXTEEN_BIT_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N"})
_ALPHA_MODES = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})


def _to_rgb(image: Image.Image) -> Image.Image:
    """Convert any decoded mode to 8-bit RGB, flattening transparency onto white."""
    if image.mode in _SIXTEEN_BIT_MODES:
        # A plain convert("L") clips 16-bit values at 255; scale 0..65535 to 0..255 instead.
        # A 16-bit tRNS grey level has no exact 8-bit equivalent, so it is treated as opaque.
        image = image.convert("I").point(lambda value: value * (1 / 257) + 0.5).convert("L")
        image.info.pop("transparency", None)
    if image.mode in _ALPHA_MODES or "transparency" in image.info:
        # Via RGBA so palette and tRNS transparency become a real alpha channel.
        rgba = image.convert("RGBA")
        rgb = Image.new("RGB", rgba.size, _WHITE)
        rgb.paste(rgba, mask=rgba.getchannel("A"))
    elif image.mode != "RGB":
        # CMYK, YCbCr, L, 1 and opaque P use Pillow's standard conversion (sRGB-ish; ICC
        # profiles are dropped with the rest of the metadata and not applied).
        rgb = image.convert("RGB")
    else:
        rgb = image
    # Drop everything Pillow carried over (comment, icc_profile, exif...): the JPEG
    # encoder would otherwise write e.g. a GIF comment into the output. Derived images
    # copy this empty dict, and the image is our own, so no copy is needed.
    rgb.info = {}
    return rgb


def _encode(image: Image.Image, quality: int) -> Derivative:
    image.info = {}
    buffer = BytesIO()
    # Huffman optimisation: ~5 % smaller for a few ms; progressive would cost ~15 ms more.
    image.save(buffer, "JPEG", quality=quality, optimize=True)
    return Derivative(data=buffer.getvalue(), width=image.width, height=image.height)


def _classify_foreign(data: bytes) -> str:
    """Tell a known-but-unsupported image format from something that is not an image."""
    # ISO-BMFF ('ftyp' box): HEIC/HEIF from iPhones, AVIF, also videos. Pillow reads AVIF
    # but not HEIC; either way the citizen should hear "format not supported".
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


# --------------------------------------------------------------------------- containers


@dataclass
class _Container:
    format: str
    size: tuple[int, int]
    exif: bytes | None
    data: bytes
    # Byte ranges handed to Pillow; None means the whole input.
    keep: list[tuple[int, int]] | None = None

    def clean(self) -> bytes:
        if self.keep is None:
            return self.data
        view = memoryview(self.data)
        return b"".join(view[start:end] for start, end in self.keep)


def _damaged() -> PhotoError:
    return PhotoError("truncated")


def _walk_container(data: bytes) -> _Container | None:
    """Identify an allowed format by signature and walk its structure (None if foreign)."""
    if data.startswith(b"\xff\xd8\xff"):
        return _walk_jpeg(data)
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _walk_png(data)
    if data.startswith((b"GIF87a", b"GIF89a")):
        return _walk_gif(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _walk_webp(data)
    return None


# SOF0..SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range.
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Kept for the decoder: APP0 (JFIF colour space hint) and APP14 (Adobe colour transform).
_JPEG_KEEP_APP = frozenset({0xE0, 0xEE})
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD9)})
# Real files have a few dozen segments before the scan; millions of empty ones would
# keep this walk (and Pillow's) busy for seconds.
_JPEG_MAX_SEGMENTS = 4096


def _walk_jpeg(data: bytes) -> _Container:
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
            return _Container("JPEG", size, exif, data, keep)
        if marker in _JPEG_SOF:
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


# Chunks the PNG decoder needs; everything else (text, iCCP, eXIf, APNG frames) is dropped.
_PNG_KEEP = frozenset({b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"})


def _walk_png(data: bytes) -> _Container:
    """Walk PNG chunks up to IEND, keeping only the ones needed to decode the image."""
    size: tuple[int, int] | None = None
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
            width, height = struct.unpack_from(">II", data, pos + 8)
            if width == 0 or height == 0:
                raise _damaged()
            size = (width, height)
        elif kind == b"eXIf" and exif is None:
            exif = data[pos + 8 : pos + 8 + length]
            exif = exif[6:] if exif.startswith(b"Exif\x00\x00") else exif
        if kind in _PNG_KEEP:
            keep.append((pos, chunk_end))
        if kind == b"IEND":
            # Anything after IEND (an appended archive, say) never reaches the decoder.
            return _Container("PNG", size, exif, data, keep)
        pos = chunk_end


_GIF_BLOCK = re.compile(rb"[!,;]")
# Extension data before the first frame is a chain of up-to-255-byte sub-blocks; a chain
# of millions of 1-byte ones would keep this walk (and Pillow's) busy for seconds.
_GIF_MAX_SUB_BLOCKS = 100_000


def _walk_gif(data: bytes) -> _Container:
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
            return _Container("GIF", size, None, data)
        pos += 1  # Extension label, then data sub-blocks up to a zero-length one.
        while pos < end and data[pos]:
            pos += data[pos] + 1
            budget -= 1
            if budget < 0:
                raise _damaged()
        pos += 1


def _walk_webp(data: bytes) -> _Container:
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
    return _Container("WEBP", size, exif, data)


# --------------------------------------------------------------------------- EXIF


# Bytes per value for each TIFF field type (BYTE, ASCII, SHORT, LONG, RATIONAL, ..., IFD).
_EXIF_TYPE_SIZES = dict(enumerate((1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8, 4), start=1))
_MAX_IFD_ENTRIES = 1024
_TAG_ORIENTATION = 0x0112
_TAG_GPS_IFD = 0x8825
_GPS_LAT_REF, _GPS_LAT, _GPS_LON_REF, _GPS_LON, _GPS_STATUS = 1, 2, 3, 4, 9


def _read_exif(tiff: bytes | None) -> tuple[int, tuple[float, float] | None]:
    """Return (orientation, gps) from a raw TIFF-structured EXIF block; never raises."""
    if not tiff:
        return 1, None
    try:
        return _parse_exif(tiff)
    except Exception:
        # Odd EXIF must never cost the citizen their upload; fall back to "no metadata".
        return 1, None


def _parse_exif(tiff: bytes) -> tuple[int, tuple[float, float] | None]:
    if tiff[:4] == b"II*\x00":
        order = "<"
    elif tiff[:4] == b"MM\x00*":
        order = ">"
    else:
        return 1, None
    (ifd0_offset,) = struct.unpack_from(order + "I", tiff, 4)
    ifd0 = _read_ifd(tiff, order, ifd0_offset, {_TAG_ORIENTATION, _TAG_GPS_IFD})

    orientation = 1
    if _TAG_ORIENTATION in ifd0:
        values = _ints(order, *ifd0[_TAG_ORIENTATION])
        if values and 1 <= values[0] <= 8:
            orientation = values[0]

    gps = None
    if _TAG_GPS_IFD in ifd0:
        pointer = _ints(order, *ifd0[_TAG_GPS_IFD])
        if pointer:
            wanted = {_GPS_LAT_REF, _GPS_LAT, _GPS_LON_REF, _GPS_LON, _GPS_STATUS}
            gps = _gps_from_ifd(order, _read_ifd(tiff, order, pointer[0], wanted))
    return orientation, gps


def _read_ifd(
    tiff: bytes, order: str, offset: int, wanted: set[int]
) -> dict[int, tuple[int, int, bytes]]:
    """Read the wanted tags of one IFD as tag -> (type, count, value bytes); skip bad ones."""
    found: dict[int, tuple[int, int, bytes]] = {}
    if not 8 <= offset <= len(tiff) - 2:
        return found
    (count,) = struct.unpack_from(order + "H", tiff, offset)
    for index in range(min(count, _MAX_IFD_ENTRIES)):
        entry = offset + 2 + 12 * index
        if entry + 12 > len(tiff):
            break
        tag, kind, number = struct.unpack_from(order + "HHI", tiff, entry)
        if tag not in wanted or tag in found or kind not in _EXIF_TYPE_SIZES:
            continue
        size = _EXIF_TYPE_SIZES[kind] * number
        if size <= 4:
            value = tiff[entry + 8 : entry + 8 + size]
        else:
            (value_offset,) = struct.unpack_from(order + "I", tiff, entry + 8)
            if value_offset + size > len(tiff):
                continue
            value = tiff[value_offset : value_offset + size]
        found[tag] = (kind, number, value)
    return found


def _ints(order: str, kind: int, count: int, value: bytes) -> list[int]:
    formats = {1: "B", 3: "H", 4: "I", 13: "I"}
    if kind not in formats or count < 1:
        return []
    return list(struct.unpack_from(f"{order}{count}{formats[kind]}", value))


def _rationals(order: str, kind: int, count: int, value: bytes) -> list[float] | None:
    if kind not in (5, 10) or count < 1:
        return None
    raw = struct.unpack_from(f"{order}{2 * count}{'I' if kind == 5 else 'i'}", value)
    numbers = []
    for numerator, denominator in zip(raw[::2], raw[1::2], strict=True):
        if denominator == 0:
            return None
        numbers.append(numerator / denominator)
    return numbers


def _ref(entry: tuple[int, int, bytes] | None) -> str:
    if entry is None:
        return ""
    return entry[2][:1].decode("latin-1").upper()


def _gps_from_ifd(order: str, gps: dict[int, tuple[int, int, bytes]]) -> tuple[float, float] | None:
    if _ref(gps.get(_GPS_STATUS)) == "V":  # "measurement void": the receiver had no fix.
        return None
    lat_ref, lon_ref = _ref(gps.get(_GPS_LAT_REF)), _ref(gps.get(_GPS_LON_REF))
    if lat_ref not in ("N", "S") or lon_ref not in ("E", "W"):
        return None  # Without the hemisphere the sign is a guess; better no position.
    if _GPS_LAT not in gps or _GPS_LON not in gps:
        return None
    lat = _degrees(_rationals(order, *gps[_GPS_LAT]))
    lon = _degrees(_rationals(order, *gps[_GPS_LON]))
    if lat is None or lon is None or lat > 90 or lon > 180:
        return None
    if lat == 0 and lon == 0:
        return None  # "Null Island": what many phones write when they have no fix.
    lat = -lat if lat_ref == "S" else lat
    lon = -lon if lon_ref == "W" else lon
    return round(lon, 7), round(lat, 7)


def _degrees(parts: list[float] | None) -> float | None:
    """Degrees, minutes, seconds (any trailing ones may be missing) to decimal degrees."""
    if not parts:
        return None
    parts = [*parts, 0.0, 0.0][:3]
    if any(not math.isfinite(part) or part < 0 for part in parts):
        return None
    degrees, minutes, seconds = parts
    if minutes > 60 or seconds > 60:  # 60 itself shows up as a rounding artefact.
        return None
    return degrees + minutes / 60 + seconds / 3600
