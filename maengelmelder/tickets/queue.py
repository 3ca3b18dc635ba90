"""The staff queue: the tickets a principal may see, filtered, soonest deadline first.

Paged by keyset (`maengelmelder.paging`): a page costs the same on the first and the
thousandth page, and its count stops at COUNT_CAP.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload

from .. import paging
from ..abuse.models import AbuseReport
from ..accounts.service import Principal
from ..core import photo_privacy, states
from ..core.catalog import Category, Department
from ..core.models import Photo, Report
from ..sla.engine import STATES

SLA_STATES = STATES  # the SLA engine's names, one list


def sla_state(report: Report, now: datetime) -> str | None:
    """The SLA state derived from stored timestamps, so it is right without any worker."""
    from ..sla.service import state

    return state(report, now)


# A page of the queue in the JSON answer, and the most one page may hold.
DEFAULT_LIMIT, MAX_LIMIT = 50, 500
# A page of a download (`format=csv|geojson`): a normal city's open tickets fit in one.
EXPORT_DEFAULT_LIMIT, EXPORT_MAX_LIMIT = 5000, 10000
# `offset` is kept for older clients; past this the cursor walks the list.
MAX_OFFSET = 10000
# `total` counts the filter's tickets up to this many and then says it stopped.
COUNT_CAP = 1000
CURSOR_TAG = "t"  # cursors of this list: (deadline, id) after the tag


@dataclass(frozen=True)
class QueueFilter:
    departments: tuple[str, ...] = ()
    statuses: tuple[str, ...] = tuple(sorted(states.OPEN))
    assignee: str | None = None  # "me", "none" or a user id
    sla: str | None = None
    zone: str | None = None
    categories: tuple[str, ...] = ()
    published: bool | None = None  # False: the moderation queue
    flagged: bool | None = None  # True: tickets with open "report abuse" flags
    cursor: tuple[datetime, int] | None = None  # (deadline, id) of the last ticket seen
    limit: int = DEFAULT_LIMIT
    offset: int = 0


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue: its tickets, the next page's cursor, the (capped) count."""

    items: list[Report]
    next_cursor: str | None
    total: int | None = None
    total_capped: bool = False


def decode_cursor(raw: str) -> tuple[datetime, int]:
    """The (deadline, id) a cursor of the queue points at, or a 400."""
    return paging.decode_cursor(raw, (datetime, int), tag=CURSOR_TAG)


def _ids(session: Session, model, codes: tuple[str, ...]) -> list[int]:
    """The ids of catalogue rows by code (unknown codes match nothing).

    Filtering reports by ids rather than by a join lets the planner read the filter's index
    (department, status, deadline) directly.
    """
    return list(session.scalars(select(model.id).where(model.code.in_(codes))))


def filtered(session: Session, principal: Principal, flt: QueueFilter, now: datetime):
    """The tickets the principal may see that match the filter, unordered (`select(Report)`)."""
    query = select(Report)
    if not (principal.is_admin or principal.citywide):
        query = query.where(Report.department_id.in_(principal.department_ids or {-1}))
    if flt.departments:
        query = query.where(Report.department_id.in_(_ids(session, Department, flt.departments)))
    if flt.statuses:
        query = query.where(Report.status.in_(flt.statuses))
    if flt.categories:
        query = query.where(Report.category_id.in_(_ids(session, Category, flt.categories)))
    if flt.assignee == "me":
        query = query.where(
            Report.assignee_id == principal.id if principal.kind == "user" else False
        )
    elif flt.assignee == "none":
        query = query.where(Report.assignee_id.is_(None))
    elif flt.assignee is not None:
        query = query.where(Report.assignee_id == int(flt.assignee))
    if flt.published is not None:
        # `= false` rather than `IS false`: the planner matches it to the index's column.
        if flt.published:
            query = query.where(Report.published == flt.published)
        else:
            # Moderation: also published reports with a photo whose privacy pass failed
            # (a partial index holds just those photos).
            failed = select(Photo.report_id).where(Photo.privacy_state == photo_privacy.FAILED)
            query = query.where(or_(Report.published == flt.published, Report.id.in_(failed)))
    if flt.flagged is not None:
        flagged = select(AbuseReport.report_id).where(AbuseReport.resolved_at.is_(None))
        query = query.where(Report.id.in_(flagged) if flt.flagged else Report.id.not_in(flagged))
    if flt.zone:
        query = query.where(Report.zone_keys.contains(f",{flt.zone},", autoescape=True))
    if flt.sla:
        query = query.where(_sla_clause(flt.sla, now))
    return query


def page_query(session: Session, principal: Principal, flt: QueueFilter, now: datetime):
    """The query of one page, soonest deadline first, with one ticket more than the page."""
    query = filtered(session, principal, flt, now)
    if flt.cursor is not None:
        query = query.where(paging.after((Report.deadline, Report.id), flt.cursor))
    return (
        query.options(selectinload(Report.open_abuse_flags))
        .order_by(Report.deadline, Report.id)
        .limit(flt.limit + 1)
        .offset(flt.offset or None)
    )


def queue(
    session: Session, principal: Principal, flt: QueueFilter, now: datetime, *, count: bool = True
) -> QueuePage:
    """One page of the principal's queue and, with `count`, how many tickets match (capped)."""
    rows = list(session.scalars(page_query(session, principal, flt, now)).unique())
    items, cursor = paging.split_page(rows, flt.limit, lambda r: (r.deadline, r.id), tag=CURSOR_TAG)
    if not count:
        return QueuePage(items, cursor)
    ids = filtered(session, principal, flt, now).with_only_columns(Report.id)
    total, capped = paging.capped_count(session, ids, COUNT_CAP)
    return QueuePage(items, cursor, total, capped)


def _sla_clause(state: str, now: datetime):
    open_ = Report.status.in_(states.OPEN)
    if state == "breached":
        return and_(open_, Report.deadline <= now)
    if state == "at_risk":
        return and_(open_, Report.deadline > now, Report.at_risk_at <= now)
    if state == "ok":
        return and_(
            open_, Report.deadline > now, or_(Report.at_risk_at.is_(None), Report.at_risk_at > now)
        )
    done = Report.resolved_at.is_not(None)
    if state == "met":
        return and_(done, Report.resolved_at <= Report.deadline)
    return and_(done, Report.resolved_at > Report.deadline)
