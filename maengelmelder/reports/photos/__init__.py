"""Photo pipeline for report uploads: validate image bytes, render clean JPEG derivatives.

The package is pure (bytes in, bytes out): no Flask, no database, no file system, no
module-level mutable state. It never touches Pillow's global settings
(``Image.MAX_IMAGE_PIXELS``, ``ImageFile.LOAD_TRUNCATED_IMAGES``) and never installs
warning filters, so it is safe to call from any thread or worker.

How hostile input is contained:

* The byte size is checked before anything else.
* The container (JPEG markers, PNG chunks, GIF blocks, WebP RIFF chunks, the ISO-BMFF
  boxes of HEIC and AVIF) is walked by a small bounded parser (``containers.py``,
  ``heif.py``), which yields the declared pixel size, the raw EXIF block and, for JPEG,
  PNG, HEIC and AVIF, a copy of the stream without metadata. The pixel budget is enforced
  on that declared size, before a decoder sees the file.
* Pillow decodes that copy (GIF and WebP as they are: Pillow only carries their metadata
  as raw bytes), restricted to the one format the walk identified; HEIC is decoded by
  libheif (pillow-heif), which Pillow never sees registered. So Pillow never parses EXIF,
  MPF, XMP or PNG text chunks, which is where its corrupt-metadata warnings (and much of
  its attack surface) come from; orientation and GPS are read by the bounded EXIF reader
  (``exif.py``) instead (HEIC's and AVIF's orientation from their container).
* Because the pixel budget also honours ``Image.MAX_IMAGE_PIXELS`` (the lower of the two
  wins), Pillow's own ``DecompressionBombWarning`` cannot fire for a declared size; if it
  or ``DecompressionBombError`` is raised anyway (warnings escalated to errors), it is
  reported as ``too_many_pixels``.
* A JPEG whose decoder runs out of data before the frame is complete is refused as
  truncated, even when the sender added an end-of-image marker after the short data
  (libjpeg would fill the rest with grey and only warn): ``jpeg.py`` checks each scan's
  length against its blocks and decodes so that a missing byte shows (see there).
* Memory is bounded before decoding (``budget.py``): each photo's peak is estimated from
  its container, a photo over the per-photo maximum is refused as too many pixels (a lower
  limit for formats that are always decoded whole), and decoding reserves its estimate from
  the process's budget. A fully decoded image is turned into RGB and reduced a strip of rows
  at a time, never copied whole; a JPEG is decoded at reduced scale (``draft``).
* Derivatives are re-encoded from pixels, with ``info`` cleared, so no EXIF, XMP, ICC
  profile, comment or appended payload survives.
* Except one case: an upright JFIF JPEG (8-bit YCbCr, Huffman-coded) that already fits the
  web size, which is what the citizen app uploads, is kept as the web image. Its stream is
  cut down by an allow-list to tables, frame, scans and EOI under a fresh JFIF header
  (``containers.jpeg_essentials``), and that very stream is decoded to check it and to
  make the thumbnail. No pixel is re-encoded, so there is no generation loss either.
"""

from __future__ import annotations

import hashlib
from contextlib import nullcontext
from dataclasses import dataclass
from io import BytesIO

from PIL import Image

from . import heif, jpeg
from .budget import DEFAULT_DECODE_BUDGET, DecodeBudget, PhotoBusy, decode_cost, shrink_factor
from .containers import (
    ALLOWED_FORMATS,
    Container,
    classify_foreign,
    jpeg_essentials,
    walk_container,
)
from .errors import PhotoError
from .exif import read_exif

__all__ = [
    "ALLOWED_FORMATS",
    "DEFAULT_DECODE_BUDGET",
    "OUTPUT_MEDIA_TYPE",
    "DecodeBudget",
    "Derivative",
    "PhotoBusy",
    "PhotoError",
    "ProcessedPhoto",
    "process_photo",
    "read_gps",
]

OUTPUT_MEDIA_TYPE = "image/jpeg"

