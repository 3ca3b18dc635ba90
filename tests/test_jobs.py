"""The in-process runner: the schedule from the first minute, one process of several runs each
job, a daily job at its time of day catches up a missed day."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import redis
from sqlalchemy import select

from maengelmelder import jobs
from maengelmelder.app import create_app
from maengelmelder.clock import BERLIN
from maengelmelder.extensions import db
from maengelmelder.jobs import RecurringRun, Runner, claim_run

RAN: list[tuple[str, str]] = []  # (job, app instance) in the order they ran
RAN_EVENT = threading.Event()

PROBES = (
    jobs.Recurring("probe-minute", "tests.test_jobs.probe_minute", 60),
    jobs.Recurring("probe-night", "tests.test_jobs.probe_night", 86400, at="03:00"),
)


def _record(job: str) -> None:
    from flask import current_app

    RAN.append((job, current_app.config["INSTANCE_NAME"]))
    RAN_EVENT.set()


def probe_minute() -> None:
    _record("probe-minute")


def probe_night() -> None:
    _record("probe-night")


@pytest.fixture(autouse=True)
def _fresh_probes():
    RAN.clear()
    RAN_EVENT.clear()
    yield
    RAN.clear()


@pytest.fixture
def second_app(app, database_url, clock, tmp_path):
    """Another app on the same database: a second serving process."""
    other = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret",
            "CLOCK": clock,
            "INSTANCE_PATH": str(tmp_path / "instance-2"),
            "INPROCESS_JOBS": False,
            "INSTANCE_NAME": "second",
        }
    )
    app.config["INSTANCE_NAME"] = "first"
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def berlin(*args) -> datetime:
    return datetime(*args, tzinfo=BERLIN).astimezone(UTC)


def test_next_due_of_an_interval_and_of_a_time_of_day():
    minute, night = PROBES
    assert minute.next_due(None) is None  # never ran: due now
    at = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    assert minute.next_due(at) == at + timedelta(seconds=60)
    assert night.next_due(berlin(2026, 3, 10, 2, 59)) == berlin(2026, 3, 10, 3, 0)
    assert night.next_due(berlin(2026, 3, 10, 3, 0)) == berlin(2026, 3, 11, 3, 0)
    # Across the switch to summer time: 03:00 Berlin is 01:00 UTC, then 02:00 UTC.
    assert night.next_due(berlin(2026, 3, 28, 3, 0)) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert night.next_due(berlin(2026, 3, 29, 3, 0)) == datetime(2026, 3, 30, 1, 0, tzinfo=UTC)
    # A server down at 03:00 runs it when it comes back, not a day later.
    assert night.due(berlin(2026, 3, 9, 3, 0), berlin(2026, 3, 10, 9, 0))
    assert not night.due(berlin(2026, 3, 10, 3, 0), berlin(2026, 3, 10, 9, 0))


def test_of_two_app_instances_only_one_runs_each_due_job(app, second_app, clock):
    first = Runner(app, PROBES, clock=clock, start=False)
    second = Runner(second_app, PROBES, clock=clock, start=False)
    assert first.tick() == ["probe-minute", "probe-night"]  # from the first minute
    assert second.tick() == []  # the other process ran them already
    assert [job for job, _ in RAN] == ["probe-minute", "probe-night"]

    clock.advance(seconds=59)
    assert first.tick() == [] and second.tick() == []
    clock.advance(seconds=1)
    assert second.tick() == ["probe-minute"]
    assert first.tick() == []
    assert RAN[-1] == ("probe-minute", "second")
    clock.advance(hours=24)
    assert first.tick() == ["probe-minute", "probe-night"]
    assert second.tick() == []
    assert [job for job, _ in RAN].count("probe-night") == 2


def test_racing_claims_run_a_job_once(app, second_app, clock):
    """Both processes read "due" before either writes: the conditional UPDATE picks one."""
    item = PROBES[0]
    results = []
    barrier = threading.Barrier(2)

    def claim(instance):
        with instance.app_context():
            barrier.wait()
            results.append(claim_run(db.session, item, clock())[0])
            db.session.remove()

    threads = [threading.Thread(target=claim, args=(a,)) for a in (app, second_app)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [False, True]


def test_a_restarted_server_catches_up_the_missed_nightly_run(app, clock):
    clock.now = berlin(2026, 3, 10, 9, 30)
    with app.app_context():
        db.session.add_all(
            [
                RecurringRun(job_id="probe-night", last_run_at=berlin(2026, 3, 9, 3, 0)),
                RecurringRun(job_id="probe-minute", last_run_at=clock() - timedelta(seconds=10)),
            ]
        )
        db.session.commit()
    runner = Runner(app, PROBES, clock=clock, start=False)
    assert runner.tick() == ["probe-night"]  # the night of the 10th was missed
    assert runner.tick() == []
    with app.app_context():
        last = db.session.scalar(
            select(RecurringRun.last_run_at).where(RecurringRun.job_id == "probe-night")
        )
    assert last == clock()


def test_the_runner_thread_runs_the_due_schedule_as_soon_as_it_starts(app, clock):
    """No request, no queued job: starting is enough (as `serve` does in every worker)."""
    app.config.update(INSTANCE_NAME="first", INPROCESS_JOBS=True, JOB_SCHEDULE=PROBES)
    runner = jobs.start_runner(app)
    try:
        with runner.ticked:
            assert runner.ticked.wait_for(lambda: runner.ticks >= 1, timeout=30)
        assert [job for job, _ in RAN] == ["probe-minute", "probe-night"]
        # Jobs queued by requests still run in the same thread.
        RAN_EVENT.clear()
        with app.app_context():
            assert jobs.enqueue("tests.test_jobs.probe_minute")
        assert RAN_EVENT.wait(timeout=30)
        assert len(RAN) == 3
    finally:
        runner.stop()
    assert jobs.start_runner(app) is runner  # one runner per app


STARTED = threading.Event()
STOPPING = threading.Event()
FINISHED: list[str] = []


def long_job() -> None:
    """Stands for a privacy pass: still working when its worker is told to exit."""
    STARTED.set()
    assert STOPPING.wait(timeout=30)
    FINISHED.append("long_job")


def test_an_exiting_worker_lets_its_running_jobs_finish_first(app):
    """gunicorn's worker_exit stops the runners: the job under way ends, then the threads."""
    for event in (STARTED, STOPPING):
        event.clear()
    FINISHED.clear()
    app.config.update(INPROCESS_JOBS=True, JOB_SCHEDULE=())
    main = jobs.start_runner(app)
    slow = jobs.runner(app, jobs.SLOW_QUEUE)
    with app.app_context():
        assert jobs.enqueue(long_job, queue=jobs.SLOW_QUEUE)
    assert STARTED.wait(timeout=30)
    STOPPING.set()
    jobs.stop_runners(app)
    assert FINISHED == ["long_job"]
    assert not main._thread.is_alive() and not slow._thread.is_alive()


def test_no_runner_with_redis_or_when_switched_off(app):
    assert jobs.start_runner(app) is None  # INPROCESS_JOBS is false in tests
    app.config.update(INPROCESS_JOBS=True, REDIS_URL="redis://127.0.0.1:1/0")
    assert jobs.start_runner(app) is None


def test_with_redis_the_nightly_job_waits_for_its_time_of_day(app, redis_url):
    app.config.update(REDIS_URL=redis_url, JOB_SCHEDULE=PROBES)
    conn = redis.Redis.from_url(redis_url)
    conn.delete(*(f"maengelmelder:recurring:{item.id}" for item in PROBES))
    with app.app_context():
        assert jobs.ensure_recurring(app) == 2  # the first call catches up
        assert jobs.ensure_recurring(app) == 0
    expires = conn.expiretime("maengelmelder:recurring:probe-night")
    next_night = PROBES[1].next_due(datetime.now(UTC))
    assert expires == int(next_night.timestamp())
    assert next_night.astimezone(BERLIN).strftime("%H:%M") == "03:00"
    conn.delete(*(f"maengelmelder:recurring:{item.id}" for item in PROBES))
    conn.delete("rq:queue:" + jobs.QUEUE_NAME)
