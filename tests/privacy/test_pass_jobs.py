"""The privacy pass as a job: queued after intake on the slow queue, run by the in-process
runner and by an rq worker; a killed or lost pass is caught by the sweep, bounded; a storm of
passes does not hold up the other jobs."""

from __future__ import annotations

import threading

import pytest
import redis
from sqlalchemy import select, update

from maengelmelder import jobs
from maengelmelder.core.events import TicketEvent
from maengelmelder.core.models import Photo
from maengelmelder.extensions import db
from maengelmelder.privacy import detect
from maengelmelder.privacy.jobs import privacy_pass, privacy_sweep
from tests import images
from tests.passes import run_privacy_passes
from tests.reports.helpers import post_multipart

CENTRE = {"lat": 50.1005, "lon": 8.7655}

ORDER: list[str] = []
MAIN_RAN = threading.Event()
SLOW_RAN = threading.Event()
RELEASE = threading.Event()


def main_probe() -> None:
    ORDER.append("main")
    MAIN_RAN.set()


def slow_probe() -> None:
    ORDER.append("slow")
    SLOW_RAN.set()


def blocking_pass() -> None:
    """Stands for a long pass: holds the slow runner until the test releases it."""
    RELEASE.wait(timeout=60)


@pytest.fixture(autouse=True)
def _fresh_probes():
    ORDER.clear()
    for event in (MAIN_RAN, SLOW_RAN, RELEASE):
        event.clear()
    yield
    RELEASE.set()


def file_photo(client) -> int:
    body = {"category": "strassenlaterne", "description": "Laterne aus", **CENTRE}
    resp = post_multipart(client, body, [images.phone_jpeg(width=640, height=480)])
    assert resp.status_code == 201, resp.json
    return resp.json["report"]["public_id"]


def states(app) -> list[tuple[str | None, int]]:
    with app.app_context():
        rows = db.session.execute(
            select(Photo.privacy_state, Photo.privacy_tries).order_by(Photo.id)
        ).all()
        db.session.remove()
        return [tuple(r) for r in rows]


def test_the_in_process_runner_runs_the_pass_in_a_thread_of_its_own(app, client):
    app.config.update(INPROCESS_JOBS=True, JOB_SCHEDULE=())
    try:
        file_photo(client)  # queued on the slow runner after the commit
        with app.app_context():
            assert jobs.enqueue(slow_probe, queue=jobs.SLOW_QUEUE)
        assert SLOW_RAN.wait(timeout=60)  # the slow runner is first in, first out
        assert states(app) == [("done", 1)]

        # A storm of passes holds the slow thread: the main runner's jobs go on meanwhile.
        with app.app_context():
            assert jobs.enqueue(blocking_pass, queue=jobs.SLOW_QUEUE)
            assert jobs.enqueue(main_probe)
        assert MAIN_RAN.wait(timeout=60)
        assert not RELEASE.is_set()  # the main job ran while the "pass" still ran
    finally:
        RELEASE.set()
        for key in ("maengelmelder.jobs.runner", "maengelmelder.jobs.slow_runner"):
            runner = app.extensions.pop(key, None)
            if runner is not None:
                runner.stop()


def test_an_rq_worker_serves_the_main_queue_before_the_passes(app, client, redis_url):
    app.config.update(REDIS_URL=redis_url, JOB_SCHEDULE=())
    conn = redis.Redis.from_url(redis_url)
    _forget_rq(conn)  # jobs other tests left in this database would run first
    try:
        file_photo(client)  # the pass is queued first
        with app.app_context():
            assert jobs.enqueue(slow_probe, queue=jobs.SLOW_QUEUE)
            assert jobs.enqueue(main_probe)
            jobs.work(app, burst=True, fork=False)
        assert ORDER == ["main", "slow"]
        assert states(app) == [("done", 1)]
    finally:
        _forget_rq(conn)


def _forget_rq(conn) -> None:
    for key in conn.scan_iter("rq:*"):
        conn.delete(key)


class Killed(BaseException):
    """A worker killed in the middle of a pass (no exception handler runs)."""


def test_a_killed_pass_is_queued_again_by_the_sweep_then_fails_as_timeout(
    app, client, clock, monkeypatch
):
    public_id = file_photo(client)
    with app.app_context():
        [photo_id] = db.session.scalars(select(Photo.id)).all()

    def killed(rgb):
        raise Killed

    monkeypatch.setattr(detect, "detect", killed)
    with app.app_context(), pytest.raises(Killed):
        privacy_pass(photo_id)
    assert states(app) == [("pending", 1)]
    with app.app_context():
        assert privacy_sweep() == {"requeued": 0, "timed_out": 0}  # not stale yet
    clock.advance(minutes=11)
    with app.app_context():
        assert privacy_sweep() == {"requeued": 1, "timed_out": 0}
        assert privacy_sweep() == {"requeued": 0, "timed_out": 0}  # not twice at once
    for _ in range(2):  # killed again, twice
        with app.app_context(), pytest.raises(Killed):
            privacy_pass(photo_id)
        clock.advance(minutes=11)
    with app.app_context():
        assert privacy_sweep() == {"requeued": 0, "timed_out": 1}
    assert states(app) == [("failed", 3)]
    with app.app_context():
        [event] = db.session.scalars(
            select(TicketEvent.data).where(TicketEvent.kind == "privacy_pass")
        ).all()
    assert event == {"photo_id": photo_id, "failed": "timeout"}
    assert public_id


def test_a_pass_lost_while_redis_was_down_is_caught_by_the_sweep(app, client, clock):
    # The app fixture queues nowhere (as when Redis did not answer): the photo waits.
    file_photo(client)
    assert states(app) == [("pending", 0)]
    clock.advance(minutes=11)
    with app.app_context():
        assert privacy_sweep() == {"requeued": 1, "timed_out": 0}
    assert run_privacy_passes(app) == ["done"]


def test_running_a_pass_twice_changes_nothing(app, client):
    file_photo(client)
    with app.app_context():
        [photo_id] = db.session.scalars(select(Photo.id)).all()
        assert privacy_pass(photo_id) == "done"
        key = db.session.scalar(select(Photo.storage_key))
        assert privacy_pass(photo_id) is None
        assert db.session.scalar(select(Photo.storage_key)) == key
        db.session.execute(update(Photo).values(privacy_state="reviewed"))
        db.session.commit()
        assert privacy_pass(photo_id) is None
