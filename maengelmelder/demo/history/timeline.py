"""One ticket's life, step by step, as the service would have recorded it.

A `Ticket` applies the same state changes as `tickets.service` (transition, reopen, confirm,
quiet close), the deadline sweep of `sla.service.act` and the retention of `privacy.service`,
each writing the event the service writes, at moments drawn by `live`. Nothing happens at or
after the end of the history: a ticket stays in the state it had reached by then. Times are
naive UTC datetimes (the writer formats them per database); whole seconds.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ...clock import BERLIN
from ...core import states
from ...core.settings import RetentionSettings, SlaSettings, TicketSettings
from ...sla.engine import Pause, Policy, calendar_for, schedule
from ...sla.jobs import check_moment
from . import profile

SECOND = timedelta(seconds=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def iso(moment: datetime) -> str:
    """A naive UTC time as the service's `datetime.isoformat()` of the aware one."""
    return moment.isoformat() + "+00:00"


def aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


def naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def local(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC).astimezone(BERLIN)


def between(rng: random.Random, lo: datetime, hi: datetime) -> datetime:
    """A whole second in [lo, hi] (lo when the span is empty)."""
    seconds = int((hi - lo).total_seconds())
    return lo + timedelta(seconds=int(rng.random() * seconds)) if seconds > 0 else lo


def in_shift(moment: datetime) -> bool:
    """Whether a crew works at this moment (local time)."""
    here = local(moment)
    start, end = profile.shift(here.weekday())
    return start <= here.hour < end


def at_work(rng: random.Random, draw: Callable[[], datetime], tries: int = 6) -> datetime:
    """A moment from `draw` in a crew's working hours (if a few tries find one), whole seconds."""
    moment = draw()
    for _ in range(tries - 1):
        if in_shift(moment):
            break
        moment = draw()
    return moment.replace(microsecond=0)


@dataclass
class World:
    """What every ticket of a history shares: the end, the settings, the crews."""

    end: datetime
    config: dict
    # department id -> (actor, user id, name) of the crew that works its tickets
    teams: dict[int, tuple[str, int, str]]
    _offsets: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        cfg = self.config
        self.sla = SlaSettings.from_config(cfg)
        self.pause_when_waiting = self.sla.pause_when_waiting
        self.at_risk_share = self.sla.at_risk_share
        self.state = self.sla.state
        tickets = TicketSettings.from_config(cfg)
        self.auto_close = timedelta(days=tickets.auto_close_days)
        self.followup = timedelta(days=tickets.followup_days)
        self.retention = timedelta(days=RetentionSettings.from_config(cfg).days)
        self.reopen_days = float(tickets.reopen_days)

    def policy(self, hours: float, calendar: str) -> Policy:
        """The policy `sla.service.reschedule` builds from a ticket's stored promise."""
        return Policy(
            hours=hours,
            calendar=calendar,
            pause_when_waiting=self.pause_when_waiting,
            at_risk_share=self.at_risk_share,
        )

    def plan(
        self, start: datetime, hours: float, calendar: str, pauses: list | None = None
    ) -> tuple[datetime | None, datetime | None]:
        """(deadline, at_risk_at) from `start`, as `sla.service.reschedule` computes them."""
        if calendar == "wall" and not pauses:
            # The wall clock adds the same span to every start: compute it once per promise.
            offsets = self._offsets.get(hours)
            if offsets is None:
                policy = self.policy(hours, calendar)
                ref = datetime(2000, 1, 1, tzinfo=UTC)
                planned = schedule(ref, policy, calendar_for(policy, self.state))
                offsets = self._offsets[hours] = (
                    planned.deadline - ref,
                    planned.at_risk_at - ref,
                )
            return start + offsets[0], start + offsets[1]
        policy = self.policy(hours, calendar)
        spans = [Pause(aware(a), aware(b) if b else None) for a, b in pauses or []]
        planned = schedule(aware(start), policy, calendar_for(policy, self.state), spans)
        return (
            naive(planned.deadline) if planned.deadline else None,
            naive(planned.at_risk_at) if planned.at_risk_at else None,
        )


