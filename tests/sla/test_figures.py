"""The board's kept figures equal a recount from the raw reports, whatever happens to them.

Random sequences of what happens in a city's life — intake on many days, every transition,
pauses, citizens reopening and confirming, forwarding, rule changes that move tickets, the
quiet-period close, retention and erasure — and after each step the stored figures are
compared with a recount; the board's answers are compared with figures computed the slow way.
"""

from __future__ import annotations

import random
import statistics
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from maengelmelder.clock import BERLIN
from maengelmelder.core import states
from maengelmelder.core.models import Report
from maengelmelder.demo import demo_rules
from maengelmelder.extensions import db
from maengelmelder.privacy import service as privacy
from maengelmelder.sla import figures
from maengelmelder.sla import service as sla
from maengelmelder.storage import storage
from maengelmelder.tickets import service as tickets
from tests.tickets.helpers import CENTRE, file_ticket

HARBOUR = {"lat": 50.1130, "lon": 8.7650}
PARK_EDGE = {"lat": 50.1005, "lon": 8.7655}
CATEGORIES = ("schlagloch", "papierkorb", "strassenlaterne", "graffiti", "baum", "sonstiges")
DEPARTMENTS = ("tiefbau", "stadtreinigung", "ordnung", "gruen", "hafen", "beleuchtung")


def _harbour_to(department: str) -> dict:
    rules = demo_rules()
    for rule in rules["rules"]:
        if rule["id"] == "hafen":
            rule["department"] = department
    return rules


class City:
    """Drives the service through the API as citizens, crews and admins do."""

    def __init__(self, app, client, staff, clock, rng: random.Random) -> None:
        self.app, self.client, self.clock, self.rng = app, client, clock, rng
        self.admin = {"Authorization": "Bearer " + staff.token("admin")}
        self.tickets: dict[str, str] = {}  # public id -> tracking token

    def ids(self) -> list[str]:
        return sorted(self.tickets)

    def ticket(self, public_id: str) -> dict:
        return self.client.get(f"/api/v1/tickets/{public_id}", headers=self.admin)

    def file(self) -> None:
        place = self.rng.choice((CENTRE, HARBOUR, PARK_EDGE))
        extra = {"email": "anna@example.org"} if self.rng.random() < 0.3 else {}
        body = file_ticket(self.client, self.rng.choice(CATEGORIES), **place, **extra)
        self.tickets[body["report"]["public_id"]] = body["tracking_token"]

    def advance(self) -> None:
        self.clock.advance(hours=self.rng.choice((1, 5, 23, 49, 24 * 9, 24 * 20)))

    def move(self) -> None:
        if not self.tickets:
            return
        public_id = self.rng.choice(self.ids())
        current = self.ticket(public_id)
        allowed = current.json["allowed_next"]
        if not allowed:
            return
        to = self.rng.choice(allowed)
        body = {"to": to}
        if to == states.DUPLICATE:
            others = [i for i in self.ids() if i != public_id]
            if not others:
                return
            body["duplicate_of"] = self.rng.choice(others)
        self.client.post(
            f"/api/v1/tickets/{public_id}/transition",
            json=body,
            headers={**self.admin, "If-Match": current.headers["ETag"]},
        )

    def forward(self) -> None:
        if not self.tickets:
            return
        public_id = self.rng.choice(self.ids())
        current = self.ticket(public_id)
        self.client.post(
            f"/api/v1/tickets/{public_id}/forward",
            json={"department": self.rng.choice(DEPARTMENTS), "reason": "zuständig"},
            headers={**self.admin, "If-Match": current.headers["ETag"]},
        )

    def reopen_or_confirm(self) -> None:
        if not self.tickets:
            return
        public_id = self.rng.choice(self.ids())
        token = self.tickets[public_id]
        if self.rng.random() < 0.5:
            self.client.post(f"/api/v1/track/{token}/reopen", json={"note": "Nicht erledigt"})
        else:
            self.client.post(f"/api/v1/track/{token}/confirm", json={})

    def rules(self) -> None:
        data = _harbour_to(self.rng.choice(("ordnung", "hafen", "tiefbau")))
        self.client.post("/api/v1/admin/rules", json=data, headers=self.admin)

    def jobs(self) -> None:
        with self.app.app_context():
            change = tickets.Change(principal=None, now=self.clock(), links=None)
            tickets.close_quiet(db.session, change, quiet_days=14)
            privacy.retention(db.session, now=self.clock(), days=30, storage=storage())
            privacy.erase(db.session, "anna@example.org", now=self.clock())
            db.session.commit()

    def step(self) -> str:
        action = self.rng.choices(
            ("file", "advance", "move", "forward", "reopen_or_confirm", "rules", "jobs"),
            weights=(5, 3, 8, 2, 2, 1, 1),
        )[0]
        getattr(self, action)()
        return action


