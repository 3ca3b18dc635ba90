"""Recurring work as data: the schedule each feature adds to, and the database row per job
that decides which process runs it (without Redis)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time

from flask import Flask
from sqlalchemy import String, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..clock import BERLIN
from ..extensions import db
from ..types import UTCDateTime
from .calls import Job, job_path


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
