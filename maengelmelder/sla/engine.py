"""The 48h deadline engine: policies, pauses, deadlines and SLA states. Pure: data in, decision out.

Vocabulary
----------
* **Counted time** is what a `Calendar` counts: every second on the `WallClock`, only opening
  hours on `BusinessHours`. A policy promises `hours` of counted time.
* **Pauses** (ticket waits for a third party) are not counted when the policy says so. Pauses
  may overlap and come in any order; they are merged, and the parts before creation dropped.
  A pause with ``end=None`` is still running.
* **Deadline**: the earliest instant at which the promised counted time, minus paused spans,
  is used up. It is None while an open pause began before that instant: the deadline is unknown
  until the clock resumes. An open pause that begins *after* the time was already used up does
  not hide the breach: the deadline stays known and the ticket stays "breached".
* **at_risk_at**: the same for ``(1 - at_risk_share)`` of the promised time.

States
------
Open tickets: "ok" -> "at_risk" (from `at_risk_at` on, inclusive) -> "breached" (strictly
after the deadline); "paused" while the deadline is unknown. Done tickets: "met" when resolved
at or before the deadline (resolved exactly at the deadline counts as met), else "missed"; a
ticket resolved while its clock was paused is "met" (it had time left when the clock stopped).

`sla_state` is defined through `state_from_timestamps`, so a stored (deadline, at_risk_at,
resolved_at, paused) row always yields the same state as the full computation.

All datetimes are timezone-aware (naive -> ValueError); results are UTC.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from maengelmelder.sla.calendars import (
    BusinessHours,
    Calendar,
    WallClock,
    business_hours_for,
    ensure_utc,
)

__all__ = [
    "CALENDARS",
    "STATES",
    "BusinessHours",
    "Calendar",
    "Pause",
    "Policy",
    "Schedule",
    "SlaState",
    "WallClock",
    "at_risk_at",
    "calendar_for",
    "deadline",
    "resolve_policy",
    "schedule",
    "sla_state",
    "state_from_timestamps",
    "time_left",
    "used_time",
]

SlaState = Literal["ok", "at_risk", "breached", "met", "missed", "paused"]
STATES: tuple[str, ...] = ("ok", "at_risk", "breached", "met", "missed", "paused")
CALENDARS: tuple[str, ...] = ("wall", "business")

_WALL_CLOCK = WallClock()


def _check_hours(hours: float, name: str) -> float:
    if isinstance(hours, bool) or not isinstance(hours, int | float):
        raise TypeError(f"{name} must be a number, not {type(hours).__name__}")
    if not math.isfinite(hours) or hours <= 0:
        raise ValueError(f"{name} must be a finite number > 0, not {hours!r}")
    return float(hours)


@dataclass(frozen=True)
class Policy:
    """What is promised: `hours` of counted time on a calendar, with or without pauses."""

    hours: float = 48
    calendar: str = "wall"  # "wall" | "business"
    pause_when_waiting: bool = True
    at_risk_share: float = 0.25  # at risk when less than this share of the promise is left

    def __post_init__(self) -> None:
        _check_hours(self.hours, "Policy.hours")
        if self.calendar not in CALENDARS:
            raise ValueError(f"Policy.calendar must be one of {CALENDARS}, not {self.calendar!r}")
        share = self.at_risk_share
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 1:
            raise ValueError(f"Policy.at_risk_share must be between 0 and 1, not {share!r}")


def resolve_policy(
    category_hours: float,
    *,
    rule_hours: float | None = None,
    priority_hours: float | None = None,
    department_policy: Policy | None = None,
    default: Policy = Policy(),  # frozen, hence a safe shared default
) -> Policy:
    """The effective policy: rule override > priority override > department > category."""
    # Precedence, strongest first:
    #   1. rule_hours       - a routing rule's sla_hours (most specific decision about the case)
    #   2. priority_hours   - the hours of the ticket's priority
    #   3. department_policy - the department's whole policy, including its hours
    #   4. category_hours   - applied to `default` (calendar, pauses and share from the default)
    # Overrides 1 and 2 replace only the hours; calendar, pause rule and at-risk share stay
    # those of the department policy (or of the default).
    if department_policy is not None:
        policy = department_policy
    else:
        policy = replace(default, hours=_check_hours(category_hours, "category_hours"))
    for override, name in ((priority_hours, "priority_hours"), (rule_hours, "rule_hours")):
        if override is not None:
            policy = replace(policy, hours=_check_hours(override, name))
    return policy


def calendar_for(policy: Policy, state: str) -> Calendar:
    """The calendar a policy counts on; business hours use the state's shared default instance."""
    if policy.calendar == "business":
        return business_hours_for(state)
    return _WALL_CLOCK


@dataclass(frozen=True)
class Pause:
    """A span in which the ticket waits for a third party; ``end=None`` means still paused."""

    start: datetime
    end: datetime | None = None

    def __post_init__(self) -> None:
        start = ensure_utc(self.start, "Pause.start")
        if self.end is not None and ensure_utc(self.end, "Pause.end") < start:
            raise ValueError(f"Pause ends ({self.end}) before it starts ({self.start})")