def _assert_figures_equal_a_recount(app, label: str) -> None:
    with app.app_context():
        stored, counted = figures.stored(db.session), figures.recount(db.session)
        assert stored == counted, label


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_figures_equal_a_recount_after_random_changes(app, client, staff, clock, seed):
    rng = random.Random(seed)
    city = City(app, client, staff, clock, rng)
    for _ in range(4):
        city.file()
    done = []
    for number in range(45):
        done.append(city.step())
        _assert_figures_equal_a_recount(app, f"after step {number}: {done[-3:]}")
    with app.app_context():
        statuses = set(db.session.scalars(select(Report.status)))
    # The sequence reached done tickets, not only new ones.
    assert statuses & {states.RESOLVED, states.CLOSED}, statuses


def _slow_summary(app, at, first: date | None = None, last: date | None = None) -> dict:
    """The board's totals computed from every report, as the board did before it kept figures."""
    with app.app_context():
        rows = db.session.scalars(select(Report)).all()
        out = {"open": 0, "breached": 0, "paused": 0, "at_risk": 0, "resolved": 0, "met": 0}
        hours = []
        for report in rows:
            day = report.created_at.astimezone(BERLIN).date()
            if (first and day < first) or (last and day > last):
                continue
            state = sla.state(report, at)
            if report.status in states.OPEN:
                out["open"] += 1
                if state in out:
                    out[state] += 1
            elif state in ("met", "missed"):
                out["resolved"] += 1
                out["met"] += state == "met"
                done = report.resolved_at or report.closed_at
                hours.append((done - report.created_at) / timedelta(hours=1))
        out["hours"] = hours
        return out


def _band_of(hours: float) -> tuple[float, float]:
    lower = 0.0
    for upper in (*figures.HOUR_BANDS, float("inf")):
        if hours <= upper:
            return lower, upper
        lower = upper
    raise AssertionError(hours)


def _summary(client, admin, **window) -> dict:
    resp = client.get("/api/v1/sla/summary", query_string=window, headers=admin)
    assert resp.status_code == 200, resp.json
    return resp.json["total"]


@pytest.mark.parametrize("seed", [4, 5])
def test_board_answers_equal_the_slow_count(app, client, staff, clock, seed):
    rng = random.Random(seed)
    city = City(app, client, staff, clock, rng)
    for _ in range(60):
        city.step() if city.tickets else city.file()
    at = clock()
    today = at.astimezone(BERLIN).date()
    windows = [(None, None)]
    for _ in range(6):
        first = today - timedelta(days=rng.randrange(0, 200))
        windows.append((first, first + timedelta(days=rng.randrange(0, 90))))
    windows.append((date(2026, 3, 1), date(2026, 3, 31)))  # one whole month
    for first, last in windows:
        query = {k: v.isoformat() for k, v in (("from", first), ("to", last)) if v}
        total = _summary(client, city.admin, **query)
        slow = _slow_summary(app, at, first, last)
        for name in ("open", "breached", "paused", "at_risk", "resolved"):
            assert total[name] == slow[name], (name, first, last)
        assert total["resolved_within_sla"] == slow["met"], (first, last)
        if slow["hours"]:
            lower, upper = _band_of(statistics.median_low(slow["hours"]))
            high = _band_of(statistics.median_high(slow["hours"]))[1]
            assert lower <= total["median_hours_to_resolve"] <= high, (lower, upper, total)
        else:
            assert total["median_hours_to_resolve"] is None


def test_summary_counts_whole_berlin_days(app, client, staff, clock):
    from datetime import UTC, datetime

    admin = {"Authorization": "Bearer " + staff.token("admin")}
    # 23:30 UTC on 31 March is 1 April in Berlin (summer time).
    for moment in (
        datetime(2026, 2, 28, 22, 59, tzinfo=UTC),  # 28 Feb, 23:59 Berlin
        datetime(2026, 2, 28, 23, 0, tzinfo=UTC),  # 1 Mar, 00:00 Berlin
        datetime(2026, 3, 31, 21, 30, tzinfo=UTC),  # 31 Mar, 23:30 Berlin
        datetime(2026, 3, 31, 22, 30, tzinfo=UTC),  # 1 Apr, 00:30 Berlin
    ):
        clock.now = moment
        file_ticket(client)
    assert _summary(client, admin, **{"from": "2026-03-01", "to": "2026-03-31"})["open"] == 2
    assert _summary(client, admin, **{"from": "2026-02-28", "to": "2026-03-01"})["open"] == 2
    assert _summary(client, admin, **{"from": "2026-04-01"})["open"] == 1
    assert _summary(client, admin, to="2026-03-01T12:00:00+01:00")["open"] == 2
    bad = client.get("/api/v1/sla/summary?from=2026-02-30", headers=admin)
    assert bad.status_code == 400


