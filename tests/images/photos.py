"""Good inputs: camera and app JPEGs, PNGs, GIF, WebP and other valid uploads."""

from __future__ import annotations

import zlib
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw

from .metadata import BERLIN, SECRET_COMMENT, _srgb_icc, exif_block, xmp_packet
from .pixels import BLUE, RED, _jpeg, _photo, _png, _save

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
