"""Intake checks and the holds put on new reports (block list, unconfirmed e-mail)."""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import ApiError

# Form signals the citizen app sends with a report; checked, never stored, never fingerprinted.
FORM_SIGNALS = ("website", "fill_ms")


def check_form_signals(data: Mapping, settings: Mapping) -> None:
    """Refuse a filled-in honeypot and a form sent faster than a person fills it in.

    Both are speed bumps for simple bots; clients that do not send the fields (API clients,
    Open311) pass, and rate limits, the block list and moderation do the rest.
    """
    if (data.get("website") or "").strip():
        raise ApiError(422, "spam_suspected")
    fill_ms = data.get("fill_ms")
    minimum = float(settings.get("MIN_FILL_SECONDS", 3) or 0)
    if fill_ms is not None and minimum > 0 and fill_ms < minimum * 1000:
        raise ApiError(422, "too_fast")


def without_form_signals(data: Mapping) -> dict:
    """The submitted fields without the form signals (what is stored and fingerprinted)."""
    return {k: v for k, v in data.items() if k not in FORM_SIGNALS}
