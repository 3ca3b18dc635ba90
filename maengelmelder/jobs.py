"""The one place that knows how jobs run: rq on Redis, or an in-process thread without it.

Jobs are plain module-level functions that take ids and values, never ORM objects; they are
named by dotted path, so rq pickles only strings. The worker (rq or the thread) provides the
app context around each job. Recurring work is declared as data in SCHEDULE, and every job
is safe to run twice: it compares state before acting.
"""

from __future__ import annotations

import heapq
import importlib
import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Flask, current_app

log = logging.getLogger(__name__)
QUEUE_NAME = "maengelmelder"


@dataclass(frozen=True)
class Recurring:
    """A job that runs every `every` seconds under a stable id."""

    id: str
    func: str
    every: int


SCHEDULE: tuple[Recurring, ...] = (
    Recurring("sla-sweep", "maengelmelder.sla.jobs.sweep", 60),
    # Hourly, but each supervisor gets at most one digest per (Berlin) day: a dedupe key.
    Recurring("sla-digest", "maengelmelder.sla.jobs.daily_digest", 3600),
    Recurring("outbox-send", "maengelmelder.notify.jobs.send_pending", 60),
    Recurring("tickets-housekeeping", "maengelmelder.tickets.jobs.housekeeping", 3600),
    Recurring("privacy-retention", "maengelmelder.privacy.jobs.retention", 86400),
    Recurring("accounts-purge", "maengelmelder.accounts.jobs.purge", 3600),
)


def resolve(path: str) -> Callable:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def run(path: str, *args) -> object:
    """Run a job function inside the current app context (used by both runners)."""
    return resolve(path)(*args)


# Enqueueing is best effort and usually runs inside a citizen's or crew's request: a Redis that
# does not answer (frozen, or cut off by the network) may cost that request at most this long,
# and after a failure the process does not try again for a short while.
ENQUEUE_TIMEOUT = 1.0
REDIS_PAUSE_AFTER_FAILURE = 10.0
_REDIS_FAILED_AT = "maengelmelder.jobs.redis_failed_at"


@dataclass(frozen=True)
class Call:
    """One job to run: `path(*args)`, soon or at `at`."""

    path: str
    args: tuple = ()
    at: datetime | None = None
    job_id: str | None = None


def enqueue(path: str, *args, at: datetime | None = None, job_id: str | None = None) -> bool:
    """Run `path(*args)` soon (or at `at`); never raises: a lost job is caught by a sweep."""
    return enqueue_all([Call(path, args, at, job_id)])


def enqueue_all(calls: list[Call]) -> bool:
    """Enqueue several jobs in one Redis round trip; never raises, like `enqueue`.

    Returns whether they were handed over (to rq, or to the in-process runner).
    """
    if not calls:
        return True
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        if app.config.get("REDIS_URL"):
            failed_at = app.extensions.get(_REDIS_FAILED_AT)
            if failed_at is not None and time.monotonic() - failed_at < REDIS_PAUSE_AFTER_FAILURE:
                for call in calls:
                    log.warning(
                        "Redis failed just now: %s not enqueued; a sweep will catch up",
                        _describe(call),
                    )
                return False
            try:
                _rq_enqueue(app, calls)
            except Exception:
                app.extensions[_REDIS_FAILED_AT] = time.monotonic()
                raise
            app.extensions.pop(_REDIS_FAILED_AT, None)
        elif app.config.get("INPROCESS_JOBS", True):
            for call in calls:
                runner(app).submit(call.path, call.args, call.at)
        else:
            return False
        return True
    except Exception:  # Redis down, for instance: the recurring sweeps pick the work up
        # One line per job, so each lost job can be found in the log by its name.
        log.exception("could not enqueue %s; a sweep will catch up", _describe(calls[0]))
        for call in calls[1:]:
            log.warning("%s not enqueued either; a sweep will catch up", _describe(call))
        return False


def _describe(call: Call) -> str:
    return f"{call.path}{call.args!r}"


_REDIS_CLIENTS = "maengelmelder.jobs.redis_clients"
_redis_lock = threading.Lock()


def redis_connection(app: Flask, timeout: float = 5):
    """The app's Redis client for this URL and timeout, made once and shared by threads.

    A client per call opened a new TCP connection for every enqueue, a third of the CPU a
    report's intake took under load. The client's pool is thread-safe and starts afresh in a
    forked child (redis-py compares the process id), so gunicorn and rq workers may share it.
    """
    from redis import Redis

    key = (app.config["REDIS_URL"], timeout)
    clients = app.extensions.setdefault(_REDIS_CLIENTS, {})
    client = clients.get(key)
    if client is None:
        with _redis_lock:
            client = clients.get(key)
            if client is None:
                client = clients[key] = Redis.from_url(
                    key[0], socket_connect_timeout=min(2, timeout), socket_timeout=timeout
                )
    return client


