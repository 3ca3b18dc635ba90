"""The limits every photo upload keeps, from the settings: citizen intake, Open311, after
photos; and the process's shared decoding memory."""

from __future__ import annotations

import ctypes

from flask import current_app

from .photos import DEFAULT_DECODE_BUDGET, DecodeBudget
from .service import IntakeLimits

_BUDGET = "maengelmelder.decode_budget"
# glibc's malloc serves blocks below its mmap threshold from per-thread heaps and raises the
# threshold (up to 32 MB) whenever a larger block is freed; Pillow's 16 MB image blocks then
# stay in the heap of whichever thread decoded them, and a worker whose threads took turns
# decoding held the sum (up to 600 MB with a 160 MB budget). A fixed threshold below Pillow's
# block size hands image memory back to the system as soon as it is freed.
_MMAP_THRESHOLD = 4 * 1024 * 1024
_M_MMAP_THRESHOLD = -3


def intake_limits() -> IntakeLimits:
    """Photo count, bytes and pixels per upload; decoding memory per photo and per process."""
    cfg = current_app.config
    budget = decode_budget()
    return IntakeLimits(
        max_photos=cfg["MAX_PHOTOS"],
        max_photo_bytes=cfg["MAX_PHOTO_BYTES"],
        max_photo_pixels=cfg["MAX_PHOTO_PIXELS"],
        max_decode_bytes=budget.total,
        decode_budget=budget,
    )


def decode_budget() -> DecodeBudget:
    """The process's photo decoding memory (one per app, made on first use)."""
    budget = current_app.extensions.get(_BUDGET)
    if budget is None:
        cfg = current_app.config
        made = DecodeBudget(
            cfg.get("PHOTO_DECODE_BUDGET_BYTES", DEFAULT_DECODE_BUDGET),
            wait_seconds=cfg.get("PHOTO_DECODE_WAIT_SECONDS", 5.0),
        )
        budget = current_app.extensions.setdefault(_BUDGET, made)
        _return_freed_image_memory()
    return budget


def _return_freed_image_memory() -> None:
    """Fix glibc's mmap threshold for this process (see _MMAP_THRESHOLD); elsewhere a no-op."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (macOS has no mallopt; musl ignores it)
        return
    mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