def test_trend_equals_the_raw_rows(app, client, staff, clock):
    rng = random.Random(7)
    city = City(app, client, staff, clock, rng)
    for _ in range(50):
        city.step() if city.tickets else city.file()
    resp = client.get("/api/v1/sla/trend?days=120", headers=city.admin)
    assert resp.status_code == 200
    days = {d["date"]: (d["created"], d["resolved"]) for d in resp.json["days"]}
    with app.app_context():
        expected = {day: [0, 0] for day in days}
        for report in db.session.scalars(select(Report)):
            created = report.created_at.astimezone(BERLIN).date().isoformat()
            if created in expected:
                expected[created][0] += 1
            done = figures.outcome(figures.facts_of(report))
            if done is not None:
                resolved = done[0].astimezone(BERLIN).date().isoformat()
                if resolved in expected:
                    expected[resolved][1] += 1
    assert days == {k: tuple(v) for k, v in expected.items()}
    assert sum(created for created, _ in days.values()) > 0


def test_rebuild_restores_damaged_figures(app, client, staff, clock):
    city = City(app, client, staff, clock, random.Random(8))
    for _ in range(30):
        city.step() if city.tickets else city.file()
    with app.app_context():
        db.session.execute(figures.SlaFigures.__table__.update().values(created=99))
        db.session.commit()
        assert figures.stored(db.session) != figures.recount(db.session)
        figures.rebuild(db.session)
        db.session.commit()
        assert figures.stored(db.session) == figures.recount(db.session)


def test_transparency_is_computed_once_per_period_and_cacheable(app, client, staff, clock):
    admin = {"Authorization": "Bearer " + staff.token("admin")}
    public_id = file_ticket(client)["report"]["public_id"]
    first = client.get("/api/v1/sla/transparency")
    assert first.status_code == 200 and first.json == {"items": []}
    assert first.headers["Cache-Control"] == "public, max-age=300"
    etag = first.headers["ETag"]
    again = client.get("/api/v1/sla/transparency", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    # A resolution shows once the cached answer is older than its max-age, not before.
    current = client.get(f"/api/v1/tickets/{public_id}", headers=admin)
    resolved = client.post(
        f"/api/v1/tickets/{public_id}/transition",
        json={"to": "resolved"},
        headers={**admin, "If-Match": current.headers["ETag"]},
    )
    assert resolved.status_code == 200
    assert client.get("/api/v1/sla/transparency").json == {"items": []}
    clock.advance(seconds=301)
    fresh = client.get("/api/v1/sla/transparency", headers={"If-None-Match": etag})
    assert fresh.status_code == 200 and fresh.headers["ETag"] != etag
    assert [i["resolved"] for i in fresh.json["items"]] == [1]


def test_breach_list_is_paged_by_deadline(app, client, staff, clock):
    board = staff.client("supervisor", citywide=True)
    filed = []
    for _ in range(5):
        filed.append(file_ticket(client)["report"]["public_id"])
        clock.advance(minutes=10)
    clock.advance(hours=60)
    seen, cursor = [], None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = board.get("/api/v1/sla/breaches", query_string=query).json
        assert page["count"] == 5 and len(page["items"]) <= 2
        seen += [item["public_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        file_ticket(client)  # new tickets are not breached yet and don't disturb the walk
    assert seen == filed
    for bad in ({"limit": 201}, {"limit": 0}, {"cursor": "kaputt"}, {"page": 2}):
        resp = board.get("/api/v1/sla/breaches", query_string=bad)
        assert resp.status_code == 400, bad
        assert resp.json["error"]["message"]


def test_the_cli_checks_and_rebuilds_the_figures(app, client, staff, clock):
    city = City(app, client, staff, clock, random.Random(9))
    for _ in range(20):
        city.step() if city.tickets else city.file()
    runner = app.test_cli_runner()
    agree = runner.invoke(args=["sla", "check-figures"])
    assert agree.exit_code == 0 and "agree" in agree.output
    with app.app_context():
        db.session.execute(figures.SlaFigures.__table__.delete())
        db.session.commit()
    differ = runner.invoke(args=["sla", "check-figures"])
    assert differ.exit_code == 1 and "rebuild-figures" in differ.output
    rebuilt = runner.invoke(args=["sla", "rebuild-figures"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert runner.invoke(args=["sla", "check-figures"]).exit_code == 0
