"""The limits every photo upload keeps, from the settings: citizen intake, Open311, after
photos; and the process's shared decoding memory."""

from __future__ import annotations

from flask import current_app

from .photos import DEFAULT_DECODE_BUDGET, DecodeBudget
from .service import IntakeLimits

_BUDGET = "maengelmelder.decode_budget"


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
    return budget
