"""Test-image factory: every function returns the bytes of one (possibly hostile) upload.

Metadata is written by hand (``exif_block``) rather than with Pillow, so tests of the EXIF
reader do not merely check Pillow against itself. Big images are cached; all results are
immutable ``bytes`` and deterministic.

The factories live in modules by topic (``metadata``: the EXIF/XMP writer; ``pixels``: the
synthetic photo and encoders; ``photos``: good inputs; ``hostile``: bad inputs; ``formats``:
other formats, HEIC and AVIF); this package re-exports them all.
"""

from __future__ import annotations

from .formats import (
    avif_bytes,
    avif_photo,
    bmp_bytes,
    heic_like,
    heic_photo,
    ico_bytes,
    psd_header,
    tiff_bytes,
)
from .hostile import (
    POLYGLOT_MARKER,
    decompression_bomb,
    exif_bomb,
    gif_sub_block_flood,
    html_bytes,
    jpeg_cut_with_eoi,
    jpeg_segment_flood,
    oversized_dimension_png,
    polyglot,
    short_scan_jpeg,
    svg_bytes,
    text_as_jpg,
    transparent_png,
    truncated_jpeg,
    zero_bytes,
)
from .metadata import ASCII as ASCII
from .metadata import (
    BERLIN,
    SECRET_COMMENT,
    ascii_entry,
    dms,
    exif_block,
    rational_entry,
    short_entry,
    xmp_packet,
)
from .metadata import BYTE as BYTE
from .metadata import LONG as LONG
from .metadata import RATIONAL as RATIONAL
from .metadata import SHORT as SHORT
from .metadata import UNDEFINED as UNDEFINED
from .metadata import Entry as Entry
from .photos import (
    animated_gif,
    cmyk_jpeg,
    extreme_aspect_png,
    jpeg_with_exif,
    mpo_jpeg,
    phone_jpeg,
    png16_bytes,
    png_bytes,
    webp_bytes,
)
from .photos import app_jpeg as app_jpeg
from .pixels import BLUE as BLUE
from .pixels import MARKER_SIZE_DIVISOR
from .pixels import RED as RED
from .pixels import _photo as _photo

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
