"""The board's figures kept current: counts per day and month × department × category.

A report contributes to the rows of the day (and month) it was created — `created`, and once
it is done within or past its promise `resolved`, `met` and one hour band — and to the rows
of the day (and month) it was resolved — `resolved_on`, `met_on`. Whenever a flush changes a
report, the difference between its contribution before and after is added to the rows in the
same transaction; intake, which writes reports outside the unit of work, adds its own. So the
SLA summary, the trend and the public transparency figure read a few thousand rows at most,
however many years of reports the city holds, and `recount` proves they equal the raw rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, event, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ..clock import BERLIN
from ..core import states
from ..core.models import Report
from .models import BAND_COLUMNS, COUNT_COLUMNS, HOUR_BANDS, SlaFigures

COLUMNS: tuple[str, ...] = (*COUNT_COLUMNS, *BAND_COLUMNS)
KEY: tuple[str, ...] = ("period", "start", "department_id", "category_id")
# What a report's contribution depends on; these columns keep their old value on change.
FACT_COLUMNS: tuple[str, ...] = (
    "created_at",
    "status",
    "department_id",
    "category_id",
    "deadline",
    "resolved_at",
    "closed_at",
)

Key = tuple[str, date, int, int]
Rows = dict[Key, dict[str, int]]


@dataclass(frozen=True)
class Facts:
    """The stored values of one report that its figures follow."""

    created_at: datetime
    status: str
    department_id: int
    category_id: int
    deadline: datetime
    resolved_at: datetime | None
    closed_at: datetime | None


def outcome(facts: Facts) -> tuple[datetime, bool] | None:
    """(done at, within the promise) of a done report; None while open or if rejected."""
    if facts.status in states.OPEN or facts.status in (states.REJECTED, states.DUPLICATE):
        return None
    done = facts.resolved_at or (facts.closed_at if facts.status == states.CLOSED else None)
    if done is None:
        return None
    # As sla.service.state: resolved at or before the deadline keeps the promise.
    return done, facts.deadline is None or done <= facts.deadline


def band(hours: float) -> str:
    """The hour band column of a time to resolve."""
    for upper, column in zip(HOUR_BANDS, BAND_COLUMNS, strict=False):
        if hours <= upper:
            return column
    return BAND_COLUMNS[-1]


def local_day(moment: datetime) -> date:
    return moment.astimezone(BERLIN).date()


def contribution(facts: Facts, sign: int = 1) -> Rows:
    """The counts one report adds to the rows (times `sign`)."""
    rows: Rows = defaultdict(lambda: dict.fromkeys(COLUMNS, 0))
    dep, cat = facts.department_id, facts.category_id
    day = local_day(facts.created_at)
    created = (("d", day, dep, cat), ("m", day.replace(day=1), dep, cat))
    done = outcome(facts)
    for key in created:
        rows[key]["created"] += sign
    if done is not None:
        done_at, met = done
        hours = (done_at - facts.created_at) / timedelta(hours=1)
        for key in created:
            row = rows[key]
            row["resolved"] += sign
            row["met"] += sign * met
            row[band(hours)] += sign
        done_day = local_day(done_at)
        for key in (("d", done_day, dep, cat), ("m", done_day.replace(day=1), dep, cat)):
            rows[key]["resolved_on"] += sign
            rows[key]["met_on"] += sign * met
    return rows


def merge(into: Rows, rows: Mapping[Key, Mapping[str, int]]) -> Rows:
    for key, counts in rows.items():
        target = into.setdefault(key, dict.fromkeys(COLUMNS, 0))
        for column, value in counts.items():
            target[column] += value
    return into


def apply(connection: Connection, deltas: Rows) -> None:
    """Add the deltas to the stored rows (one upsert; rows locked in key order)."""
    values = [
        {**dict(zip(KEY, key, strict=True)), **counts}
        for key, counts in sorted(deltas.items())
        if any(counts.values())
    ]
    if not values:
        return
    table = SlaFigures.__table__
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(KEY), set_={c: table.c[c] + stmt.excluded[c] for c in COLUMNS}
    )
    connection.execute(stmt)


def facts_of(report: Report) -> Facts:
    """The report's values as they are now."""
    return Facts(*(getattr(report, name) for name in FACT_COLUMNS))


def _facts_before(report: Report) -> Facts:
    """The report's values as the database held them before this flush."""
    state = inspect(report)
    values = []
    for name in FACT_COLUMNS:
        history = state.attrs[name].history
        if history.added or history.deleted:
            # The columns load their old value before a change (active history), so an
            # empty `deleted` means the old value was None.
            values.append(history.deleted[0] if history.deleted else None)
        else:
            values.append(getattr(report, name))
    return Facts(*values)


@event.listens_for(Session, "after_flush")
def _follow_reports(session: Session, _context) -> None:
    """Add what this flush changed in reports to the figures, in the same transaction."""
    deltas: Rows = {}
    for report in session.new:
        if isinstance(report, Report):
            merge(deltas, contribution(facts_of(report)))
    for report in session.dirty:
        if isinstance(report, Report):
            before, after = _facts_before(report), facts_of(report)
            if before != after:
                merge(deltas, contribution(before, -1))
                merge(deltas, contribution(after))
    for report in session.deleted:
        if isinstance(report, Report):
            merge(deltas, contribution(_facts_before(report), -1))
    if deltas:
        apply(session.connection(), deltas)


def add_new(session: Session, report: Report) -> None:
    """Count a report that intake inserted outside the unit of work."""
    apply(session.connection(), contribution(facts_of(report)))


def _columns_of_reports():
    return [getattr(Report.__table__.c, name) for name in FACT_COLUMNS]


def _recount_rows(rows: Iterable) -> Rows:
    out: Rows = {}
    for row in rows:
        merge(out, contribution(Facts(*row)))
    return {k: v for k, v in out.items() if any(v.values())}


def recount_with(connection: Connection) -> Rows:
    """The rows as a recount from the raw reports gives them (zero rows left out)."""
    # Options on the statement: on the connection they would stay for later statements.
    result = connection.execute(
        select(*_columns_of_reports()).execution_options(stream_results=True, yield_per=5000)
    )
    return _recount_rows(result)


def recount(session: Session) -> Rows:
    return recount_with(session.connection())


def stored_with(connection: Connection) -> Rows:
    """The rows as stored (zero rows left out)."""
    table = SlaFigures.__table__
    out: Rows = {}
    for row in connection.execute(select(table)).mappings():
        counts = {c: row[c] for c in COLUMNS}
        if any(counts.values()):
            out[tuple(row[k] for k in KEY)] = counts
    return out


def stored(session: Session) -> Rows:
    return stored_with(session.connection())


def rebuild_with(connection: Connection) -> int:
    """Replace the stored rows by a recount; returns the number of rows."""
    rows = recount_with(connection)
    table = SlaFigures.__table__
    connection.execute(delete(table))
    values = [{**dict(zip(KEY, key, strict=True)), **counts} for key, counts in rows.items()]
    for start in range(0, len(values), 2000):
        connection.execute(table.insert(), values[start : start + 2000])
    return len(values)


def rebuild(session: Session) -> int:
    """Recount the figures from the raw reports (after bulk writes, or to repair)."""
    return rebuild_with(session.connection())
