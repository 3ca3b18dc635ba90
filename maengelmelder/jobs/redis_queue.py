"""With Redis: jobs go to rq queues, and `maengelmelder worker` runs them (`work`)."""

from __future__ import annotations

import logging
import threading

from flask import Flask

from .. import redis_guard
from ..clock import system_clock
from ..extensions import db
from .calls import QUEUE_NAME, RUN, SLOW_QUEUE, Call
from .recurring import schedule

log = logging.getLogger(__package__)


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


def rq_enqueue(app: Flask, calls: list[Call]) -> None:
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
                q.enqueue_at(call.at, RUN, call.path, *call.args, **kwargs)
            else:
                q.enqueue(RUN, call.path, *call.args, **kwargs)
        pipe.execute()


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
            q.enqueue(RUN, item.func)
            enqueued += 1
    return enqueued


def work(app: Flask, *, burst: bool = False, fork: bool = True) -> None:
    """Run an rq worker with its scheduler; a timer thread keeps the recurring jobs coming.

    The forking worker runs each job in a child process; the child must not reuse the
    parent's database connections, so it drops them (without closing) first.
    """
    from rq import SimpleWorker, Worker

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
