"""The one source of 'now', injectable for tests and jobs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from marshmallow import ValidationError

Clock = Callable[[], datetime]
BERLIN = ZoneInfo("Europe/Berlin")


def system_clock() -> datetime:
    """Now, timezone-aware UTC."""
    return datetime.now(UTC)


def now() -> datetime:
    """Now according to the app's clock (config CLOCK), timezone-aware UTC."""
    return current_app.config.get("CLOCK", system_clock)()


def in_utc(value: datetime) -> None:
    """Validator of input times: the instant must exist in UTC (year 1 at +05:00 does not)."""
    try:
        value.astimezone(UTC)
    except OverflowError as exc:
        raise ValidationError("Not a valid aware datetime.") from exc


def isoformat(value: datetime | None) -> str | None:
    """UTC ISO 8601 with a Z suffix, second precision."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
