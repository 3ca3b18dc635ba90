"""`maengelmelder demo history` and the accounts of a newcomer's first `make run`."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta
from itertools import pairwise

import pytest
from sqlalchemy import func, select, text

from maengelmelder.clock import BERLIN
from maengelmelder.core import states
from maengelmelder.core.catalog import Category, Department
from maengelmelder.core.events import TicketEvent
from maengelmelder.core.models import Follower, PublicIdCounter, Report
from maengelmelder.demo.history import history_end
from maengelmelder.extensions import db
from maengelmelder.sla import figures
from maengelmelder.sla import service as sla
from maengelmelder.sla.models import Escalation
from maengelmelder.zoning import service as zoning
from tests.conftest import _empty_all_tables
from tests.reports.helpers import report_json

# The fixtures' clock says 2026-03-10 09:00 UTC: a history "until today" ends at Berlin midnight.
UNTIL = date(2026, 3, 10)
END = history_end(UNTIL)
HISTORY_TABLES = ("outbox", "escalations", "followers", "ticket_events", "reports")


def history(app, *args: str):
    """Run `maengelmelder demo history` with the given options."""
    return app.test_cli_runner().invoke(args=["demo", "history", *args])


def written(app, *args: str) -> None:
    result = history(app, *args)
    assert result.exit_code == 0, result.output


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def dump() -> dict[str, list[tuple]]:
    """Every row a history writes, in id order."""
    tables = {name: db.metadata.tables[name] for name in HISTORY_TABLES}
    out = {name: db.session.execute(select(t).order_by(t.c.id)).all() for name, t in tables.items()}
    out["public_id_counters"] = db.session.execute(
        select(PublicIdCounter.year, PublicIdCounter.last).order_by(PublicIdCounter.year)
    ).all()
    return out


def forget_history() -> None:
    for name in ("sla_figures", *HISTORY_TABLES, "public_id_counters"):
        db.session.execute(db.metadata.tables[name].delete())
    db.session.commit()


def test_the_same_seed_writes_the_same_rows(app):
    written(app, "--reports", "400", "--seed", "3")
    with app.app_context():
        first = dump()
        forget_history()
    written(app, "--reports", "400", "--seed", "3")
    with app.app_context():
        again = dump()
        forget_history()
    written(app, "--reports", "400", "--seed", "4")
    with app.app_context():
        other = dump()
    assert len(first["reports"]) == 400
    assert len(first["ticket_events"]) > 400
    assert again == first
    assert other["reports"] != first["reports"]


def test_a_database_with_reports_is_refused_unless_appended(app):
    written(app, "--reports", "300")
    refused = history(app, "--reports", "300")
    assert refused.exit_code != 0
    assert "Die Datenbank enthält schon 300 Meldungen" in refused.output
    assert "The database already holds 300 reports" in refused.output
    with app.app_context():
        assert count(Report) == 300
    written(app, "--reports", "300", "--append", "--seed", "2")
    with app.app_context():
        assert count(Report) == 600
        ids = db.session.scalars(select(Report.public_id)).all()
        assert len(set(ids)) == 600
        for year, last in db.session.execute(select(PublicIdCounter.year, PublicIdCounter.last)):
            numbers = [int(p.split("-")[1]) for p in ids if p.startswith(f"{year}-")]
            assert sorted(numbers) == list(range(1, last + 1))


def test_a_history_cannot_end_after_today(app):
    refused = history(app, "--reports", "10", "--until", "2026-03-11")
    assert refused.exit_code != 0
    assert "nach heute" in refused.output and "after today" in refused.output


def test_intake_continues_the_public_ids(app, client):
    written(app, "--reports", "600")
    with app.app_context():
        last = db.session.scalar(
            select(func.max(Report.public_id)).where(Report.public_id.like("2026-%"))
        )
    resp = client.post("/api/v1/reports", json=report_json())
    assert resp.status_code == 201, resp.json
    number = int(last.split("-")[1])
    assert resp.json["report"]["public_id"] == f"2026-{number + 1:06d}"


def test_most_tickets_keep_the_promise_and_few_stay_open(app):
    written(app, "--reports", "2000", "--seed", "5")
    with app.app_context():
        reports = db.session.scalars(select(Report)).all()
    resolved = [r for r in reports if r.resolved_at is not None]
    met = [r for r in resolved if r.resolved_at <= r.deadline]
    assert 0.80 <= len(met) / len(resolved) <= 0.90
    still_open = [r for r in reports if r.status in states.OPEN]
    assert 0 < len(still_open) <= 0.03 * len(reports)
    recent = [r for r in still_open if r.created_at >= END - timedelta(days=14)]
    assert len(recent) >= 0.7 * len(still_open)
    done = Counter(r.status for r in reports)
    assert done[states.CLOSED] > done[states.RESOLVED] > 0
    assert done[states.REJECTED] > 0 and done[states.DUPLICATE] > 0
    assert 0 < sum(r.published for r in reports) < len(reports)
    assert 0 < sum(r.reporter_email is not None for r in reports) < len(reports)
    assert sum(r.supporters for r in reports) > 0


def test_seasons_weekdays_and_hours_show(app):
    written(app, "--reports", "2000", "--seed", "6")
    with app.app_context():
        rows = db.session.execute(select(Report.created_at, Category.code).join(Category)).all()
    local = [(created.astimezone(BERLIN), code) for created, code in rows]
    by = Counter((when.month, code) for when, code in local)

    def months(code: str, *numbers: int) -> int:
        return sum(by[(m, code)] for m in numbers)

    assert months("baum", 10, 11) > 2 * months("baum", 4, 5)  # leaves in autumn
    assert months("schlagloch", 2, 3) > 2 * months("schlagloch", 7, 8)  # potholes after frost
    assert months("papierkorb", 6, 7, 8) > 2 * months("papierkorb", 12, 1, 2)  # summer bins
    weekdays = Counter(when.weekday() for when, _ in local)
    assert weekdays[0] > 1.4 * weekdays[6]  # Mondays busier than Sundays
    hours = Counter(when.hour for when, _ in local)
    assert sum(hours[h] for h in range(8, 20)) > 8 * sum(hours[h] for h in range(0, 6))
    assert all(created < END for created, _ in rows)


def test_departments_and_promises_are_the_rules_in_force(app):
    written(app, "--reports", "1000", "--seed", "7")
    with app.app_context():
        router = zoning.router(db.session)
        city = app.extensions["maengelmelder.city"]
        reports = db.session.scalars(select(Report)).all()
        for report in reports:
            decision = router.route(report.lon, report.lat, report.category.code)
            assert city.contains(report.lon, report.lat)
            assert report.department.code == decision.department
            assert report.routing["department"] == decision.department
            assert report.routing["rule_id"] == decision.rule_id
            assert report.zone_keys == "," + "".join(f"{z}," for z in decision.zones)
            hours = decision.sla_hours or report.category.sla_hours
            assert report.sla_hours == hours
        departments = {r.department.code for r in reports}
    assert {"tiefbau", "stadtreinigung", "gruen", "beleuchtung"} <= departments


def test_events_agree_with_every_state(app):
    written(app, "--reports", "1500", "--seed", "8")
    with app.app_context():
        events: dict[int, list[TicketEvent]] = {}
        for event in db.session.scalars(select(TicketEvent).order_by(TicketEvent.id)):
            events.setdefault(event.report_id, []).append(event)
        escalations = Counter((e.report_id, e.kind) for e in db.session.scalars(select(Escalation)))
        for report in db.session.scalars(select(Report)):
            history = events[report.id]
            assert history[0].kind == "created" and history[0].from_status is None
            status = history[0].to_status
            for before, event in pairwise(history):
                assert event.from_status == status, (report.public_id, event.kind)
                assert event.created_at >= before.created_at
                if event.from_status != event.to_status:
                    assert event.kind in ("status", "reopened", "confirmed"), event.kind
                status = event.to_status
            assert status == report.status
            assert report.updated_at == max(e.created_at for e in history if e.kind != "privacy")
            if report.resolved_at is not None:
                assert any(
                    e.to_status == states.RESOLVED and e.created_at == report.resolved_at
                    for e in history
                )
            if report.status == states.CLOSED:
                assert history[-1 if history[-1].kind != "privacy" else -2].created_at == (
                    report.closed_at
                )
            kinds = Counter(e.kind for e in history)
            assert kinds["sla_breached"] == escalations[(report.id, "breach")]
            assert kinds["sla_at_risk"] == escalations[(report.id, "at_risk")]
            if report.status == states.DUPLICATE:
                assert report.duplicate_of is not None
                assert report.duplicate_of.category_id == report.category_id


def test_the_worker_finds_nothing_to_catch_up(app):
    """Deadlines, quiet periods, follow-ups and retention were acted on as they fell due."""
    from maengelmelder.privacy import service as privacy
    from maengelmelder.storage import storage
    from maengelmelder.tickets import service as tickets
    from maengelmelder.tickets.notifications import Links

    written(app, "--reports", "1500", "--seed", "9")
    with app.app_context():
        assert count(Escalation) > 0
        # Each job runs every few seconds, hourly or daily: it last ran that long before the end.
        assert sla.due_ids(db.session, END - timedelta(seconds=15)) == []
        links = Links("http://maengel.test", app.config["SECRET_KEY"], "Musterstadt")
        change = tickets.Change(principal=None, now=END - timedelta(hours=1), links=links)
        assert tickets.close_quiet(db.session, change, quiet_days=14) == []
        assert tickets.send_followups(db.session, change, after_days=3) == []
        a_day_before = END - timedelta(days=1)
        removed = privacy.retention(db.session, now=a_day_before, days=90, storage=storage())
        assert removed.reports == []
        db.session.rollback()


def test_the_sla_figures_equal_a_recount(app):
    written(app, "--reports", "800", "--seed", "10")
    with app.app_context():
        stored = figures.stored(db.session)
        assert stored and stored == figures.recount(db.session)
        assert count(Follower) > 0


# -- the accounts of a newcomer's first `make run` -------------------------------------------------

FIRST_RUN = ["demo", "load", "--if-empty", "--history", "300", "--staff-accounts"]
FIRST_RUN += ["--url", "http://127.0.0.1:5000"]
ACCOUNT = re.compile(r"^\s+(.+?)\s+(\S+@musterstadt\.example)\s+(\S+)$", re.MULTILINE)


def empty_database(app) -> None:
    with app.app_context():
        db.session.remove()
        _empty_all_tables()


def test_first_run_creates_three_accounts_once(app, client):
    empty_database(app)
    runner = app.test_cli_runner()
    first = runner.invoke(args=FIRST_RUN)
    assert first.exit_code == 0, first.output
    assert "http://127.0.0.1:5000/staff" in first.output
    accounts = ACCOUNT.findall(first.output)
    assert [email for _, email, _ in accounts] == [
        "kolonne@musterstadt.example",
        "aufsicht@musterstadt.example",
        "admin@musterstadt.example",
    ]
    roles = {}
    for _, email, password in accounts:
        resp = client.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert resp.status_code == 200, resp.json
        roles[email] = resp.json["user"]["role"]
        client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": resp.json["csrf_token"]})
    assert sorted(roles.values()) == ["admin", "crew", "supervisor"]
    with app.app_context():
        users = db.session.execute(text("SELECT count(*) FROM users")).scalar()
        assert count(Report) == 300

    again = runner.invoke(args=FIRST_RUN)
    assert again.exit_code == 0, again.output
    assert "musterstadt.example" not in again.output and "/staff" not in again.output
    with app.app_context():
        assert db.session.execute(text("SELECT count(*) FROM users")).scalar() == users
        assert count(Report) == 300


@pytest.mark.parametrize("if_empty", [True, False])
def test_no_accounts_and_no_history_for_another_city(app, if_empty):
    empty_database(app)
    with app.app_context():
        db.session.add(Department(code="bauhof", name_de="Bauhof", name_en="Works depot"))
        db.session.commit()
    args = FIRST_RUN if if_empty else [a for a in FIRST_RUN if a != "--if-empty"]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "/staff" not in result.output and not ACCOUNT.findall(result.output)
    with app.app_context():
        assert db.session.execute(text("SELECT count(*) FROM users")).scalar() == 0
        assert count(Report) == 0


def test_the_demo_city_is_loaded_first_into_an_empty_database(app):
    empty_database(app)
    written(app, "--reports", "50", "--years", "0.25")
    with app.app_context():
        assert count(Report) == 50
        first = db.session.scalar(select(func.min(Report.created_at)))
    assert first >= END - timedelta(days=92)