# An event row without its ids: (created_at, actor, kind, from, to, public, internal, data)
Event = tuple


class Ticket:
    """The stored state of one report while its history is played."""

    def __init__(self, world: World, created: datetime, hours: float, calendar: str) -> None:
        self.world = world
        self.created = self.updated = created
        self.hours, self.calendar = hours, calendar
        self.deadline, self.at_risk_at = world.plan(created, hours, calendar)
        self.status = states.NEW
        self.events: list[Event] = []
        self.escalations: list[tuple[str, datetime, datetime]] = []  # (kind, deadline, at)
        self.warned = self.escalated = False
        self.checked_from = created  # the sweep looks at the ticket from here on
        self.pauses: list[list] = []
        self.paused_since: datetime | None = None
        self.resolved_at: datetime | None = None
        self.closed_at: datetime | None = None
        self.left_open: datetime | None = None
        self.resolved_event = -1  # index in events of the last change to resolved
        self.assignee: int | None = None
        self.published = False
        self.steps = 1  # the row's version: one per change after the insert

    # -- what the service does ------------------------------------------------------------------

    def filed(self, data: dict) -> None:
        """Intake's first event (`reports.service.submit_report`)."""
        self.events.append(
            (self.created, "citizen", "created", None, states.NEW, None, None, json.dumps(data))
        )

    def record(
        self,
        at: datetime,
        actor: str,
        kind: str,
        to: str | None = None,
        public: str | None = None,
        internal: str | None = None,
        data: dict | None = None,
    ) -> int:
        """Append an event as `tickets.service.record` does; returns its index."""
        payload = json.dumps(data) if data is not None else None
        self.events.append(
            (at, actor, kind, self.status, to or self.status, public, internal, payload)
        )
        if kind != "privacy":  # retention appends its event without touching the ticket
            self.updated = at
            self.steps += 1
        return len(self.events) - 1

    def reach(self, at: datetime) -> bool:
        """Let the deadline sweep act up to `at`; False if `at` lies beyond the history."""
        end = min(at, self.world.end)
        while self.status in states.OPEN and self.paused_since is None:
            due = []
            if not self.warned and self.at_risk_at is not None:
                due.append(max(self.at_risk_at, self.checked_from))
            if not self.escalated and self.deadline is not None:
                due.append(max(self.deadline, self.checked_from))
            if not due:
                break
            # Deadlines fall into the sweep's buckets (sla.jobs): it acts just after them.
            moment = naive(check_moment(aware(min(due))))
            if moment >= end:
                break
            self._act(moment)
        return at < self.world.end

    def _act(self, now: datetime) -> None:
        """`sla.service.act` at `now`: warn, escalate, each once per deadline."""
        if not self.warned and self.at_risk_at is not None and self.at_risk_at <= now:
            self._escalate("at_risk", now)
            self.warned = True
        if not self.escalated and self.deadline < now:
            self._escalate("breach", now)
            self.escalated = True

    def _escalate(self, kind: str, now: datetime) -> None:
        self.escalations.append((kind, self.deadline, now))
        name = "sla_breached" if kind == "breach" else "sla_at_risk"
        self.record(now, "system", name, data={"deadline": iso(self.deadline)})

    def _reschedule(self, start: datetime | None, now: datetime) -> bool:
        pauses = [] if start is not None else self.pauses
        deadline, at_risk_at = self.world.plan(
            start or self.created, self.hours, self.calendar, pauses
        )
        if deadline is None:
            return False
        moved = deadline != self.deadline or at_risk_at != self.at_risk_at
        self.deadline, self.at_risk_at = deadline, at_risk_at
        if moved:
            self.warned = self.escalated = False
            self.checked_from = now
        return moved

    def move(
        self,
        at: datetime,
        to: str,
        actor: str,
        public: str | None = None,
        internal: str | None = None,
        data: dict | None = None,
    ) -> bool:
        """`tickets.service.transition`: the event, the state, pauses, resolved/closed times."""
        if not self.reach(at):
            return False
        index = self.record(at, actor, "status", to, public, internal, data)
        leaving_wait = self.status == states.WAITING_EXTERNAL and to != states.WAITING_EXTERNAL
        self.status = to
        if to == states.WAITING_EXTERNAL and self.world.pause_when_waiting:
            if self.paused_since is None:
                self.paused_since = at
                self.pauses.append([at, None])
        elif leaving_wait and self.paused_since is not None:
            self.pauses[-1][1] = at
            self.paused_since = None
            if self._reschedule(None, at):
                self.record(
                    at,
                    actor,
                    "deadline",
                    data={"reason": "resumed", "from": None, "to": iso(self.deadline)},
                )
        if to == states.RESOLVED:
            self.resolved_at = at
            self.resolved_event = index
        elif to == states.CLOSED:
            self.closed_at = at
        elif to in states.OPEN:
            self.resolved_at = None
        if to not in states.OPEN and self.left_open is None:
            self.left_open = at
        return True

    def reopen(self, at: datetime, note: str) -> bool:
        """`tickets.service.reopen_by_citizen`: back to the crew with the full promise."""
        if not self.reach(at):
            return False
        self.record(
            at, "citizen", "reopened", states.ACKNOWLEDGED, internal=note, data={"by": "citizen"}
        )
        self.status = states.ACKNOWLEDGED
        self.resolved_at = None
        before = self.deadline
        if self._reschedule(at, at):
            self.record(
                at,
                "citizen",
                "deadline",
                data={"reason": "reopened", "from": iso(before), "to": iso(self.deadline)},
            )
        return True

    def confirm(self, at: datetime) -> bool:
        """`tickets.service.confirm_by_citizen`: 'it is fixed' closes the ticket."""
        if not self.reach(at):
            return False
        self.record(at, "citizen", "confirmed", states.CLOSED, data={"by": "citizen"})
        self.status, self.closed_at = states.CLOSED, at
        return True

    def close_quiet(self, at: datetime) -> bool:
        """`tickets.service.close_quiet`: nobody reopened it within the quiet period."""
        if not self.reach(at):
            return False
        self.record(at, "system", "status", states.CLOSED, data={"reason": "quiet_period"})
        self.status, self.closed_at = states.CLOSED, at
        return True

    def publish(self, at: datetime, actor: str) -> bool:
        """`tickets.moderation.publish` without edits: the citizen's text goes public."""
        if not self.reach(at):
            return False
        self.record(at, actor, "published", data={"photo_ids": None})
        self.published = True
        return True

    def assign(self, at: datetime, team: tuple[str, int, str]) -> bool:
        """`tickets.service.assign`: the crew takes the ticket."""
        if not self.reach(at):
            return False
        actor, user_id, name = team
        self.record(
            at, actor, "assigned", data={"from": self.assignee, "to": user_id, "name": name}
        )
        self.assignee = user_id
        return True

    def forget_contact(self, at: datetime) -> None:
        """`privacy.service` retention: the event that says contact data went."""
        self.record(at, "system", "privacy", data={"reason": "retention"})

    def done_at(self) -> datetime | None:
        """When retention counts the ticket as done (its query's `closed_at`/`updated_at`)."""
        if self.status not in (states.CLOSED, states.REJECTED, states.DUPLICATE):
            return None
        return self.closed_at or self.updated


