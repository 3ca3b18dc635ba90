"""Memory for decoding: what a photo will cost before it is decoded, and a per-process budget.

A small file can decode to hundreds of megabytes (a 190 KB PNG of 7000 x 7000 transparent
pixels, a 2 KB WebP of the same size). So every photo's peak memory is estimated from its
container (declared size, pixel format, JPEG scan layout) before Pillow sees it:

* a photo that alone would need more than the per-photo maximum is refused as too many
  pixels, with the limit that holds for its kind of file (a JPEG decoded at reduced scale
  may have many more pixels than a PNG, which is always decoded whole);
* decoding then reserves its estimate from a budget shared by the process's threads; when
  the reservation cannot be had within a short wait, the request is answered 503 with
  Retry-After instead of growing the worker until the kernel kills it.

The estimates are upper bounds measured against the worker's peak RSS (benchmarks/photos.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from .containers import Container

# The default per process (and so the most one photo may take); see benchmarks/photos.py.
DEFAULT_DECODE_BUDGET = 160 * 1024 * 1024
_WORKING_SET = 16 * 1024 * 1024  # resampling buffers, encoder output, Pillow's own blocks
# Bytes per decoded pixel as Pillow stores them (RGB, RGBA, LA, CMYK take four).
_PILLOW_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2}
# What the HEIF and AVIF decoders hold per pixel besides our own images, at 8 bits per
# channel (half as much again above). The whole processing of 12-megapixel photos peaked at
# 72 MB (HEIC), 122 MB (HEIC with alpha), 107 MB (10-bit HEIC), 108 MB (AVIF) and 153 MB
# (AVIF with alpha); a 24-megapixel HEIC at 125 MB.
HEIF_DECODE_BYTES = 5.5
HEIF_ALPHA_BYTES = 4.0
AVIF_DECODE_BYTES = 5.5


class PhotoBusy(Exception):
    """The process's decode budget stayed exhausted for the whole wait: try again later."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Cost:
    """A photo's estimated peak memory, and its decoded pixel format's bytes per pixel."""

    nbytes: int
    bytes_per_pixel: float  # of the declared size: what the per-kind pixel limit follows


class DecodeBudget:
    """Bytes of decoding memory shared by the threads of one process (a counting semaphore
    over bytes). Waiters are served in arrival order, so a large photo is not starved by a
    stream of small ones."""

    def __init__(self, total_bytes: int, wait_seconds: float = 5.0, retry_after: int = 10):
        if total_bytes < 1 or wait_seconds < 0:
            raise ValueError("the budget must be positive, the wait not negative")
        self.total = total_bytes
        self.wait_seconds = wait_seconds
        self.retry_after = retry_after
        self._used = 0
        self._queue: list[object] = []
        self._changed = threading.Condition()

    @property
    def used(self) -> int:
        return self._used

    @contextmanager
    def reserve(self, nbytes: int) -> Iterator[None]:
        """Hold `nbytes` (at most the whole budget) while the block runs; PhotoBusy when they
        cannot be had within the wait."""
        nbytes = min(max(0, nbytes), self.total)
        ticket = object()
        deadline = time.monotonic() + self.wait_seconds
        with self._changed:
            self._queue.append(ticket)
            try:
                while self._queue[0] is not ticket or self._used + nbytes > self.total:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise PhotoBusy(self.retry_after)
                    self._changed.wait(left)
            finally:
                self._queue.remove(ticket)
                self._changed.notify_all()
            self._used += nbytes
        try:
            yield
        finally:
            with self._changed:
                self._used -= nbytes
                self._changed.notify_all()


def decode_cost(
    container: Container,
    *,
    coefficient_bytes: int,
    multi_scan: bool,
    target: tuple[int, int],
) -> Cost:
    """The peak bytes of processing this photo (an upper bound), before decoding it.

    `target` is the web derivative's size; `coefficient_bytes` and `multi_scan` come from
    a JPEG's scan layout (jpeg.py).
    """
    width, height = container.size
    pixels = width * height
    fixed = 3 * len(container.data) + 2 * 4 * target[0] * target[1] + _WORKING_SET
    if container.format == "JPEG":
        # libjpeg scales by 1/2, 1/4 or 1/8 while decoding; a multi-scan stream also keeps
        # every coefficient (2 bytes each) and is decoded twice (see jpeg.py).
        scale = jpeg_draft_scale(container.size, target)
        decoded = 4 * pixels / (scale * scale)
        if multi_scan:
            variable = coefficient_bytes + 2 * decoded + 2 * 0.75 * decoded
        else:
            variable = 2 * decoded  # the decode and one converted copy (CMYK, grey)
        return Cost(int(fixed + variable), variable / pixels)
    depth = 1.5 if container.bits > 8 else 1.0
    if container.format == "HEIF":
        # libheif's decode (its YUV planes and its RGB copy), then the RGB copy reduced by
        # the largest whole factor that keeps the web size (heif.decode_heif).
        factor = max(1, min(width // target[0], height // target[1]))
        decoder = HEIF_DECODE_BYTES + (HEIF_ALPHA_BYTES if container.mode == "RGBA" else 0)
        per_pixel = decoder * depth + 4 / (factor * factor)
        return Cost(int(fixed + per_pixel * pixels), per_pixel)
    per_pixel = float(_PILLOW_BYTES.get(container.mode or "", 4))
    if container.format == "AVIF":
        per_pixel += AVIF_DECODE_BYTES * depth  # libavif's YUV planes and its RGB copy
    if container.format == "WEBP":
        per_pixel += 12  # libwebp's canvas, the frame's bytes and a copy, held while loading
    # Turned into RGB and reduced a strip at a time (photos._shrink).
    factor = shrink_factor(container.size, target)
    if factor > 1 or container.mode != "RGB":
        per_pixel += 4 / (factor * factor)
    return Cost(int(fixed + per_pixel * pixels), per_pixel)


def jpeg_draft_scale(size: tuple[int, int], target: tuple[int, int]) -> int:
    """The scale denominator Pillow's JPEG draft picks for a wanted size (1, 2, 4 or 8)."""
    scale = min(size[0] // target[0], size[1] // target[1])
    return next(a for a in (8, 4, 2, 1) if scale >= a)


def shrink_factor(size: tuple[int, int], target: tuple[int, int]) -> int:
    """The box-reduction factor of photos._shrink: the largest that keeps the image at least
    twice the target size (the gap Pillow's thumbnail keeps)."""
    return max(1, min(size[0] // target[0], size[1] // target[1]) // 2)
