"""A frozen Redis costs a request one short budget at most, then the app leaves it alone.

Real services only: a private ``redis-server`` frozen with SIGSTOP (connections accepted by
the kernel, never answered: a hung Redis or one cut off by the network), rate limits counted
there and jobs on rq there; a private PostgreSQL cluster; mail to an aiosmtpd server.

A report asks Redis twice: its rate limits (per address, per device) before it is filed,
and the enqueueing of its jobs (its deadline checks) after. Before, each waited for its own
socket timeout, so a frozen Redis cost a report 2 s, and every report after it 1 s more
whenever the limiter looked whether Redis was back. Now the first request that meets the
silent Redis waits at most ``MAENGELMELDER_REDIS_TIMEOUT_SECONDS`` (1 s) in all; for the next
``REDIS_PAUSE_SECONDS`` (10 s) no request asks Redis at all — limits are counted in memory,
jobs are left to the recurring sweep, ``/healthz`` says 503 at once — and then one request
looks again. Nothing is lost: the reports are stored with their photos, and once Redis answers
the worker's sweep escalates both reports' deadlines, exactly once each.
"""

from __future__ import annotations

import time

import redis
from sqlalchemy import func, select

from maengelmelder import config, jobs, redis_guard
from maengelmelder.core.models import Report
from maengelmelder.extensions import db
from tests.conftest import Clock
from tests.faults.smtp import HonestSmtp, smtp_server
from tests.faults.test_redis_down import counts, fresh_limiter, make_app  # noqa: F401
from tests.tickets.helpers import file_ticket

BUDGET = config.from_env({})["REDIS_TIMEOUT_SECONDS"]
# What filing a report with a photo takes besides Redis, on a busy two-core machine.
MARGIN = 0.5


def timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def test_a_frozen_redis_costs_a_report_one_budget_and_the_next_requests_nothing(
    pg_url,
    private_redis,
    tmp_path,
    fresh_limiter,  # noqa: F811
):
    clock = Clock()
    with smtp_server(HonestSmtp()) as smtp_url:
        app = make_app(pg_url, private_redis.url(), smtp_url, clock, tmp_path)
        client = app.test_client()
        guard = redis_guard.guard(app)
        # Redis up: the limiter's and the queue's connections are open and pooled.
        file_ticket(client, photo=True)
        _, usual = timed(lambda: file_ticket(client, photo=True))

        def report() -> dict:
            # Half an hour later each: the report's deadline checks are new jobs to enqueue.
            clock.advance(minutes=30)
            return file_ticket(client, photo=True)

        private_redis.pause()
        try:
            first, first_seconds = timed(report)
            second, second_seconds = timed(report)
            health, health_seconds = timed(lambda: client.get("/healthz"))
            # As if the pause were over (it runs on the process's monotonic clock): the next
            # request asks Redis again, and waits once more.
            guard.failed_at -= guard.pause_seconds
            third, third_seconds = timed(report)
        finally:
            private_redis.resume()

        assert health.status_code == 503 and health.json["checks"]["redis"] == "unavailable"
        assert first_seconds < BUDGET + MARGIN + usual, (first_seconds, usual)
        assert second_seconds < MARGIN + usual, (second_seconds, usual)
        assert BUDGET * 0.9 < third_seconds < BUDGET + MARGIN + usual, (third_seconds, usual)
        assert health_seconds < BUDGET + MARGIN

        with app.app_context():
            stored = db.session.scalars(
                select(Report).where(
                    Report.public_id.in_([r["report"]["public_id"] for r in (first, second, third)])
                )
            ).all()
            assert [len(r.photos) for r in stored] == [1, 1, 1]
            total = db.session.scalar(select(func.count()).select_from(Report))
            db.session.remove()

        # Redis answers again (/healthz asks it, pause or not); every deadline passes; the
        # worker's sweep catches up.
        assert client.get("/healthz").status_code == 200
        assert not guard.resting()
        clock.advance(hours=49)
        with app.app_context():
            jobs.work(app, burst=True, fork=False)
        after = counts(app)
        conn = redis.Redis.from_url(private_redis.url(), socket_connect_timeout=2)
        conn.delete(*conn.keys("maengelmelder:recurring:*"))
        conn.close()
        with app.app_context():
            jobs.work(app, burst=True, fork=False)
            db.engine.dispose()
        assert counts(app) == after
    assert after["breach_events"] == total == 5

    print(
        f"\n[redis frozen] report with Redis up {usual:.2f} s; the first report meeting the "
        f"frozen Redis {first_seconds:.2f} s, the next {second_seconds:.2f} s, /healthz "
        f"{health_seconds:.2f} s, the first after the pause {third_seconds:.2f} s; "
        f"all {total} reports escalated once afterwards"
    )
