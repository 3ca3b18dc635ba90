"""The staff queue: the tickets a principal may see, filtered, soonest deadline first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload

from ..abuse.models import AbuseReport
from ..accounts.service import Principal
from ..catalog.models import Category, Department
from ..reports.models import Report
from . import states

SLA_STATES = ("ok", "at_risk", "breached", "met", "missed", "paused")


def sla_state(report: Report, now: datetime) -> str | None:
    """The SLA state derived from stored timestamps, so it is right without any worker."""
    from ..sla.service import state

    return state(report, now)


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
    limit: int = 50
    offset: int = 0


def queue(
    session: Session, principal: Principal, flt: QueueFilter, now: datetime
) -> tuple[list[Report], int]:
    """One page of the principal's queue and the total count."""
    from sqlalchemy import func

    query = select(Report)
    if not (principal.is_admin or principal.citywide):
        query = query.where(Report.department_id.in_(principal.department_ids or {-1}))
    if flt.departments:
        query = query.join(Department, Report.department_id == Department.id).where(
            Department.code.in_(flt.departments)
        )
    if flt.statuses:
        query = query.where(Report.status.in_(flt.statuses))
    if flt.categories:
        query = query.join(Category, Report.category_id == Category.id).where(
            Category.code.in_(flt.categories)
        )
    if flt.assignee == "me":
        query = query.where(
            Report.assignee_id == principal.id if principal.kind == "user" else False
        )
    elif flt.assignee == "none":
        query = query.where(Report.assignee_id.is_(None))
    elif flt.assignee is not None:
        query = query.where(Report.assignee_id == int(flt.assignee))
    if flt.published is not None:
        query = query.where(Report.published.is_(flt.published))
    if flt.flagged is not None:
        flagged = select(AbuseReport.report_id).where(AbuseReport.resolved_at.is_(None))
        query = query.where(Report.id.in_(flagged) if flt.flagged else Report.id.not_in(flagged))
    if flt.zone:
        query = query.where(Report.zone_keys.contains(f",{flt.zone},", autoescape=True))
    if flt.sla:
        query = query.where(_sla_clause(flt.sla, now))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(
        query.options(selectinload(Report.open_abuse_flags))
        .order_by(Report.deadline, Report.id)
        .limit(flt.limit)
        .offset(flt.offset)
    ).unique()
    return list(rows), total


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
