"""A ticket left alone past its deadline is escalated exactly once, by jobs on real Redis."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import redis
from sqlalchemy import func, select

from maengelmelder import jobs
from maengelmelder.core.events import TicketEvent
from maengelmelder.core.models import Report
from maengelmelder.extensions import db
from maengelmelder.notify.models import OutboxMessage
from maengelmelder.sla import jobs as sla_jobs
from maengelmelder.sla.models import Escalation
from tests.tickets.helpers import file_ticket, version_of


@pytest.fixture
def ticket(client, staff) -> str:
    staff.user("supervisor", "tiefbau", email="chefin@stadt.example")
    staff.user("supervisor", "gruen", email="gruen@stadt.example")
    return file_ticket(client)["report"]["public_id"]  # pothole: Tiefbauamt, 48 h


def _counts(app) -> dict[str, int]:
    with app.app_context():
        count = lambda q: db.session.scalar(select(func.count()).select_from(q))  # noqa: E731
        return {
            "escalations": count(Escalation),
            "breach_events": db.session.scalar(
                select(func.count()).where(TicketEvent.kind == "sla_breached")
            ),
            "mails": db.session.scalar(
                select(func.count()).where(OutboxMessage.kind == "escalation")
            ),
        }


def _report_id(app, public_id: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Report.id).where(Report.public_id == public_id))


def _run(app, fn, *args):
    with app.app_context():
        return fn(*args)


def test_breach_escalates_once_when_job_and_sweep_both_run(app, ticket, clock):
    rid = _report_id(app, ticket)
    assert _run(app, sla_jobs.sweep) == {"at_risk": 0, "breach": 0}
    clock.advance(hours=36)
    assert _run(app, sla_jobs.check_ticket, rid) == ["at_risk"]
    clock.advance(hours=12, seconds=1)
    assert _run(app, sla_jobs.check_ticket, rid) == ["breach"]
    assert _run(app, sla_jobs.sweep) == {"at_risk": 0, "breach": 0}
    assert _run(app, sla_jobs.check_ticket, rid) == []
    # One escalation, one event, one mail to the Tiefbauamt's supervisor and its mailbox.
    assert _counts(app) == {"escalations": 2, "breach_events": 1, "mails": 2}
    with app.app_context():
        recipients = set(
            db.session.scalars(
                select(OutboxMessage.recipient).where(OutboxMessage.kind == "escalation")
            )
        )
    assert recipients == {"chefin@stadt.example", "tiefbau@musterstadt.example"}


def test_racing_workers_escalate_once(app, ticket, clock):
    rid = _report_id(app, ticket)
    clock.advance(hours=49)
    barrier = threading.Barrier(4)
    results = []

    def work():
        with app.app_context():
            barrier.wait()
            results.append(sla_jobs.check_ticket(rid))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(map(tuple, results)).count(("at_risk", "breach")) == 1
    assert _counts(app)["breach_events"] == 1
    assert _counts(app)["mails"] == 2


def test_a_failing_job_is_retried_and_still_mails_once(app, ticket, clock, monkeypatch):
    rid = _report_id(app, ticket)
    clock.advance(hours=49)
    calls = {"n": 0}
    real = sla_jobs.queue_mail

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("worker died mid-job")
        return real(*args, **kwargs)

    monkeypatch.setattr(sla_jobs, "queue_mail", flaky)
    with pytest.raises(RuntimeError):
        _run(app, sla_jobs.check_ticket, rid)
    assert _counts(app) == {"escalations": 0, "breach_events": 0, "mails": 0}
    assert _run(app, sla_jobs.check_ticket, rid) == ["at_risk", "breach"]
    assert _run(app, sla_jobs.check_ticket, rid) == []
    assert _counts(app) == {"escalations": 2, "breach_events": 1, "mails": 2}


def test_jobs_run_on_rq_and_a_flushed_redis_is_caught_by_the_sweep(
    app, client, staff, clock, redis_url
):
    app.config["REDIS_URL"] = redis_url
    staff.user("supervisor", "tiefbau")
    public_id = file_ticket(client)["report"]["public_id"]  # schedules two checks in Redis
    conn = redis.Redis.from_url(redis_url)
    scheduled = conn.zcard("rq:scheduled:" + jobs.QUEUE_NAME)
    assert scheduled == 2
    conn.flushdb()  # Redis lost everything before the deadline
    clock.advance(hours=49)
    with app.app_context():
        assert jobs.ensure_recurring(app) == len(jobs.schedule(app))
        assert jobs.ensure_recurring(app) == 0  # not again within the interval
        jobs.work(app, burst=True, fork=False)
    assert _counts(app)["breach_events"] == 1
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.public_id == public_id))
        assert report.breach_escalated and report.at_risk_warned
    conn.flushdb()


def _scheduled(conn) -> dict[str, int]:
    """The scheduled rq jobs: id and the second they are due."""
    return {
        job.decode(): int(score)
        for job, score in conn.zrange("rq:scheduled:" + jobs.QUEUE_NAME, 0, -1, withscores=True)
    }


def _epoch(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def test_deadlines_are_checked_by_one_sweep_per_bucket(app, client, staff, clock, redis_url):
    """Reports filed together share their checks; a later deadline gets its own sweep."""
    from rq.job import Job

    app.config["REDIS_URL"] = redis_url
    staff.user("supervisor", "tiefbau")
    conn = redis.Redis.from_url(redis_url)
    conn.flushdb()
    first = [file_ticket(client)["report"] for _ in range(3)]
    scheduled = _scheduled(conn)
    assert len(scheduled) == 2  # the at-risk moment and the deadline, once for all three
    bucket = sla_jobs.CHECK_BUCKET_SECONDS
    deadline = _epoch(first[0]["deadline"])
    breach_check = min(at for at in scheduled.values() if at > deadline)
    assert deadline < breach_check <= deadline + bucket and breach_check % bucket == 0
    for job_id in scheduled:
        job = Job.fetch(job_id, connection=conn)
        assert job.args == ("maengelmelder.sla.jobs.sweep",)

    clock.advance(seconds=bucket)
    later = file_ticket(client)["report"]
    assert len(_scheduled(conn)) == 4
    assert _epoch(later["deadline"]) < max(_scheduled(conn).values())

    # The breach check's sweep escalates the three tickets due by then, not the later one (whose
    # at-risk moment has passed too: all four are warned, as their at-risk sweeps did not run).
    clock.now = datetime.fromtimestamp(breach_check, UTC)
    job = Job.fetch(f"sla-sweep-{breach_check}", connection=conn)
    with app.app_context():
        assert jobs.run(*job.args) == {"at_risk": 4, "breach": 3}
        assert sla_jobs.sweep() == {"at_risk": 0, "breach": 0}
    assert _counts(app)["breach_events"] == 3
    conn.flushdb()


def test_a_check_that_could_not_be_scheduled_is_scheduled_by_the_next_report(
    app, client, clock, redis_url
):
    conn = redis.Redis.from_url(redis_url)
    conn.flushdb()
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    file_ticket(client)
    assert _scheduled(conn) == {}
    app.config["REDIS_URL"] = redis_url  # a server of its own: no pause after the failure
    file_ticket(client)  # the same moment: the same buckets, not marked as scheduled before
    assert len(_scheduled(conn)) == 2
    conn.flushdb()


def test_pause_and_resume_move_the_deadline(app, client, staff, ticket, clock):
    crew = staff.client("crew", "tiefbau")

    def move(to):
        resp = crew.post(
            f"/api/v1/tickets/{ticket}/transition",
            json={"to": to},
            headers={"If-Match": version_of(crew, ticket)},
        )
        assert resp.status_code == 200, resp.json
        return resp.json

    clock.advance(hours=10)
    assert move("waiting_external")["sla"]["state"] == "paused"
    clock.advance(hours=60)  # past the original deadline, but the clock stood still
    assert crew.get(f"/api/v1/tickets/{ticket}").json["sla"]["state"] == "paused"
    assert _run(app, sla_jobs.sweep) == {"at_risk": 0, "breach": 0}
    resumed = move("in_progress")
    assert resumed["deadline"] == "2026-03-14T21:00:00Z"  # 48 h + 60 h paused
    assert resumed["sla"]["state"] == "ok"
    moved = resumed["history"][-1]
    assert moved["kind"] == "deadline" and moved["data"]["reason"] == "resumed"
    clock.advance(hours=39)
    assert crew.get(f"/api/v1/tickets/{ticket}").json["sla"]["state"] == "breached"


def test_business_hours_policy_over_a_holiday_weekend(app, client, clock):
    from datetime import UTC, datetime

    app.config["SLA_CALENDAR"] = "business"
    clock.now = datetime(2026, 4, 2, 13, 0, tzinfo=UTC)  # Thursday before Easter, 15:00 Berlin
    report = file_ticket(client, "papierkorb")["report"]  # 24 h promise via the demo rules
    # 1 h Thursday, Good Friday to Easter Monday closed, then 9 h a day from Tuesday 07:00.
    assert report["deadline"] == "2026-04-09T10:00:00Z"  # Thursday 12:00 Berlin


def test_sla_board_figures(app, client, staff, clock):
    crew = staff.client("crew", "tiefbau", "stadtreinigung")
    board = staff.client("supervisor", citywide=True)
    quick = file_ticket(client)["report"]["public_id"]
    slow = file_ticket(client)["report"]["public_id"]
    file_ticket(client, "papierkorb")  # 24 h
    for public_id, hours in ((quick, 5), (slow, 50)):
        clock.advance(hours=hours) if public_id == quick else clock.advance(hours=hours - 5)
        crew.post(
            f"/api/v1/tickets/{public_id}/transition",
            json={"to": "resolved"},
            headers={"If-Match": version_of(crew, public_id)},
        )
    summary = board.get("/api/v1/sla/summary").json
    total = summary["total"]
    assert total["resolved"] == 2 and total["resolved_within_sla"] == 1
    assert total["resolved_within_sla_pct"] == 50.0
    assert total["open"] == 1 and total["breached"] == 1
    # Estimated from hour bands (the figures are kept, not recounted): 5 h and 50 h lie in
    # the 4–8 h and 48–72 h bands; the median is the 4–8 h band's upper edge.
    assert total["median_hours_to_resolve"] == 8.0
    assert total["p90_hours_to_resolve"] == 67.2
    assert summary["by_department"]["stadtreinigung"]["breached"] == 1
    breaches = board.get("/api/v1/sla/breaches").json
    assert breaches["count"] == 1 and breaches["items"][0]["overdue_hours"] == 26.0
    csv_text = board.get("/api/v1/sla/summary?format=csv").get_data(as_text=True)
    assert csv_text.splitlines()[0].startswith("group,key,open,at_risk,breached")
    assert board.get("/api/v1/sla/summary?from=gestern").status_code == 400
    public = client.get("/api/v1/sla/transparency").json["items"]
    assert public == [
        {
            "month": "2026-03",
            "category": "schlagloch",
            "resolved": 2,
            "within_promise": 1,
            "within_promise_pct": 50.0,
        }
    ]
    assert "@" not in str(public)


def test_in_process_runner_runs_jobs_without_redis(app):
    done = threading.Event()
    app.config["INPROCESS_JOBS"] = True
    app.config["JOB_SCHEDULE"] = ()
    import tests.sla.test_escalation as me

    me._event = done
    with app.app_context():
        jobs.enqueue("tests.sla.test_escalation.mark_done")
    assert done.wait(timeout=30)


_event: threading.Event | None = None


def mark_done() -> None:
    """A job for the runner test: proves it ran inside an app context."""
    from flask import current_app

    assert current_app.name == "maengelmelder"
    assert _event is not None
    _event.set()


def test_deadline_is_exact_across_the_dst_switch(app, client, clock):
    from datetime import UTC, datetime

    clock.now = datetime(2026, 3, 28, 9, 0, tzinfo=UTC)  # Saturday 10:00 CET
    report = file_ticket(client)["report"]
    assert report["deadline"] == "2026-03-30T09:00:00Z"  # Monday 11:00 CEST: 48 real hours


def test_daily_digest_lists_each_supervisors_tickets_once_a_day(app, client, staff, clock):
    from maengelmelder.sla.jobs import daily_digest

    staff.user("supervisor", "tiefbau", email="tief@stadt.example")
    staff.user("supervisor", "gruen", email="gruen@stadt.example")
    staff.user("supervisor", citywide=True, email="stadt@stadt.example")
    late = file_ticket(client)["report"]["public_id"]
    clock.advance(hours=14)
    soon = file_ticket(client)["report"]["public_id"]
    assert _run(app, daily_digest) == 0  # nothing at risk yet
    clock.advance(hours=37)  # late: 51 h old, breached; soon: 37 of 48 h used, at risk
    assert _run(app, daily_digest) == 2  # Tiefbauamt and city-wide; the gardener has none
    assert _run(app, daily_digest) == 0  # once a day
    with app.app_context():
        mails = {
            m.recipient: m.body
            for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "digest"))
        }
    assert set(mails) == {"tief@stadt.example", "stadt@stadt.example"}
    body = mails["tief@stadt.example"]
    assert body.index(late) < body.index("Frist läuft bald ab (1)") < body.index(soon)
    clock.advance(days=1)
    assert _run(app, daily_digest) == 2  # a new day, a new digest


def test_promise_precedence_rule_then_priority_then_department_then_category(app, client):
    from maengelmelder.core.catalog import Department

    app.config["SLA_PRIORITY_HOURS"] = "1=12"
    with app.app_context():
        gruen = db.session.scalar(select(Department).where(Department.code == "gruen"))
        gruen.sla_calendar = "business"
        tiefbau = db.session.scalar(select(Department).where(Department.code == "tiefbau"))
        tiefbau.sla_hours = 24
        db.session.commit()
    # Category 48 h, but the Tiefbauamt promises 24 h.
    assert file_ticket(client)["report"]["deadline"] == "2026-03-11T09:00:00Z"
    # The demo rule "papierkorb-eilig" sets 24 h and priority 1: the rule's hours win over 12 h.
    assert file_ticket(client, "papierkorb")["report"]["deadline"] == "2026-03-11T09:00:00Z"
    # The Grünflächenamt counts business hours: a tree (72 h) from Tuesday 10:00 Berlin.
    tree = file_ticket(client, "baum", lat=50.1005, lon=8.7655)["report"]
    assert tree["department"]["code"] == "gruen"
    assert tree["deadline"] == "2026-03-20T09:00:00Z"  # Friday 10:00 Berlin: 6 h + 7 × 9 h + 3 h


def test_intake_works_while_redis_is_down(app, client):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    created = file_ticket(client)
    assert created["report"]["status"] == "new"  # scheduling failed quietly; the sweep catches up