def queue(app: Flask, timeout: float = 5):
    from rq import Queue

    return Queue(QUEUE_NAME, connection=redis_connection(app, timeout))


def _rq_enqueue(app: Flask, calls: list[Call]) -> None:
    from rq import Retry

    q = queue(app, ENQUEUE_TIMEOUT)
    with q.connection.pipeline() as pipe:
        for call in calls:
            # A job that fails (or whose worker died) is retried; jobs are idempotent, so
            # that is safe.
            kwargs: dict = {"retry": Retry(max=3, interval=[10, 60, 300]), "pipeline": pipe}
            if call.job_id:
                kwargs["job_id"] = call.job_id
            if call.at is not None:
                q.enqueue_at(call.at, run, call.path, *call.args, **kwargs)
            else:
                q.enqueue(run, call.path, *call.args, **kwargs)
        pipe.execute()


# -- without Redis: one daemon thread per process ----------------------------------------------


class Runner:
    """Runs submitted and recurring jobs in a background thread with an app context."""

    def __init__(self, app: Flask, schedule=SCHEDULE) -> None:
        self.app = app
        self._heap: list[tuple[float, int, str, tuple]] = []
        self._seq = itertools.count()
        self._wake = threading.Condition()
        self._thread = threading.Thread(target=self._loop, name="maengelmelder-jobs", daemon=True)
        for item in schedule:
            self._push(
                time.monotonic() + item.every, f"recurring:{item.id}", (item.func, item.every)
            )
        self._thread.start()

    def submit(self, path: str, args: tuple, at: datetime | None = None) -> None:
        delay = 0.0 if at is None else max(0.0, (at - datetime.now(UTC)).total_seconds())
        self._push(time.monotonic() + delay, path, args)

    def _push(self, when: float, path: str, args: tuple) -> None:
        with self._wake:
            heapq.heappush(self._heap, (when, next(self._seq), path, args))
            self._wake.notify()

    def _loop(self) -> None:
        while True:
            with self._wake:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._wake.wait(timeout)
                _, _, path, args = heapq.heappop(self._heap)
            if path.startswith("recurring:"):
                func, every = args
                self._push(time.monotonic() + every, path, args)
                path, args = func, ()
            self._execute(path, args)

    def _execute(self, path: str, args: tuple) -> None:
        with self.app.app_context():
            try:
                run(path, *args)
            except Exception:
                log.exception("job %s%r failed", path, args)


_runners: dict[int, Runner] = {}
_runners_lock = threading.Lock()


def runner(app: Flask) -> Runner:
    """The app's in-process runner, started on first use."""
    with _runners_lock:
        if id(app) not in _runners:
            _runners[id(app)] = Runner(app, app.config.get("JOB_SCHEDULE", SCHEDULE))
        return _runners[id(app)]


# -- with Redis: `maengelmelder worker` ----------------------------------------------------------


def ensure_recurring(app: Flask) -> int:
    """Enqueue each recurring job whose interval has passed; returns how many were enqueued.

    A key per job that expires after its interval makes this safe to call from every worker
    as often as liked; if Redis lost its data, the jobs come back on the next call.
    """
    q = queue(app)
    enqueued = 0
    for item in app.config.get("JOB_SCHEDULE", SCHEDULE):
        if q.connection.set(f"maengelmelder:recurring:{item.id}", "1", nx=True, ex=item.every):
            q.enqueue(run, item.func)
            enqueued += 1
    return enqueued


def work(app: Flask, *, burst: bool = False, fork: bool = True) -> None:
    """Run an rq worker with its scheduler; a timer thread keeps the recurring jobs coming.

    The forking worker runs each job in a child process; the child must not reuse the
    parent's database connections, so it drops them (without closing) first.
    """
    from rq import SimpleWorker, Worker

    from .extensions import db

    base = Worker if fork else SimpleWorker

    class AppWorker(base):  # type: ignore[valid-type, misc]
        def perform_job(self, *args, **kwargs):
            with app.app_context():
                if fork:
                    db.engine.dispose(close=False)
                try:
                    return super().perform_job(*args, **kwargs)
                finally:
                    db.session.remove()

    with app.app_context():
        ensure_recurring(app)
    if not burst:
        shortest = min((i.every for i in app.config.get("JOB_SCHEDULE", SCHEDULE)), default=60)
        stop = threading.Event()

        def tick() -> None:
            while not stop.wait(shortest):
                try:
                    with app.app_context():
                        ensure_recurring(app)
                except Exception:
                    log.exception("could not schedule recurring jobs")

        threading.Thread(target=tick, name="maengelmelder-recurring", daemon=True).start()
    worker = AppWorker([queue(app)], connection=redis_connection(app))
    worker.work(burst=burst, with_scheduler=True)
