"""Calendars that decide which time counts towards a deadline.

A calendar answers two questions about UTC instants: "when has `hours` of counted time passed
since `start`?" (`add`) and "how much counted time lies between two instants?" (`counted`).
Both always agree: ``counted(s, add(s, h)) == timedelta(hours=h)``, and ``add`` returns the
*earliest* such instant (a deadline that falls on a closing time is that closing time, not the
next opening).

All inputs must be timezone-aware (naive datetimes raise ValueError); all outputs are UTC.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

__all__ = [
    "BusinessHours",
    "Calendar",
    "WallClock",
    "business_hours_for",
    "ensure_utc",
    "holidays_for",
    "state_code",
]

_ZERO = timedelta(0)
_ONE_DAY = timedelta(days=1)
# Per-date opening windows are cached on each BusinessHours; cap the cache so a long-running
# process that is asked about many distant dates cannot grow it without bound.
_WINDOW_CACHE_LIMIT = 20_000


def ensure_utc(value: datetime, name: str = "datetime") -> datetime:
    """The same instant in UTC; ValueError for a naive datetime."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got naive {value.isoformat()}")
    return value.astimezone(UTC)


def _duration(hours: float) -> timedelta:
    """`hours` as a timedelta; rejects negative, NaN and infinite amounts."""
    if isinstance(hours, bool) or not isinstance(hours, int | float):
        raise TypeError(f"hours must be a number, not {type(hours).__name__}")
    if not math.isfinite(hours) or hours < 0:
        raise ValueError(f"hours must be a finite number >= 0, not {hours!r}")
    return timedelta(hours=hours)


@runtime_checkable
class Calendar(Protocol):
    """Which time counts: `add` counted hours to an instant, measure counted time between two."""

    def add(self, start: datetime, hours: float) -> datetime:
        """The earliest instant at which `hours` of counted time have passed since `start`."""
        ...

    def counted(self, start: datetime, end: datetime) -> timedelta:
        """Counted time between two instants (zero if end <= start)."""
        ...


class WallClock:
    """Every second counts, 24/7: 48 hours are 48 real hours, also on DST switch days."""

    def add(self, start: datetime, hours: float) -> datetime:
        """`start` plus `hours` real hours, in UTC."""
        # Adding in UTC (not local time) is what makes DST switch days exact.
        return ensure_utc(start, "start") + _duration(hours)

    def counted(self, start: datetime, end: datetime) -> timedelta:
        """Real elapsed time between the instants (zero if end <= start)."""
        return max(ensure_utc(end, "end") - ensure_utc(start, "start"), _ZERO)

    def __repr__(self) -> str:
        return "WallClock()"


def state_code(state: str) -> str:
    """The `holidays` code of a German state ("HE"; "Hessen" is accepted too); else ValueError."""
    aliases: dict[str, str] = getattr(holidays.Germany, "subdivisions_aliases", {})
    code = aliases.get(state, state) if isinstance(state, str) else state
    # Checked explicitly: `holidays` itself treats "" as "no state" (national holidays only).
    if code not in holidays.Germany.subdivisions:
        raise ValueError(
            f"unknown German state {state!r}; expected one of "
            f"{', '.join(holidays.Germany.subdivisions)}"
        )
    return code


@lru_cache(maxsize=512)
def holidays_for(state: str, year: int) -> frozenset[date]:
    """Public holidays of a German state in one year (cached per state and year)."""
    table = holidays.country_holidays("DE", subdiv=state_code(state), years=year)
    return frozenset(table)