_MIB = 1024 * 1024
_WHITE = (255, 255, 255)


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
    max_decode_bytes: int | None = None,
    budget: DecodeBudget | None = None,
) -> ProcessedPhoto:
    """Validate an uploaded photo and render upright, metadata-free web and thumb JPEGs.

    `max_decode_bytes` refuses a photo whose decoding would need more memory (too many
    pixels for its kind of file); `budget` is the process's shared decoding memory, reserved
    for the photo's estimate while it is decoded (PhotoBusy when it cannot be had in time).
    """
    if min(max_bytes, max_pixels, web_long_side, thumb_long_side) < 1 or not 1 <= quality <= 100:
        raise ValueError("limits and sizes must be positive, quality within 1..100")
    data = bytes(data)
    if len(data) > max_bytes:
        raise PhotoError._with_limit("too_large", max_bytes / _MIB)
    if not data:
        raise PhotoError("empty")

    container = walk_container(data)
    if container is None:
        raise PhotoError(classify_foreign(data))

    pixel_limit = _pixel_limit(max_pixels)
    width, height = container.size
    if width * height > pixel_limit:
        raise _too_many_pixels(pixel_limit)

    stream = container.clean()
    layout = jpeg.scan_layout(stream) if container.format == "JPEG" else None
    cost = decode_cost(
        container,
        coefficient_bytes=layout.coefficient_bytes if layout else 0,
        multi_scan=layout is not None and not layout.single_scan,
        target=_fit(container.size, web_long_side),
    )
    if max_decode_bytes is not None and cost.nbytes > max_decode_bytes:
        # The pixel count this kind of file may have within the memory a photo may take.
        raise _too_many_pixels(min(pixel_limit, width * height * max_decode_bytes // cost.nbytes))

    orientation, gps = read_exif(container.exif)
    if container.orientation is not None:  # HEIF and AVIF: the container's, not EXIF's
        orientation = container.orientation
    with budget.reserve(cost.nbytes) if budget is not None else nullcontext():
        kept = _pass_through(
            container,
            data,
            orientation=orientation,
            pixel_limit=pixel_limit,
            sides=(web_long_side, thumb_long_side),
            quality=quality,
        )
        if kept is not None:
            web, thumb = kept
            full_width, full_height = container.size
        else:
            sides = (web_long_side, thumb_long_side)
            rendered = _render(container, stream, layout, orientation, pixel_limit, sides)
            del stream
            web, thumb = _encode(rendered[0], quality), _encode(rendered[1], quality)
            full_width, full_height = rendered[2]
    swaps_axes = orientation in (5, 6, 7, 8)
    return ProcessedPhoto(
        web=web,
        thumb=thumb,
        source_format=container.format,
        source_size=(full_height, full_width) if swaps_axes else (full_width, full_height),
        gps=gps,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _render(
    container: Container,
    stream: bytes,
    layout: jpeg.ScanLayout | None,
    orientation: int,
    pixel_limit: int,
    sides: tuple[int, int],
) -> tuple[Image.Image, Image.Image, tuple[int, int]]:
    """Decode, scale and turn upright: web and thumb images to encode, and the full size."""
    web_long_side, thumb_long_side = sides
    if container.format == "HEIF":
        # Upright already, and turned into RGB and reduced while read (heif.py).
        image, full_size = _decode_heif(stream, container.size, web_long_side)
        box = None
    else:
        image, full_size, box = _decode(
            stream, container.format, pixel_limit, web_long_side, layout
        )
    if container.format not in ("JPEG", "HEIF"):
        # Decoded whole (no reduced-scale decoding): to RGB and smaller without a full copy.
        image = _shrink(image, _fit(full_size, web_long_side))
    # The web size is computed in stored orientation; rotating afterwards keeps the long side.
    web = _resize(_to_rgb(image), _fit(full_size, web_long_side), box=box, reducing_gap=3.0)
    del image
    web = _orient(web, orientation)
    # The thumbnail is derived from the (already small, upright) web image, not the decode.
    return web, _resize(web, _fit(web.size, thumb_long_side), reducing_gap=2.0), full_size


# A browser's upload (the citizen app scales photos to 1600 px at quality 0.82, about 0.2
# bytes per pixel) is kept as it is up to this density; a heavier file is re-encoded.
PASS_THROUGH_BYTES_PER_PIXEL = 0.5


def _pass_through(
    container: Container,
    data: bytes,
    *,
    orientation: int,
    pixel_limit: int,
    sides: tuple[int, int],
    quality: int,
) -> tuple[Derivative, Derivative] | None:
    """Keep an upright JPEG that already fits as the web image, without its metadata.

    Re-encoding such a photo (what the citizen app sends) costs three quarters of the photo
    step and a generation of JPEG loss, and gains nothing. The kept stream is decoded all
    the same (at the thumbnail's scale, which still reads every coded block), so a damaged
    file is refused exactly as before. None when the photo does not qualify.
    """
    web_long_side, thumb_long_side = sides
    width, height = container.size
    if (
        container.format != "JPEG"
        or orientation != 1
        or max(width, height) > web_long_side
        or len(data) > width * height * PASS_THROUGH_BYTES_PER_PIXEL
    ):
        return None
    stream = jpeg_essentials(data)
    if stream is None:
        return None
    image, size, box = _decode(stream, "JPEG", pixel_limit, thumb_long_side)
    if size != (width, height) or image.mode != "RGB":
        return None
    image.info = {}
    thumb = _resize(image, _fit(size, thumb_long_side), box=box, reducing_gap=2.0)
    return Derivative(data=stream, width=width, height=height), _encode(thumb, quality)


def read_gps(data: bytes) -> tuple[float, float] | None:
    """Return (lon, lat) from a photo's EXIF GPS block without decoding pixels, else None."""
    try:
        container = walk_container(bytes(data))
    except PhotoError:
        return None
    if container is None:
        return None
    return read_exif(container.exif)[1]


# --------------------------------------------------------------------------- decoding


def _pixel_limit(max_pixels: int) -> int:
    # Honour Pillow's global limit too (read, never written): staying at or below it means
    # Pillow's DecompressionBombWarning cannot be triggered by a declared image size.
    pillow_limit = Image.MAX_IMAGE_PIXELS
    return max_pixels if pillow_limit is None else min(max_pixels, int(pillow_limit))


def _too_many_pixels(pixel_limit: int) -> PhotoError:
    return PhotoError._with_limit("too_many_pixels", pixel_limit / 1_000_000)


def _decode(
    data: bytes,
    fmt: str,
    pixel_limit: int,
    draft_long_side: int,
    layout: jpeg.ScanLayout | None = None,
) -> tuple[Image.Image, tuple[int, int], tuple[float, float, float, float] | None]:
    """Fully decode a sanitised stream; return image, full-resolution size, draft box.

    A JPEG whose decoder ran out of data before the frame was complete is refused as
    truncated (see jpeg.py), whatever markers the sender put after the short data.
    """
    if fmt == "JPEG" and layout is None:
        layout = jpeg.scan_layout(data)
    try:
        if layout is None:
            image, full_size, box = _open(data, fmt, pixel_limit, draft_long_side)
        elif layout.single_scan:
            # Without its EOI: a scan that is complete needs nothing past the lookahead.
            stream = jpeg.without_end(data, layout)
            image, full_size, box = _open(stream, fmt, pixel_limit, draft_long_side)
        else:
            stream = jpeg.with_end(data, layout)
            image, full_size, box = _open(stream, fmt, pixel_limit, draft_long_side)
            padded = jpeg.with_random_padding(data, layout)
            check = _open(padded, fmt, pixel_limit, draft_long_side)[0]
            if check.tobytes() != image.tobytes():
                raise PhotoError("truncated")
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


def _decode_heif(
    data: bytes, declared: tuple[int, int], long_side: int
) -> tuple[Image.Image, tuple[int, int]]:
    """A HEIC decoded by libheif, reduced to at least the web size; damage is `truncated`."""
    try:
        return heif.decode_heif(
            data,
            declared=declared,
            target=lambda size: _fit(size, long_side),
            to_rgb=_to_rgb,
        )
    except (PhotoError, MemoryError):
        raise
    except Exception as exc:  # libheif's errors for a damaged file, whatever their type
        raise PhotoError("truncated") from exc


def _open(
    data: bytes, fmt: str, pixel_limit: int, draft_long_side: int
) -> tuple[Image.Image, tuple[int, int], tuple[float, float, float, float] | None]:
    image = Image.open(BytesIO(data), formats=[fmt])
    if image.width * image.height > pixel_limit:  # should the walk ever disagree
        raise _too_many_pixels(pixel_limit)
    full_size = image.size
    box = None
    if fmt == "JPEG":
        # Let libjpeg scale by 1/2, 1/4 or 1/8 while decoding, down to the smallest
        # size that is still at least as large as the wanted derivative.
        drafted = image.draft("RGB", _fit(image.size, draft_long_side))
        if drafted is not None:
            box = drafted[1]
    # Force the full decode here so truncation surfaces now, as an error.
    image.load()
    return image, full_size, box


# Rows converted at a time when shrinking a fully decoded image.
_STRIP_BYTES = 4 * _MIB


def _shrink(image: Image.Image, target: tuple[int, int]) -> Image.Image:
    """An RGB copy of a fully decoded image, box-reduced by the largest integer factor that
    keeps it at least twice the target size; converted and reduced a strip of rows at a
    time, so there is never a second full-size copy (an RGBA one flattened onto white took
    three: 600 MB for a 186 KB PNG of 7000 x 7000 transparent pixels)."""
    width, height = image.size
    factor = shrink_factor(image.size, target)
    if factor == 1 and image.mode == "RGB":
        return image
    rows = max(1, _STRIP_BYTES // (4 * width * factor)) * factor
    out = Image.new("RGB", (-(-width // factor), -(-height // factor)))
    for top in range(0, height, rows):
        strip = _to_rgb(image.crop((0, top, width, min(height, top + rows))))
        out.paste(strip.reduce(factor) if factor > 1 else strip, (0, top // factor))
    return out


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
    # Bicubic, as Pillow's own thumbnail(): after the decoder's 1/2-1/8 scaling the step
    # left is small (2000 -> 1600 px for a 12-MP phone photo), where Lanczos is no sharper
    # to the eye but costs about 40 % more (the resize was half of the photo step's time).
    return image.resize(size, Image.Resampling.BICUBIC, box=box, reducing_gap=reducing_gap)


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
