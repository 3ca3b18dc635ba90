"""Other formats: ones Pillow reads and we refuse, and HEIC/AVIF as phones write them."""

from __future__ import annotations

import struct
from functools import lru_cache
from io import BytesIO

import numpy as np
from PIL import Image, ImageDraw

from .metadata import BERLIN, exif_block, xmp_packet
from .pixels import _photo, _save

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
        # x265's fastest preset: the same HEVC container, in a tenth of the time (a 12-MP
        # photo 1.5 s instead of 13 s); what the tests check is the container, not the codec.
        enc_params={"preset": "ultrafast"},
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
