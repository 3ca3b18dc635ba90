"""Generating a history: filing reports day by day, routing them, playing their tickets.

See the package's docstring for what a history is; `History.run` is the whole of it.
"""

from __future__ import annotations

import json
import random
import secrets
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...accounts.models import User
from ...accounts.service import create_user
from ...clock import BERLIN
from ...core import states
from ...core.catalog import Category
from ...core.events import TicketEvent
from ...core.links import DEFAULT_BASE_URL
from ...core.models import Follower, PublicIdCounter, Report
from ...emails import email_key
from ...notify.models import OutboxMessage
from ...notify.service import render
from ...reports.service import token_hash, tracking_token
from ...sla import service as sla
from ...sla.models import Escalation
from ...zoning import service as zoning
from ..addresses import DemoStreets
from . import profile
from .columns import (
    ESCALATION_COLUMNS,
    EVENT_COLUMNS,
    FOLLOWER_COLUMNS,
    OUTBOX_COLUMNS,
    REPORT_COLUMNS,
)
from .places import Places, fake_email
from .summary import Summary, history_end
from .timeline import SECOND, Ticket, World, between, iso, live
from .writer import BulkWriter

# Reports are routed and played in chunks of this many.
CHUNK = 5_000
# A duplicate points at a report of the same category filed at most this long before.
DUPLICATE_WINDOW = timedelta(days=7)


@dataclass(slots=True, eq=False)
class _Filed:
    """A report as the citizen filed it, before routing."""

    id: int
    public_id: str
    created: datetime
    category: int  # index into History.categories
    lon: float
    lat: float
    lang: str
    email: str | None
    notify: bool
    description: str
    address: str | None
    salt: str
    original: _Filed | None = None
    ticket: Ticket | None = None
    retained_at: datetime | None = None
    has_data: bool = False
    known: set = field(default_factory=set)  # addresses that already hear about it