class BusinessHours:
    """Counts only opening hours on working days that are not public holidays of a state.

    Opening hours are local wall-clock times in `tz` (default Europe/Berlin), so after a DST
    switch the office still opens at 07:00 local time and a 07:00–16:00 day still counts
    9 hours. A window is measured in real elapsed time between its local opening and closing
    instants; only a window that itself spans a DST switch (e.g. a night shift 00:00–06:00 on
    the last Sunday of March) is one hour shorter or longer than its nominal length.
    """

    def __init__(
        self,
        state: str = "HE",
        opens: time = time(7),
        closes: time = time(16),
        weekdays: Collection[int] = frozenset({0, 1, 2, 3, 4}),
        tz: str = "Europe/Berlin",
        extra_closed_days: Collection[date] = (),
    ) -> None:
        """A business-hours calendar; ValueError for an unknown state, zone or bad hours."""
        state = state_code(state)
        if opens.tzinfo is not None or closes.tzinfo is not None:
            raise ValueError("opens/closes are local wall-clock times without tzinfo")
        if not opens < closes:
            raise ValueError(f"opens ({opens}) must be before closes ({closes})")
        days = frozenset(weekdays)
        if not days or not days <= frozenset(range(7)):
            raise ValueError(f"weekdays must be a non-empty subset of 0..6, not {sorted(days)}")
        try:
            zone = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {tz!r}") from exc
        self.state = state
        self.opens = opens
        self.closes = closes
        self.weekdays = days
        self.tz = tz
        self.extra_closed_days = frozenset(extra_closed_days)
        self._zone = zone
        self._windows: dict[date, tuple[datetime, datetime] | None] = {}

    def __repr__(self) -> str:
        return (
            f"BusinessHours(state={self.state!r}, opens={self.opens}, closes={self.closes}, "
            f"weekdays={sorted(self.weekdays)}, tz={self.tz!r})"
        )

    def is_working_day(self, day: date) -> bool:
        """Whether the office is open at all on this local date."""
        return (
            day.weekday() in self.weekdays
            and day not in self.extra_closed_days
            and day not in holidays_for(self.state, day.year)
        )

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The opening window of a local date as UTC instants, or None when closed that day."""
        try:
            return self._windows[day]
        except KeyError:
            pass
        result: tuple[datetime, datetime] | None = None
        if self.is_working_day(day):
            opening = datetime.combine(day, self.opens, self._zone).astimezone(UTC)
            closing = datetime.combine(day, self.closes, self._zone).astimezone(UTC)
            if closing > opening:  # a window swallowed whole by a DST gap counts nothing
                result = (opening, closing)
        if len(self._windows) >= _WINDOW_CACHE_LIMIT:
            self._windows.clear()
        self._windows[day] = result
        return result

    def _local_date(self, instant: datetime) -> date:
        return instant.astimezone(self._zone).date()

    def add(self, start: datetime, hours: float) -> datetime:
        """The earliest instant at which `hours` opening hours have passed since `start`."""
        cursor = ensure_utc(start, "start")
        remaining = _duration(hours)
        if not remaining:
            return cursor
        # Walk day by day (never minute by minute): each day contributes its whole window.
        # Terminates because `weekdays` is non-empty and holidays are finite.
        day = self._local_date(cursor)
        while True:
            span = self.window(day)
            if span is not None:
                opening, closing = span
                begin = max(opening, cursor)
                if begin < closing:
                    available = closing - begin
                    if remaining <= available:
                        return begin + remaining
                    remaining -= available
            day += _ONE_DAY

    def counted(self, start: datetime, end: datetime) -> timedelta:
        """Opening hours between the instants (zero if end <= start)."""
        begin = ensure_utc(start, "start")
        finish = ensure_utc(end, "end")
        if finish <= begin:
            return _ZERO
        total = _ZERO
        day = self._local_date(begin)
        last = self._local_date(finish)
        while day <= last:
            span = self.window(day)
            if span is not None:
                lo = max(span[0], begin)
                hi = min(span[1], finish)
                if hi > lo:
                    total += hi - lo
            day += _ONE_DAY
        return total


@lru_cache(maxsize=64)
def business_hours_for(state: str) -> BusinessHours:
    """The default business-hours calendar of a state (one shared instance per state)."""
    return BusinessHours(state=state)
