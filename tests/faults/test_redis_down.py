"""Redis goes away for a while: citizens and staff keep working, the sweep catches up afterwards.

Real services only: a private ``redis-server`` started for this test (stopped and started again
on the same port; it keeps nothing, as a Redis without persistence after a restart), rate limits
switched on with their counters in that Redis, jobs on rq there; the database is a private
PostgreSQL cluster (and a SQLite file); mail goes to an aiosmtpd server. The shared Redis and
PostgreSQL are never touched.

What a user would notice: nothing. A citizen's report is filed (201) and a crew's status change
saved (200) while Redis is down. What an operator would notice: ``/healthz`` answers 503 with
``redis: unavailable`` (database ``ok``) until Redis is back, and the log says which jobs could not
be enqueued. Afterwards the recurring SLA sweep escalates every ticket whose deadline passed
meanwhile, exactly once, and the escalation and status mails go out once each; the privacy
pass of the photo stored while Redis was away, whose job was lost, runs once from the privacy
sweep (until then the photo is not public).
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select

from maengelmelder import jobs
from maengelmelder.app import create_app
from maengelmelder.core.events import TicketEvent
from maengelmelder.core.models import Photo, Report
from maengelmelder.extensions import db, limiter
from maengelmelder.notify.models import SENT, OutboxMessage
from maengelmelder.sla import jobs as sla_jobs
from maengelmelder.sla.models import Escalation
from tests.conftest import START, Clock, Staff
from tests.faults.smtp import HonestSmtp, smtp_server
from tests.tickets.helpers import file_ticket, version_of

SCHEDULED = "rq:scheduled:" + jobs.QUEUE_NAME


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path: Path) -> str:
    if request.param == "postgresql":
        return request.getfixturevalue("pg_url")
    from maengelmelder.demo import load_demo

    url = f"sqlite:///{tmp_path / 'faults.db'}"
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path / "i0")}
    )
    with app.app_context():
        db.create_all()
        load_demo(db.session, now=START)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return url


@pytest.fixture
def fresh_limiter() -> Iterator[None]:
    """The rate limiter is one object per process; an outage leaves it counting in memory until
    a later check finds Redis again. Each test (and whatever runs after it) starts with it
    counting in the storage its app configures.
    """
    limiter._storage_dead = False
    yield
    limiter._storage_dead = False


def make_app(database: str, redis_url: str, smtp_url: str, clock: Clock, tmp_path: Path):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database,
            "REDIS_URL": redis_url,
            "RATELIMIT_ENABLED": True,  # counted in Redis: RATELIMIT_STORAGE_URI follows REDIS_URL
            "SMTP_URL": smtp_url,
            "CLOCK": clock,
            "SECRET_KEY": "fault-test",
            "BASE_URL": "http://maengel.test",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "MEDIA_DIR": str(tmp_path / "media"),
            "FRONTEND_DIR": str(tmp_path / "no-frontend"),
            "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
        }
    )
    return app


def counts(app) -> dict[str, int]:
    with app.app_context():
        scalar = db.session.scalar
        result = {
            "reports": scalar(select(func.count()).select_from(Report)),
            "breach_events": scalar(select(func.count()).where(TicketEvent.kind == "sla_breached")),
            "escalations": scalar(select(func.count()).select_from(Escalation)),
            "escalation_mails": scalar(
                select(func.count()).where(OutboxMessage.kind == "escalation")
            ),
            "unsent_mails": scalar(select(func.count()).where(OutboxMessage.status != SENT)),
            "pending_passes": scalar(select(func.count()).where(Photo.privacy_state == "pending")),
            "pass_events": scalar(select(func.count()).where(TicketEvent.kind == "privacy_pass")),
        }
        db.session.remove()
        return result


JOB = re.compile(r"(maengelmelder\.[\w.]+\([^)]*\))")


@pytest.mark.parametrize(
    "outage",
    [
        pytest.param("stopped", id="redis-stopped-and-started-empty"),
        pytest.param("frozen", id="redis-frozen-then-thawed"),
    ],
)
def test_intake_and_staff_work_while_redis_is_away_and_the_sweep_catches_up(
    outage, database, private_redis, tmp_path, caplog, fresh_limiter
):
    """`stopped`: the port is closed, and Redis comes back empty (no persistence).
    `frozen` (SIGSTOP, as a hung or cut-off Redis): connections are accepted but never answered;
    every Redis call waits for its timeout, and enqueues that timed out may still land in Redis
    once it thaws, so some jobs may run as well as the sweep, which must change nothing.
    """
    clock = Clock()
    handler = HonestSmtp()
    conn = redis.Redis.from_url(private_redis.url(), socket_connect_timeout=2)
    with smtp_server(handler) as smtp_url:
        app = make_app(database, private_redis.url(), smtp_url, clock, tmp_path)
        client = app.test_client()
        staff = Staff(app, clock)
        staff.user("supervisor", "tiefbau", email="chefin@stadt.example")

        # Redis up: the report's two SLA checks are scheduled in rq, its intake counted there.
        before = file_ticket(client, email="buerger@example.org")["report"]["public_id"]
        assert conn.zcard(SCHEDULED) == 2
        assert conn.keys("LIMITS:*"), "rate limits are counted in Redis"

        private_redis.stop() if outage == "stopped" else private_redis.pause()
        try:
            with caplog.at_level(logging.WARNING):
                started = time.monotonic()
                health = client.get("/healthz")
                health_seconds = time.monotonic() - started
                assert health.status_code == 503
                assert health.json["checks"] == {
                    "database": "ok",
                    "redis": "unavailable",
                    "object_store": "not_configured",
                }
                assert health.headers["Retry-After"]

                started = time.monotonic()
                during = file_ticket(client, photo=True, email="zweite@example.org")["report"]
                intake_seconds = time.monotonic() - started
                crew = staff.client("crew", "tiefbau")  # logging in counts against a rate limit
                version = version_of(crew, before)
                started = time.monotonic()
                resp = crew.post(
                    f"/api/v1/tickets/{before}/transition",
                    json={"to": "acknowledged", "public_note": "Wir sehen es uns an."},
                    headers={"If-Match": version},
                )
                transition_seconds = time.monotonic() - started
                assert resp.status_code == 200, resp.json
                assert resp.json["status"] == "acknowledged"
        finally:
            private_redis.start() if outage == "stopped" else private_redis.resume()
        assert max(health_seconds, intake_seconds, transition_seconds) < 5
        lost = Counter(
            JOB.search(r.getMessage()).group(1)
            for r in caplog.records
            if "a sweep will catch up" in r.getMessage()
        )
        # /healthz found Redis failed first; no enqueue asked it after that (redis_guard.py).
        waited = [r for r in caplog.records if r.getMessage().startswith("could not enqueue")]
        assert waited == []
        with app.app_context():
            stored = db.session.scalar(
                select(Report).where(Report.public_id == during["public_id"])
            )
            assert stored is not None and len(stored.photos) == 1
            photo_id = stored.photos[0].id
            assert stored.photos[0].privacy_state == "pending"
            db.session.remove()
        # The changed ticket's mail job and the new photo's privacy pass. Both tickets' SLA
        # checks fall in the sweeps this process scheduled before the outage (the clock stood
        # still), so none was sent again; when Redis comes back empty, they are gone with it
        # and the recurring sweep stands in.
        assert lost == {
            "maengelmelder.notify.jobs.send_pending()": 1,
            f"maengelmelder.privacy.jobs.privacy_pass({photo_id},)": 1,
        }

        assert client.get("/healthz").status_code == 200
        if outage == "stopped":
            # Back on the same port, empty: even the checks scheduled before the outage are gone.
            assert conn.zcard(SCHEDULED) == 0 and conn.llen("rq:queue:" + jobs.QUEUE_NAME) == 0
        assert counts(app)["breach_events"] == 0

        # Both deadlines pass; the worker's recurring sweep (burst, as its scheduler runs it).
        clock.advance(hours=49)
        with app.app_context():
            jobs.work(app, burst=True, fork=False)
        after_first = counts(app)
        # Once more, the intervals of every recurring job having passed: nothing new.
        conn.delete(*conn.keys("maengelmelder:recurring:*"))
        with app.app_context():
            jobs.work(app, burst=True, fork=False)
            assert sla_jobs.sweep() == {"at_risk": 0, "breach": 0}
        assert counts(app) == after_first
    conn.close()

    # Both tickets escalated once each: to the supervisor and the department's mailbox.
    assert after_first == {
        "reports": 2,
        "breach_events": 2,
        "escalations": 4,  # at risk and breached, per ticket
        "escalation_mails": 4,
        "unsent_mails": 0,
        "pending_passes": 0,  # the lost pass was queued again by the privacy sweep and ran
        "pass_events": 1,  # once
    }
    with app.app_context():
        outbox = {m.message_id: m for m in db.session.scalars(select(OutboxMessage))}
        db.session.remove()
        db.engine.dispose()
    delivered = Counter(handler.delivered)
    assert set(delivered) == set(outbox) and max(delivered.values()) == 1
    kinds = Counter(outbox[mid].kind for mid in delivered)
    assert kinds["escalation"] == 4
    assert kinds["acknowledged"] == 1  # the reporter's mail of the change made while Redis was away
    print(
        f"\n[{outage}] while Redis was away: /healthz {health_seconds:.1f} s, intake "
        f"{intake_seconds:.1f} s, transition {transition_seconds:.1f} s; jobs not enqueued: "
        f"{sum(lost.values())}; escalated afterwards: {after_first['breach_events']} tickets; "
        f"mails delivered: {dict(kinds)}, duplicates: {sum(n - 1 for n in delivered.values())}"
    )
