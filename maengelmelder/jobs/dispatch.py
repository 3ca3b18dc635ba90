"""Handing jobs over: to rq when Redis is configured, else to this process's runner."""

from __future__ import annotations

import logging
from datetime import datetime

from flask import current_app

from .. import redis_guard
from .calls import QUEUE_NAME, Call, Job
from .inprocess import runner
from .redis_queue import rq_enqueue

log = logging.getLogger(__package__)

# Enqueueing is best effort and usually runs inside a citizen's or crew's request: it goes
# through the Redis guard (redis_guard.py), which the rate limits share, so a Redis that does
# not answer costs that request one short wait in all, and the next ones none for a while.


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
            rq_enqueue(app, calls)
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
