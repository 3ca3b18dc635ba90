"""What a job is: a module-level function that travels as its dotted path, and a call of it."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

QUEUE_NAME = "maengelmelder"
# Jobs that take seconds of CPU each (the privacy pass of a photo): a queue of their own that
# workers serve only when the main one is empty, and without Redis a thread of their own, so a
# storm of them never delays mails and deadline checks.
SLOW_QUEUE = "maengelmelder-slow"

# The function rq stores for every job, by this path: `run` as the package exports it. Queued
# jobs name it, so it keeps this path across releases.
RUN = "maengelmelder.jobs.run"


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


def resolve(path: str) -> Callable:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def run(path: str, *args) -> object:
    """Run a job function inside the current app context (used by both runners)."""
    return resolve(path)(*args)


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
