"""The one place that knows how jobs run: rq on Redis, or an in-process thread without it.

Jobs are plain module-level functions that take ids and values, never ORM objects. Callers
hand over the function itself (`enqueue(send_pending, …)`); it is checked to be importable by
its dotted path then and there (a lambda or a nested function fails at once, in tests, not as
a log line in production), and only that path travels, so rq pickles only strings. The worker
(rq or the thread) provides the app context around each job. Recurring work is declared as
data: each feature adds its `Recurring` entries in its `init_app` (`add_recurring`), and every
job is safe to run twice: it compares state before acting.

Without Redis, each serving process starts its runner thread when it starts (`start_runner`,
called by `serve` in every gunicorn worker), not when a request first queues a job: a
restarted server with only read traffic still sends due mails and escalates breaches. The
runner runs the recurring schedule from its first minute; which process runs each due job is
decided in the database (`claim_run`: one conditional UPDATE of the job's row in
`recurring_runs`), so of several processes exactly one runs it, and a daily job at a fixed time
of day that was missed (the server was down at 03:00) runs as soon as one starts.
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
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time

from flask import Flask, current_app
from sqlalchemy import String, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from . import redis_guard
from .clock import BERLIN, system_clock
from .extensions import db
from .types import UTCDateTime

log = logging.getLogger(__name__)
QUEUE_NAME = "maengelmelder"
# Jobs that take seconds of CPU each (the privacy pass of a photo): a queue of their own that
# workers serve only when the main one is empty, and without Redis a thread of their own, so a
# storm of them never delays mails and deadline checks.
SLOW_QUEUE = "maengelmelder-slow"


Job = Callable[..., object]


def job_path(func: Job | str, *, check: bool = True) -> str:
    """The dotted path a job travels as; the function must be reachable by it."""
    path = func if isinstance(func, str) else f"{func.__module__}.{func.__qualname__}"
    if isinstance(func, str) and not check:
        return path
    try:
        found = resolve(path)
    except (ImportError, AttributeError, ValueError) as exc:
        raise LookupError(f"{path} is not a job: no function by that path") from exc
    if not isinstance(func, str) and found is not func:
        raise LookupError(f"{path} is not a job: a module-level function is needed")
    return path


@dataclass(frozen=True)
class Recurring:
    """A job that runs every `every` seconds under a stable id; with `at` ("HH:MM", Berlin
    time) once a day at that time instead, catching up a missed day as soon as it can."""

    id: str
    func: Job | str
    every: int
    at: str | None = None

    def __post_init__(self) -> None:
        # a path (tests name functions defined further down) is looked up when it runs
        object.__setattr__(self, "func", job_path(self.func, check=False))

    def next_due(self, last_run: datetime | None) -> datetime | None:
        """When the job is due after a run at `last_run`; None: never ran, due now."""
        if last_run is None:
            return None
        if self.at is None:
            return last_run + timedelta(seconds=self.every)
        hour, minute = (int(part) for part in self.at.split(":"))
        day = last_run.astimezone(BERLIN).date()
        while True:
            moment = datetime.combine(day, clock_time(hour, minute), BERLIN).astimezone(UTC)
            if moment > last_run:
                return moment
            day += timedelta(days=1)

    def due(self, last_run: datetime | None, now: datetime) -> bool:
        moment = self.next_due(last_run)
        return moment is None or moment <= now


_SCHEDULE = "maengelmelder.jobs.schedule"


def add_recurring(app: Flask, *items: Recurring) -> None:
    """A feature's recurring jobs, added in its `init_app`."""
    app.extensions.setdefault(_SCHEDULE, []).extend(items)


def schedule(app: Flask) -> tuple[Recurring, ...]:
    """The app's recurring jobs: what its features added, or the `JOB_SCHEDULE` setting."""
    if "JOB_SCHEDULE" in app.config:
        return tuple(app.config["JOB_SCHEDULE"])
    return tuple(app.extensions.get(_SCHEDULE, ()))


class RecurringRun(db.Model):
    """When a recurring job last started (without Redis): the lock that lets one process of
    several run it, and what a restarted server catches up from."""

    __tablename__ = "recurring_runs"

    job_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