class History:
    """The state of one history run: generator, ids, caches, the writer."""

    def __init__(self, session: Session, config: Mapping, boundary, until: date, days: int):
        self.session = session
        self.config = dict(config)
        self.until = until
        self.days = [until - timedelta(days=days - i) for i in range(days)]
        self.end = history_end(until).replace(tzinfo=None)
        catalogue = zoning.catalogue(session)
        self.router = catalogue.router
        self.departments = catalogue.departments
        self.categories = sorted(
            (c for c in catalogue.categories.values() if c.active), key=lambda c: c.code
        )
        self.places = Places(boundary)
        self.streets = DemoStreets(boundary)  # the address of a report whose citizen gave none
        self.world = World(self.end, self.config, self._teams())
        self.writer = BulkWriter(
            session,
            [
                Report.__table__,
                TicketEvent.__table__,
                Follower.__table__,
                Escalation.__table__,
                OutboxMessage.__table__,
            ],
            {
                "reports": REPORT_COLUMNS,
                "ticket_events": EVENT_COLUMNS,
                "followers": FOLLOWER_COLUMNS,
                "escalations": ESCALATION_COLUMNS,
                "outbox": OUTBOX_COLUMNS,
            },
        )
        w = self.writer
        self.ids = {name: w.next_id(name) for name in w.order}
        self.counters: dict[int, int] = dict(
            session.execute(select(PublicIdCounter.year, PublicIdCounter.last)).all()
        )
        self.used: dict[int, int] = {}
        self.recent: dict[int, deque[_Filed]] = {}
        self.decided: dict[tuple, tuple] = {}
        self.summary = Summary(first_day=self.days[0], last_day=self.days[-1])
        self.secret = self.config["SECRET_KEY"]
        self.base_url = (self.config.get("BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        self.city_name = self.config.get("CITY_NAME", "")

    # -- crews ------------------------------------------------------------------------------------

    def _teams(self) -> dict[int, tuple[str, int, str]]:
        """One crew account per department that works the history's tickets (cannot log in)."""
        session, teams = self.session, {}
        first = datetime.combine(self.days[0], datetime.min.time(), BERLIN).astimezone(UTC)
        for code, department in sorted(self.departments.items()):
            email = f"team.{code}@musterstadt.example"
            user = session.scalar(select(User).where(User.email == email))
            if user is None:
                user = create_user(
                    session,
                    email=email,
                    name=f"Team {department.name_de}",
                    role="crew",
                    password=secrets.token_urlsafe(24),
                    departments=[code],
                    now=first,
                    hash_method=self.config.get("PASSWORD_HASH_METHOD", "scrypt"),
                )
                user.active = False
            teams[department.id] = (f"user:{user.id}", user.id, user.name)
        session.flush()
        return teams

    # -- filing -----------------------------------------------------------------------------------

    def run(self, seed: int, count: int) -> None:
        # Seeded with the first free id too, so an appended history gets new salts and places.
        rng = random.Random(f"maengelmelder-history:{seed}:{self.ids['reports']}")
        self.places.hotspots(rng)
        per_day = self._spread(rng, count)
        chunk: list[_Filed] = []
        try:
            for day, categories in zip(self.days, per_day, strict=True):
                for filed in self._file_day(rng, day, categories):
                    chunk.append(filed)
                    if len(chunk) >= CHUNK:
                        self._settle(rng, chunk)
                        chunk = []
            if chunk:
                self._settle(rng, chunk)
        except BaseException:
            self.writer.abandon()
            raise
        self.writer.finish(self.used)
        if self.writer.postgres:
            self.writer.analyze()
        from ...sla import figures

        figures.rebuild(self.session)
        self.summary.events = self.writer.written["ticket_events"]
        self.summary.followers = self.writer.written["followers"]
        self.summary.escalations = self.writer.written["escalations"]

    def _spread(self, rng: random.Random, count: int) -> list[list[int]]:
        """How many reports of which category fall on each day: seasons, weekdays, growth."""
        n = len(self.days)
        storms = set()
        candidates = [i for i, d in enumerate(self.days) if d.month in profile.STORM_MONTHS]
        wanted = round(profile.STORMS_PER_YEAR * n / 365.25)
        if candidates and wanted:
            storms = set(rng.sample(candidates, min(wanted, len(candidates))))
        habits = [profile.habit(c.code) for c in self.categories]
        stormy = [c.code in profile.STORM_CATEGORIES for c in self.categories]
        weights = []
        for i, day in enumerate(self.days):
            base = profile.WEEKDAYS[day.weekday()]
            base *= profile.GROWTH_FROM + (1 - profile.GROWTH_FROM) * i / max(1, n - 1)
            for habit, storm in zip(habits, stormy, strict=True):
                w = base * habit.share * habit.months[day.month - 1]
                weights.append(w * profile.STORM_FACTOR if storm and i in storms else w)
        cells = rng.choices(range(len(weights)), cum_weights=list(accumulate(weights)), k=count)
        k = len(self.categories)
        per_day: list[list[int]] = [[] for _ in range(n)]
        for cell in sorted(cells):
            per_day[cell // k].append(cell % k)
        return per_day

    def _file_day(self, rng: random.Random, day: date, categories: list[int]) -> list[_Filed]:
        """The day's reports, in the order they came in, with ids and public ids."""
        if not categories:
            return []
        hours = profile.HOURS_WEEKEND if day.weekday() >= 5 else profile.HOURS_WEEKDAY
        picked = rng.choices(range(24), weights=hours, k=len(categories))
        midnight = datetime(day.year, day.month, day.day, tzinfo=BERLIN)
        moments = []
        for position, (category, hour) in enumerate(zip(categories, picked, strict=True)):
            at = midnight + timedelta(hours=hour, seconds=rng.randrange(3600))
            moments.append((at.astimezone(UTC).replace(tzinfo=None), position, category))
        moments.sort()
        year = day.year
        filed = []
        for created, _, category in moments:
            number = self.used.get(year, self.counters.get(year, 0)) + 1
            self.used[year] = number
            filed.append(self._file(rng, created, category, f"{year}-{number:06d}"))
        return filed

    def _file(self, rng: random.Random, created: datetime, category: int, public_id: str):
        code = self.categories[category].code
        lang = "en" if rng.random() < profile.P_ENGLISH else "de"
        recent = self.recent.setdefault(category, deque(maxlen=40))
        original = None
        if recent and rng.random() < profile.P_DUPLICATE:
            fresh = [f for f in recent if created - f.created <= DUPLICATE_WINDOW]
            original = rng.choice(fresh) if fresh else None
        if original is not None:
            lon, lat = self.places.near(rng, original.lon, original.lat, 15)
        else:
            lon, lat = self.places.draw(rng)
        email = fake_email(rng) if rng.random() < profile.P_EMAIL else None
        text = rng.choice(profile.descriptions(code, lang)) if rng.random() < 0.92 else ""
        house = rng.randint(1, 120)
        if rng.random() < profile.P_ADDRESS:
            address = f"{rng.choice(profile.STREETS)} {house}"
        else:
            address = self.streets.label_at(lon, lat)
        filed = _Filed(
            id=self.ids["reports"],
            public_id=public_id,
            created=created,
            category=category,
            lon=lon,
            lat=lat,
            lang=lang,
            email=email,
            notify=bool(email) and rng.random() < profile.P_NOTIFY,
            description=text.format(n=house),
            address=address,
            salt=f"{rng.getrandbits(128):032x}",
            original=original,
        )
        self.ids["reports"] += 1
        if original is None:
            recent.append(filed)
        return filed

    # -- tickets ----------------------------------------------------------------------------------

    def _settle(self, rng: random.Random, chunk: list[_Filed]) -> None:
        """Route a chunk of reports, play their tickets and hand the rows to the writer."""
        codes = [self.categories[f.category].code for f in chunk]
        decisions = self.router.route_many([f.lon for f in chunk], [f.lat for f in chunk], codes)
        for filed, decision in zip(chunk, decisions, strict=True):
            self._play(rng, filed, decision)
        self.writer.maybe_flush()

    def _decided(self, category: Category, decision) -> tuple:
        """What a decision means for a report of the category (cached: few combinations)."""
        key = (
            category.code,
            decision.department,
            decision.rule_id,
            decision.zones,
            decision.priority,
            decision.sla_hours,
            decision.ruleset_version,
        )
        known = self.decided.get(key)
        if known is None:
            department = self.departments[decision.department]
            policy = sla.intake_policy(
                self.world.sla,
                category_hours=category.sla_hours,
                rule_hours=decision.sla_hours,
                priority=decision.priority,
                department=department,
            )
            created = {
                "department": department.code,
                "rule_id": decision.rule_id,
                "ruleset_version": decision.ruleset_version,
                "location_source": "client",
                "photos": 0,
            }
            routing = zoning.explanation(self.session, decision, department)
            known = (
                department,
                policy,
                created,
                json.dumps(routing),
                "," + "".join(f"{key}," for key in decision.zones),
            )
            self.decided[key] = known
        return known

    def _play(self, rng: random.Random, filed: _Filed, decision) -> None:
        category = self.categories[filed.category]
        department, policy, created, routing, zone_keys = self._decided(category, decision)
        ticket = Ticket(self.world, filed.created, policy.hours, policy.calendar)
        ticket.filed(created)
        original = filed.original
        live(
            rng,
            ticket,
            team=self.world.teams[department.id],
            category=category.code,
            auto_publish=category.auto_publish,
            duplicate_of=original.public_id if original is not None else None,
        )
        filed.ticket = ticket
        supporters, followers = self._supporters(rng, filed, ticket)
        if filed.email:
            filed.known.add(filed.email)
        if original is not None and ticket.status == states.DUPLICATE:
            self._follow(filed, original, ticket.updated)
        self._retention(rng, filed, ticket, followers)
        self._write(
            filed,
            ticket,
            category,
            (department, decision, routing, zone_keys),
            supporters,
            followers,
        )

    def _supporters(self, rng: random.Random, filed: _Filed, ticket: Ticket):
        """'Me too' while the ticket was open; some supporters leave an address."""
        if filed.original is not None or rng.random() >= profile.P_SUPPORTED:
            return 0, []
        until = min(ticket.left_open or self.end, self.end)
        if until - filed.created < 10 * 60 * SECOND:
            return 0, []
        count = 1 + min(int(rng.expovariate(1 / 1.2)), 30)
        followers = []
        for _ in range(count):
            if rng.random() < profile.P_SUPPORTER_EMAIL:
                email = fake_email(rng)
                if email not in filed.known and email != filed.email:
                    filed.known.add(email)
                    lang = "en" if rng.random() < profile.P_ENGLISH else "de"
                    followers.append((email, lang, "support", between(rng, filed.created, until)))
        return count, followers

    def _retention(self, rng: random.Random, filed: _Filed, ticket: Ticket, followers: list):
        """`privacy.service.retention`: a done ticket's contact data goes after the period."""
        done = ticket.done_at()
        if done is None:
            return
        at = done + self.world.retention + SECOND * rng.randrange(86_400)
        if at >= self.end:
            return
        filed.retained_at = at
        if filed.email or followers:
            ticket.forget_contact(at)
            filed.has_data = True
            filed.email, filed.notify = None, False
            followers.clear()

    def _follow(self, duplicate: _Filed, original: _Filed, at: datetime) -> None:
        """`tickets.service._follow`: the duplicate's reporter hears about the original."""
        email = duplicate.email if duplicate.notify else None
        if email is None or email in original.known:
            return
        original.known.add(email)
        if original.retained_at is None:
            row = (self.ids["followers"], original.id, email, duplicate.lang, "duplicate")
            self.writer.add("followers", (*row, self.writer.ts(at), email_key(email)))
            self.ids["followers"] += 1
        elif not original.has_data:
            # Retention found an address on it after all: its event is due, late in the list.
            original.has_data = True
            event = (original.retained_at, "system", "privacy", original.ticket.status)
            data = json.dumps({"reason": "retention"})
            self._event(original.id, (*event, original.ticket.status, None, None, data))

    # -- rows -------------------------------------------------------------------------------------

    def _event(self, report_id: int, event: tuple) -> int:
        event_id = self.ids["ticket_events"]
        self.ids["ticket_events"] += 1
        at, *rest = event
        self.writer.add("ticket_events", (event_id, report_id, self.writer.ts(at), *rest))
        return event_id

    def _write(self, filed, ticket, category, decided, supporters, followers) -> None:
        """The report's row and its events, escalations, followers and sent follow-ups."""
        department, decision, routing, zone_keys = decided
        w, ts, rid = self.writer, self.writer.ts, filed.id
        first_event = self.ids["ticket_events"]
        for event in ticket.events:
            self._event(rid, event)
        for kind, deadline, at in ticket.escalations:
            w.add("escalations", (self.ids["escalations"], rid, kind, ts(deadline), ts(at)))
            self.ids["escalations"] += 1
        for email, lang, source, at in followers:
            row = (self.ids["followers"], rid, email, lang, source, ts(at), email_key(email))
            w.add("followers", row)
            self.ids["followers"] += 1
        token = tracking_token(self.secret, filed.salt)
        if ticket.status == states.RESOLVED:
            self._followups(filed, ticket, category, followers, token, first_event)
        pauses = json.dumps([[iso(a), iso(b) if b else None] for a, b in ticket.pauses])
        original = filed.original
        duplicate_of = (
            original.id if original is not None and ticket.status == states.DUPLICATE else None
        )
        w.add(
            "reports",
            (
                *(rid, filed.public_id, category.id, filed.description, filed.lat, filed.lon),
                *("client", filed.address, ticket.status, department.id, decision.priority),
                *(ts(filed.created), ts(ticket.updated), ts(ticket.deadline)),
                *(ts(ticket.resolved_at), ts(ticket.closed_at), filed.email, filed.notify),
                *(filed.lang, filed.salt, token_hash(token), None, None, routing, zone_keys),
                *(ticket.assignee, duplicate_of, ticket.published, None, supporters, None),
                *(ts(ticket.at_risk_at), ticket.hours, ticket.calendar, pauses),
                *(ts(ticket.paused_since), ticket.warned, ticket.escalated),
                *(decision.ruleset_version, ticket.steps, email_key(filed.email)),
            ),
        )
        summary = self.summary
        summary.reports += 1
        if ticket.status in states.OPEN:
            summary.open += 1
        if ticket.resolved_at is not None:
            summary.resolved += 1
            summary.met += ticket.resolved_at <= ticket.deadline
        if original is not None:
            filed.ticket = filed.original = None  # nothing later refers to a duplicate

    def _followups(self, filed, ticket, category, followers, token, first_event) -> None:
        """'Is it fixed?' mails of a ticket still resolved, sent as the housekeeping does."""
        at = ticket.resolved_at + self.world.followup + SECOND * (filed.id % 3600)
        if at >= self.end:
            return
        people = [(filed.email, filed.lang, True)] if filed.email and filed.notify else []
        people += [(email, lang, False) for email, lang, _, _ in followers]
        event_id = first_event + ticket.resolved_event
        note = ticket.events[ticket.resolved_event][5]
        for email, lang, reporter in people:
            link = (
                f"{self.base_url}/track/{token}"
                if reporter
                else f"{self.base_url}/reports/{filed.public_id}"
            )
            context = {
                "public_id": filed.public_id,
                "category": category.name_de if lang == "de" else category.name_en,
                "status_label": states.LABELS[ticket.status][lang],
                "tracking_url": link,
                "note": note,
                "city_name": self.city_name,
                "deadline_local": ticket.deadline.replace(tzinfo=UTC)
                .astimezone(BERLIN)
                .strftime("%d.%m.%Y %H:%M"),
            }
            subject, body = render("followup", context, lang)
            ts = self.writer.ts(at)
            key = f"{filed.id}:followup:{event_id}:{email}"
            row = (self.ids["outbox"], ts, filed.id, "followup", key, email, lang, subject, body)
            self.writer.add("outbox", (*row, "sent", 1, ts, ts, None, email_key(email)))
            self.ids["outbox"] += 1
