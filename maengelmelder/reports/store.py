"""Writing a new report: the report, its first history event and its public id at once.

Through the ORM's unit of work this was three statements and most of an intake's CPU. Here
it is one statement on PostgreSQL (the year's counter, the report and the event in one
round trip) and three Core statements on SQLite; afterwards the report is made persistent in
the session as if it had been loaded, so whatever intake does next (photos, holds) is an
ordinary ORM change.

The year's counter row is locked from this statement until the commit, which serialises
concurrent intakes; so intake writes the report last, and the lock covers little but the
commit. Rolled back, the number is not used up.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import Date, Table, bindparam, insert, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from ..clock import BERLIN
from ..core.events import TicketEvent
from ..core.models import PublicIdCounter, Report
from ..sla import figures


@cache
def _columns(table: Table, *skip: str) -> tuple:
    """The columns an insert names (built once: this runs for every report)."""
    return tuple(c for c in table.columns if not c.primary_key and c.key not in skip)


def _values(obj, table: Table, *skip: str) -> dict:
    """Every column's value for an insert: as set on `obj`, else the model's default.

    The defaults are put into `obj` too (its state directly: no change events, as the object
    is made persistent with these values next), so once persistent it has nothing to load.
    """
    values = {}
    state = obj.__dict__
    for column in _columns(table, *skip):
        key = column.key
        if key in state:
            value = state[key]
        else:
            if column.default is not None and column.default.is_scalar:
                value = column.default.arg
            elif column.default is not None and column.default.is_callable:
                value = column.default.arg(None)
            else:
                value = None
            state[key] = value
        values[key] = value
    return values


@cache
def _postgres_statement():
    reports, events = Report.__table__, TicketEvent.__table__
    report_columns = _columns(reports, "public_id")
    event_columns = _columns(events, "report_id")

    def names(columns: tuple) -> str:
        return ", ".join(f'"{c.name}"' for c in columns)

    def params(columns: tuple, prefix: str) -> str:
        return ", ".join(f":{prefix}{c.key}" for c in columns)

    # The board's figures count the new report in the same statement (sla/figures.py).
    assert figures.COLUMNS[0] == "created"
    counts = ", ".join(figures.COLUMNS)
    zeros = ", 0" * (len(figures.COLUMNS) - 1)

    sql = f"""
        WITH counter AS (
            INSERT INTO public_id_counters (year, last) VALUES (:year, 1)
            ON CONFLICT (year) DO UPDATE SET last = public_id_counters.last + 1
            RETURNING last
        ), new_report AS (
            INSERT INTO reports ({names(report_columns)}, public_id)
            VALUES ({params(report_columns, "r_")}, (
                SELECT CAST(:year AS text) || '-' || lpad(CAST(last AS text),
                    greatest(6, length(CAST(last AS text))), '0')
                FROM counter
            ))
            RETURNING id, public_id
        ), new_event AS (
            INSERT INTO ticket_events (report_id, {names(event_columns)})
            VALUES ((SELECT id FROM new_report), {params(event_columns, "e_")})
            RETURNING id
        ), counted AS (
            INSERT INTO sla_figures (period, start, department_id, category_id, {counts})
            VALUES ('d', :day, :r_department_id, :r_category_id, 1{zeros}),
                   ('m', :month, :r_department_id, :r_category_id, 1{zeros})
            ON CONFLICT (period, start, department_id, category_id)
            DO UPDATE SET created = sla_figures.created + 1
        )
        SELECT new_report.id, new_report.public_id, new_event.id FROM new_report, new_event
    """
    binds = [bindparam("day", type_=Date()), bindparam("month", type_=Date())]
    binds += [bindparam("r_" + c.key, type_=c.type) for c in report_columns]
    binds += [bindparam("e_" + c.key, type_=c.type) for c in event_columns]
    return text(sql).bindparams(*binds)


def insert_report(session: Session, report: Report, event: TicketEvent) -> None:
    """Insert a new `report` with its `event` and the year's next public id; both persistent.

    `report` must have its category and department set and hold no events; its photos (if
    any) are added afterwards, as an ordinary change.
    """
    report.category_id = report.category.id
    report.department_id = report.department.id
    year = report.created_at.astimezone(BERLIN).year
    row = _values(report, Report.__table__, "public_id")
    event_row = _values(event, TicketEvent.__table__, "report_id")
    if session.get_bind().dialect.name == "postgresql":
        day = figures.local_day(report.created_at)
        params = {"year": year, "day": day, "month": day.replace(day=1)}
        params.update({"r_" + k: v for k, v in row.items()})
        params.update({"e_" + k: v for k, v in event_row.items()})
        report_id, public_id, event_id = session.execute(_postgres_statement(), params).one()
    else:
        counters = PublicIdCounter.__table__
        last = session.execute(
            sqlite.insert(counters)
            .values(year=year, last=1)
            .on_conflict_do_update(index_elements=["year"], set_={"last": counters.c.last + 1})
            .returning(counters.c.last)
        ).scalar_one()
        public_id = f"{year}-{last:06d}"
        report_id = session.execute(
            insert(Report.__table__).values(**row, public_id=public_id).returning(Report.id)
        ).scalar_one()
        event_id = session.execute(
            insert(TicketEvent.__table__)
            .values(**event_row, report_id=report_id)
            .returning(TicketEvent.id)
        ).scalar_one()
    report.id, report.public_id = report_id, public_id
    event.id, event.report_id = event_id, report_id
    for obj in (report, event):
        make_transient_to_detached(obj)
        session.add(obj)
    set_committed_value(report, "events", [event])
    if session.get_bind().dialect.name != "postgresql":
        figures.add_new(session, report)