def _effective_pauses(
    created_at: datetime, policy: Policy, pauses: Sequence[Pause]
) -> list[tuple[datetime, datetime | None]]:
    """Sorted, merged, non-overlapping pauses clipped to start no earlier than creation."""
    if not policy.pause_when_waiting:
        return []
    spans: list[tuple[datetime, datetime | None]] = []
    for pause in pauses:
        start = max(ensure_utc(pause.start, "Pause.start"), created_at)
        end = None if pause.end is None else ensure_utc(pause.end, "Pause.end")
        if end is not None and end <= start:
            continue  # entirely before creation, or empty
        spans.append((start, end))
    spans.sort(key=lambda span: span[0])
    merged: list[tuple[datetime, datetime | None]] = []
    for start, end in spans:
        if merged:
            last_start, last_end = merged[-1]
            if last_end is None:
                break  # an open pause swallows everything after it
            if start <= last_end:
                new_end = None if end is None else max(last_end, end)
                merged[-1] = (last_start, new_end)
                continue
        merged.append((start, end))
    return merged


def _point(
    created_at: datetime,
    hours: float,
    calendar: Calendar,
    spans: list[tuple[datetime, datetime | None]],
) -> datetime | None:
    """Earliest instant at which `hours` of counted, unpaused time have passed since creation."""
    cursor = created_at
    remaining = timedelta(hours=hours)
    for start, end in spans:
        candidate = calendar.add(cursor, remaining / timedelta(hours=1))
        if candidate <= start:
            return candidate  # used up before (or exactly when) this pause begins
        remaining -= calendar.counted(cursor, start)
        if end is None:
            return None
        cursor = max(cursor, end)
    return calendar.add(cursor, remaining / timedelta(hours=1))


@dataclass(frozen=True)
class Schedule:
    """The timestamps worth storing on a ticket; feed them to `state_from_timestamps`."""

    deadline: datetime | None
    at_risk_at: datetime | None
    paused: bool  # an open pause is running (the clock is stopped now)


def schedule(
    created_at: datetime, policy: Policy, calendar: Calendar, pauses: Sequence[Pause] = ()
) -> Schedule:
    """Deadline, at-risk instant and paused flag of a ticket in one pass over its pauses."""
    created = ensure_utc(created_at, "created_at")
    spans = _effective_pauses(created, policy, pauses)
    risk_hours = policy.hours * (1 - policy.at_risk_share)
    return Schedule(
        deadline=_point(created, policy.hours, calendar, spans),
        # at_risk_share=1 means zero hours: `_point` then returns the creation instant,
        # i.e. "at risk from the start"; share 0 puts at_risk_at on the deadline.
        at_risk_at=_point(created, risk_hours, calendar, spans),
        paused=bool(spans) and spans[-1][1] is None,
    )


def deadline(
    created_at: datetime, policy: Policy, calendar: Calendar, pauses: Sequence[Pause] = ()
) -> datetime | None:
    """When the promised counted time is used up; None while an open pause hides it."""
    created = ensure_utc(created_at, "created_at")
    spans = _effective_pauses(created, policy, pauses)
    return _point(created, policy.hours, calendar, spans)


def at_risk_at(
    created_at: datetime, policy: Policy, calendar: Calendar, pauses: Sequence[Pause] = ()
) -> datetime | None:
    """When (1 - at_risk_share) of the counted time is used up; None while paused before it."""
    created = ensure_utc(created_at, "created_at")
    spans = _effective_pauses(created, policy, pauses)
    return _point(created, policy.hours * (1 - policy.at_risk_share), calendar, spans)


def used_time(
    at: datetime,
    created_at: datetime,
    policy: Policy,
    calendar: Calendar,
    pauses: Sequence[Pause] = (),
) -> timedelta:
    """Counted, unpaused time between creation and `at`."""
    created = ensure_utc(created_at, "created_at")
    until = ensure_utc(at, "at")
    total = calendar.counted(created, until)
    for start, end in _effective_pauses(created, policy, pauses):
        total -= calendar.counted(start, until if end is None else min(end, until))
    return total


def state_from_timestamps(
    now: datetime,
    *,
    deadline: datetime | None,
    at_risk_at: datetime | None,
    resolved_at: datetime | None,
    paused: bool = False,
) -> SlaState:
    """The SLA state from stored timestamps alone, without a calendar."""
    current = ensure_utc(now, "now")
    due = None if deadline is None else ensure_utc(deadline, "deadline")
    risk = None if at_risk_at is None else ensure_utc(at_risk_at, "at_risk_at")
    if resolved_at is not None:
        # No deadline means the clock was stopped with time left; resolving then keeps the promise.
        return "met" if due is None or ensure_utc(resolved_at, "resolved_at") <= due else "missed"
    if due is not None and current > due:
        return "breached"  # also while paused: a pause after the breach does not undo it
    if paused or due is None:
        return "paused"
    if risk is not None and current >= risk:
        return "at_risk"
    return "ok"


def sla_state(
    now: datetime,
    created_at: datetime,
    policy: Policy,
    calendar: Calendar,
    *,
    pauses: Sequence[Pause] = (),
    resolved_at: datetime | None = None,
) -> SlaState:
    """The SLA state of a ticket at `now`, computed from its history."""
    plan = schedule(created_at, policy, calendar, pauses)
    return state_from_timestamps(
        now,
        deadline=plan.deadline,
        at_risk_at=plan.at_risk_at,
        resolved_at=resolved_at,
        paused=plan.paused,
    )


def time_left(
    now: datetime,
    created_at: datetime,
    policy: Policy,
    calendar: Calendar,
    *,
    pauses: Sequence[Pause] = (),
    resolved_at: datetime | None = None,
) -> timedelta | None:
    """Counted time left (negative once over); frozen at resolution; None while paused."""
    current = ensure_utc(now, "now")
    if resolved_at is not None:
        current = min(current, ensure_utc(resolved_at, "resolved_at"))
    elif sla_state(now, created_at, policy, calendar, pauses=pauses) == "paused":
        return None
    used = used_time(current, created_at, policy, calendar, pauses)
    return timedelta(hours=policy.hours) - used