def claim_run(session: Session, item: Recurring, now: datetime) -> tuple[bool, datetime | None]:
    """Whether this process runs `item` now (it was due and no other process took it first),
    and the job's last start afterwards. Ends the transaction; one conditional UPDATE decides,
    so a job that is not due costs one read.
    """
    query = select(RecurringRun.last_run_at).where(RecurringRun.job_id == item.id)
    row = session.execute(query).first()
    if row is None:
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        session.execute(
            insert(RecurringRun)
            .values(job_id=item.id, last_run_at=None)
            .on_conflict_do_nothing(index_elements=["job_id"])
        )
        row = session.execute(query).first()
    last_run = row[0]
    claimed = False
    if item.due(last_run, now):
        # Another process may have started it since the read: then no row matches.
        unchanged = (
            RecurringRun.last_run_at.is_(None)
            if last_run is None
            else RecurringRun.last_run_at == last_run
        )
        result = session.execute(
            update(RecurringRun)
            .where(RecurringRun.job_id == item.id, unchanged)
            .values(last_run_at=now)
            .execution_options(synchronize_session=False)
        )
        claimed = result.rowcount == 1
        last_run = now if claimed else session.scalar(query)
    session.commit()
    return claimed, last_run


def resolve(path: str) -> Callable:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def run(path: str, *args) -> object:
    """Run a job function inside the current app context (used by both runners)."""
    return resolve(path)(*args)


# Enqueueing is best effort and usually runs inside a citizen's or crew's request: it goes
# through the Redis guard (redis_guard.py), which the rate limits share, so a Redis that does
# not answer costs that request one short wait in all, and the next ones none for a while.


@dataclass(frozen=True)
class Call:
    """One job to run: `func(*args)`, soon or at `at` (`func` travels as its path)."""

    path: Job | str
    args: tuple = ()
    at: datetime | None = None
    job_id: str | None = None
    queue: str = QUEUE_NAME  # or SLOW_QUEUE

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", job_path(self.path))


def enqueue(
    func: Job,
    *args,
    at: datetime | None = None,
    job_id: str | None = None,
    queue: str = QUEUE_NAME,
) -> bool:
    """Run `func(*args)` soon (or at `at`). Never raises once the job is known to exist: a
    lost job is caught by a sweep."""
    return enqueue_all([Call(func, args, at, job_id, queue)])


def enqueue_all(calls: list[Call]) -> bool:
    """Enqueue several jobs in one Redis round trip; never raises, like `enqueue`.

    Returns whether they were handed over (to rq, or to the in-process runner).
    """
    if not calls:
        return True
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        if app.config.get("REDIS_URL"):
            if redis_guard.guard(app).resting():
                for call in calls:
                    log.warning(
                        "Redis failed just now: %s not enqueued; a sweep will catch up",
                        _describe(call),
                    )
                return False
            _rq_enqueue(app, calls)
        elif app.config.get("INPROCESS_JOBS", True):
            for call in calls:
                runner(app, call.queue).submit(call.path, call.args, call.at)
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


def queue(app: Flask, timeout: float = 5, name: str = QUEUE_NAME):
    from rq import Queue

    return Queue(name, connection=redis_connection(app, timeout))


def _rq_enqueue(app: Flask, calls: list[Call]) -> None:
    from rq import Queue, Retry

    connection = redis_guard.guard(app).client
    queues = {name: Queue(name, connection=connection) for name in {c.queue for c in calls}}
    with connection.pipeline() as pipe:
        for call in calls:
            q = queues[call.queue]
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


# -- with Redis: `maengelmelder worker` ----------------------------------------------------------


def ensure_recurring(app: Flask) -> int:
    """Enqueue each recurring job whose interval has passed; returns how many were enqueued.

    A key per job that expires after its interval (a daily job's: at its next time of day)
    makes this safe to call from every worker as often as liked; if Redis lost its data, the
    jobs come back on the next call.
    """
    q = queue(app)
    enqueued = 0
    now = system_clock()  # Redis expires keys by its own, real clock
    for item in schedule(app):
        key = f"maengelmelder:recurring:{item.id}"
        if item.at is None:
            taken = q.connection.set(key, "1", nx=True, ex=item.every)
        else:
            until = item.next_due(now)
            taken = q.connection.set(key, "1", nx=True, exat=int(until.timestamp()))
        if taken:
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
        shortest = min((i.every for i in schedule(app)), default=60)
        stop = threading.Event()

        def tick() -> None:
            while not stop.wait(shortest):
                try:
                    with app.app_context():
                        ensure_recurring(app)
                except Exception:
                    log.exception("could not schedule recurring jobs")

        threading.Thread(target=tick, name="maengelmelder-recurring", daemon=True).start()
    # Queues in order: a worker takes a slow job only while the main queue is empty.
    worker = AppWorker([queue(app), queue(app, name=SLOW_QUEUE)], connection=redis_connection(app))
    worker.work(burst=burst, with_scheduler=True)
