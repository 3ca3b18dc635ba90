"""Without Redis: each process runs its jobs in daemon threads of its own, the recurring
schedule included (which process runs a due job is decided in the database: `claim_run`)."""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import Flask

from ..clock import system_clock
from ..extensions import db
from .calls import QUEUE_NAME, SLOW_QUEUE, run
from .recurring import claim_run, schedule

log = logging.getLogger(__package__)


class Runner:
    """Runs submitted and recurring jobs in a background thread with an app context.

    `tick` runs the recurring jobs that are due by the app's clock and that this process
    claims (`claim_run`); the thread ticks when it starts and whenever the next job falls due
    (at least once a minute). Tests call `tick` themselves (start=False) or wait on `ticks`.
    """

    # The longest the thread waits between two looks at the schedule.
    MAX_WAIT = 60.0
    # After the database failed while claiming, look again this much later.
    RETRY_AFTER = timedelta(seconds=30)

    def __init__(
        self,
        app: Flask,
        schedule=(),
        *,
        clock: Callable[[], datetime] | None = None,
        start: bool = True,
    ) -> None:
        self.app = app
        self.schedule = tuple(schedule)
        self.clock = clock or app.config.get("CLOCK") or system_clock
        self._heap: list[tuple[float, int, str, tuple]] = []
        self._seq = itertools.count()
        self._wake = threading.Condition()
        self._stopped = False
        # When this process next looks at each recurring job in the database.
        self._next_look: dict[str, datetime] = {}
        # Ticks done so far; the condition is notified after each (tests wait on it).
        self.ticks = 0
        self.ticked = threading.Condition()
        self._thread = threading.Thread(target=self._loop, name="maengelmelder-jobs", daemon=True)
        if start:
            self._thread.start()

    def submit(self, path: str, args: tuple, at: datetime | None = None) -> None:
        delay = 0.0 if at is None else max(0.0, (at - datetime.now(UTC)).total_seconds())
        self._push(time.monotonic() + delay, path, args)

    def stop(self, timeout: float = 10.0) -> None:
        """End the thread after the job it runs; waits up to `timeout` seconds."""
        with self._wake:
            self._stopped = True
            self._wake.notify()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def tick(self) -> list[str]:
        """Run every recurring job that is due and that this process claims; their ids."""
        ran = []
        for item in self.schedule:
            now = self.clock()
            if self._next_look.get(item.id, now) > now:
                continue
            try:
                with self.app.app_context():
                    try:
                        claimed, last_run = claim_run(db.session, item, now)
                    finally:
                        db.session.remove()
            except Exception:
                log.exception("could not look at the recurring job %s", item.id)
                self._next_look[item.id] = now + self.RETRY_AFTER
                continue
            self._next_look[item.id] = item.next_due(last_run) or now
            if claimed:
                self._execute(item.func, ())
                ran.append(item.id)
        with self.ticked:
            self.ticks += 1
            self.ticked.notify_all()
        return ran

    def _push(self, when: float, path: str, args: tuple) -> None:
        with self._wake:
            heapq.heappush(self._heap, (when, next(self._seq), path, args))
            self._wake.notify()

    def _seconds_to_next_look(self) -> float:
        if not self.schedule:
            return self.MAX_WAIT
        now = self.clock()
        soonest = min(self._next_look.get(item.id, now) for item in self.schedule)
        return min(max((soonest - now).total_seconds(), 0.0), self.MAX_WAIT)

    def _loop(self) -> None:
        look_at = time.monotonic()  # the schedule first, right at the start
        while True:
            if time.monotonic() >= look_at:
                self.tick()
                look_at = time.monotonic() + self._seconds_to_next_look()
            with self._wake:
                while not self._stopped:
                    until = min(look_at, self._heap[0][0]) if self._heap else look_at
                    if until <= time.monotonic():
                        break
                    self._wake.wait(until - time.monotonic())
                if self._stopped:
                    return
                job = None
                if self._heap and self._heap[0][0] <= time.monotonic():
                    _, _, path, args = heapq.heappop(self._heap)
                    job = (path, args)
            if job is not None:
                self._execute(*job)

    def _execute(self, path: str, args: tuple) -> None:
        with self.app.app_context():
            try:
                run(path, *args)
            except Exception:
                log.exception("job %s%r failed", path, args)


_RUNNER = "maengelmelder.jobs.runner"
_SLOW_RUNNER = "maengelmelder.jobs.slow_runner"
_runners_lock = threading.Lock()


def runner(app: Flask, queue: str = QUEUE_NAME) -> Runner:
    """The app's in-process runner, started on first use.

    The slow queue's jobs get a runner (thread) of their own, without the schedule: while it
    works through a storm of them, the main runner's mails and checks keep their times (the
    slow jobs' heavy parts run in native code that lets the other thread go on).
    """
    key = _SLOW_RUNNER if queue == SLOW_QUEUE else _RUNNER
    with _runners_lock:
        if key not in app.extensions:
            app.extensions[key] = Runner(app, schedule(app) if key == _RUNNER else ())
        return app.extensions[key]


def stop_runners(app: Flask, timeout: float = 10.0) -> None:
    """End this process's runner threads after the jobs they run (a worker that exits).

    A thread killed inside native code (a privacy pass in OpenCV) aborts the whole process,
    and a pass cut off between writing its files and its commit would leave files behind.
    """
    for key in (_RUNNER, _SLOW_RUNNER):
        found = app.extensions.get(key)
        if found is not None:
            found.stop(timeout)


def runner_started(app: Flask) -> bool:
    """Whether this process runs jobs in its own thread already (a serving process)."""
    return _RUNNER in app.extensions


def start_runner(app: Flask) -> Runner | None:
    """Start the in-process runner now, if this app runs jobs in-process (no Redis).

    For the serving process (every gunicorn worker, after the fork: threads do not survive
    one): the schedule then runs from the start, whether or not a request ever queues a job.
    """
    if app.config.get("REDIS_URL") or not app.config.get("INPROCESS_JOBS", True):
        return None
    return runner(app)
