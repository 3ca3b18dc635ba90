"""Pixels and encoders shared by the image factories: the synthetic photo with its corner
markers, JPEG/any-format saving and a raw PNG writer."""

from __future__ import annotations

import struct
import zlib
from io import BytesIO

import numpy as np
from PIL import Image, ImageDraw

# Corner markers are squares of min(width, height) // MARKER_SIZE_DIVISOR pixels.
MARKER_SIZE_DIVISOR = 8
RED = (255, 0, 0)
BLUE = (0, 0, 255)


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