# -- a life ---------------------------------------------------------------------------------------


def _resolution(rng: random.Random, start: datetime, ticket: Ticket, late: bool) -> datetime:
    """When the crew finishes: within the promise, or late by a long-tailed delay."""
    deadline = ticket.deadline
    span = max(deadline - start, HOUR)
    if late:
        return at_work(
            rng,
            lambda: deadline + SECOND + span * min(rng.expovariate(1 / profile.LATE_SPANS), 20.0),
        )
    return at_work(
        rng,
        lambda: start + (deadline - start) * (0.04 + 0.94 * rng.betavariate(1.3, 2.4)),
    )


def _react(rng: random.Random, start: datetime, until: datetime) -> datetime:
    """A first look by staff, early in [start, until]."""
    lo, hi = start + 10 * 60 * SECOND, start + (until - start) * 0.5
    return at_work(rng, lambda: between(rng, lo, max(lo, hi)))


def live(
    rng: random.Random,
    ticket: Ticket,
    *,
    team: tuple[str, int, str],
    category: str,
    auto_publish: bool,
    duplicate_of: str | None,
) -> None:
    """Play one ticket's life up to the end of the history."""
    world = ticket.world
    created = ticket.created
    ticket.published = auto_publish
    span = ticket.deadline - created
    actor = team[0]
    if duplicate_of is not None:
        ticket.move(
            _react(rng, created, created + span * 0.3),
            states.DUPLICATE,
            actor,
            data={"duplicate_of": duplicate_of},
        )
        return
    if rng.random() < profile.P_REJECTED:
        at = _react(rng, created, created + span * 0.3)
        ticket.move(at, states.REJECTED, actor, public=rng.choice(profile.REJECTION_NOTES))
        return

    waiting = rng.random() < profile.P_WAITING
    stuck = rng.random() < profile.P_STUCK
    late = rng.random() >= profile.P_MET
    acknowledged = stuck or rng.random() < profile.P_ACKNOWLEDGED
    in_progress = rng.random() < profile.P_IN_PROGRESS
    publish = not auto_publish and rng.random() < profile.P_PUBLISHED

    if waiting:
        first = at_work(rng, lambda: between(rng, created + span * 0.05, created + span * 0.7))
    elif stuck:
        first = at_work(rng, lambda: created + DAY * rng.uniform(*profile.STUCK_DAYS))
    else:
        first = _resolution(rng, created, ticket, late)
    # Staff look at a new ticket early in its promised time, however long it then takes.
    look = min(first, created + span)
    if acknowledged:
        at = _react(rng, created, look)
        if not ticket.move(at, states.ACKNOWLEDGED, actor):
            return
        first = max(first, at + SECOND)
    if publish:
        at = _react(rng, created, look) if not acknowledged else ticket.updated + 120 * SECOND
        if not ticket.publish(min(at, first - SECOND), actor):
            return
    if waiting:
        days = rng.uniform(*(profile.STUCK_DAYS if stuck else profile.WAITING_DAYS))
        if not ticket.move(
            first, states.WAITING_EXTERNAL, actor, internal=rng.choice(profile.WAITING_NOTES)
        ):
            return
        resume = at_work(rng, lambda: first + DAY * days + HOUR * rng.uniform(0, 8))
        if not (ticket.assign(resume, team) and ticket.move(resume, states.IN_PROGRESS, actor)):
            return
        resolved = _resolution(rng, resume, ticket, late)
    else:
        resolved = first
        if in_progress or stuck:
            # A stuck ticket was taken on early and then waited for something (a pipe, an owner).
            until = min(resolved, ticket.updated + span) if stuck else resolved
            at = ticket.updated + (until - ticket.updated) * rng.uniform(0.2, 0.8)
            at = max(at.replace(microsecond=0), ticket.updated + SECOND)
            if not (ticket.assign(at, team) and ticket.move(at, states.IN_PROGRESS, actor)):
                return
    resolved = max(resolved, ticket.updated + SECOND)
    if not _resolve(rng, ticket, resolved, actor, category):
        return
    if not waiting and rng.random() < profile.P_REOPENED:
        days = min(12.0, world.reopen_days - 0.5)
        at = ticket.resolved_at + HOUR * 4 + SECOND * rng.randrange(max(int(days * 86_400), 1))
        if not ticket.reopen(at, rng.choice(profile.REOPEN_NOTES)):
            return
        again = _resolution(rng, at, ticket, rng.random() >= profile.P_MET)
        if not _resolve(rng, ticket, max(again, at + SECOND), actor, category):
            return
    if rng.random() < profile.P_CONFIRMED:
        ticket.confirm(ticket.resolved_at + SECOND * rng.randrange(3600, 4 * 86_400))
    else:
        ticket.close_quiet(ticket.resolved_at + world.auto_close + SECOND * rng.randrange(3600))


def _resolve(rng: random.Random, ticket: Ticket, at: datetime, actor: str, category: str) -> bool:
    note = rng.choice(profile.resolution_notes(category)) if rng.random() < 0.7 else None
    return ticket.move(at, states.RESOLVED, actor, public=note)
