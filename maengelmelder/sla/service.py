"""Deadlines of stored tickets: computing, pausing, and acting on them exactly once."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..core import states
from ..core.events import TicketEvent
from ..core.models import Report
from ..core.settings import SlaSettings
from .engine import Pause, Policy, calendar_for, resolve_policy, schedule, state_from_timestamps
from .models import Escalation


def intake_policy(
    settings: SlaSettings,
    *,
    category_hours: float,
    rule_hours: float | None = None,
    priority: int | None = None,
    department=None,
) -> Policy:
    """The promise of a new ticket: routing rule > priority > department > category."""
    default = Policy(
        hours=settings.default_hours,
        calendar=settings.calendar,
        pause_when_waiting=settings.pause_when_waiting,
        at_risk_share=settings.at_risk_share,
    )
    department_policy = None
    if department is not None and (department.sla_hours or department.sla_calendar):
        department_policy = Policy(
            hours=float(department.sla_hours or category_hours),
            calendar=department.sla_calendar or default.calendar,
            pause_when_waiting=default.pause_when_waiting,
            at_risk_share=default.at_risk_share,
        )
    return resolve_policy(
        category_hours,
        rule_hours=rule_hours,
        priority_hours=settings.priority_hours.get(priority) if priority is not None else None,
        department_policy=department_policy,
        default=default,
    )


def _pauses(report: Report) -> list[Pause]:
    return [
        Pause(datetime.fromisoformat(a), datetime.fromisoformat(b) if b else None)
        for a, b in (report.pauses or [])
    ]


def reschedule(report: Report, settings: SlaSettings, *, start: datetime | None = None) -> bool:
    """Compute deadline and at-risk moment from the ticket's promise; True if they moved.

    `start` restarts the promise (a reopened ticket gets the full time again). While the
    clock is paused the stored deadline stays as it was and the state reads "paused".
    """
    pol = Policy(
        hours=report.sla_hours,
        calendar=report.sla_calendar,
        pause_when_waiting=settings.pause_when_waiting,
        at_risk_share=settings.at_risk_share,
    )
    cal = calendar_for(pol, settings.state)
    pauses = [] if start is not None else _pauses(report)
    planned = schedule(start or report.created_at, pol, cal, pauses)
    if planned.deadline is None:
        return False
    moved = planned.deadline != report.deadline or planned.at_risk_at != report.at_risk_at
    report.deadline, report.at_risk_at = planned.deadline, planned.at_risk_at
    if moved:
        report.at_risk_warned = report.breach_escalated = False
    return moved


def pause(report: Report, now: datetime) -> None:
    """Stop the clock: the ticket waits for a third party."""
    if report.paused_since is None:
        report.paused_since = now
        report.pauses = [*(report.pauses or []), [now.isoformat(), None]]


def resume(report: Report, now: datetime, settings: SlaSettings) -> bool:
    """Restart the clock; the deadline moves by the paused (counted) time."""
    if report.paused_since is None:
        return False
    spans = [list(p) for p in report.pauses or []]
    if spans and spans[-1][1] is None:
        spans[-1][1] = now.isoformat()
    report.pauses = spans
    report.paused_since = None
    return reschedule(report, settings)


def state(report: Report, now: datetime) -> str | None:
    """The SLA state from stored timestamps (right even while no worker runs)."""
    if report.status in (states.REJECTED, states.DUPLICATE):
        return None
    resolved = report.resolved_at or (report.closed_at if report.status == states.CLOSED else None)
    deadline, at_risk_at = report.deadline, report.at_risk_at
    paused = report.paused_since is not None and resolved is None
    if paused and report.paused_since <= deadline:
        # The clock stopped with time left: the deadline is unknown until it runs again.
        deadline = at_risk_at = None
    return state_from_timestamps(
        now, deadline=deadline, at_risk_at=at_risk_at, resolved_at=resolved, paused=paused
    )


def breach_select(now: datetime):
    """Open, running tickets past their deadline and not yet escalated (uses a partial index)."""
    # `~flag` (NOT flag) matches the partial index predicate; `IS false` would not.
    return select(Report.id).where(
        Report.status.in_(states.OPEN),
        ~Report.breach_escalated,
        Report.deadline < now,
        Report.paused_since.is_(None),
    )


def at_risk_select(now: datetime):
    """Open, running tickets past their at-risk moment and not yet warned."""
    return select(Report.id).where(
        Report.status.in_(states.OPEN),
        ~Report.at_risk_warned,
        Report.at_risk_at <= now,
        Report.paused_since.is_(None),
    )


def due_ids(session: Session, now: datetime, limit: int = 1000) -> list[int]:
    """Open, running tickets whose at-risk moment or deadline passed and were not acted on."""
    breach = set(session.scalars(breach_select(now).limit(limit)))
    return sorted(breach | set(session.scalars(at_risk_select(now).limit(limit))))


def supervisors_of(session: Session, report: Report) -> list[tuple[str, str]]:
    """(e-mail, language) of the supervisors answering for the ticket's department."""
    users = session.scalars(
        select(User).where(User.role == "supervisor", User.active.is_(True))
    ).all()
    people = [
        (u.email, u.lang)
        for u in users
        if u.citywide or report.department_id in {d.id for d in u.departments}
    ]
    if report.department.email:
        people.append((report.department.email, "de"))
    return people


def act(session: Session, report_id: int, now: datetime) -> list[str]:
    """Warn or escalate one ticket if due; safe to call any number of times.

    The ticket row is locked while deciding; the unique escalation row is the backstop
    when two workers race on a database without row locks.
    """
    report = session.scalar(select(Report).where(Report.id == report_id).with_for_update(of=Report))
    if report is None or report.status not in states.OPEN or report.paused_since is not None:
        return []
    done = []
    if not report.at_risk_warned and report.at_risk_at is not None and report.at_risk_at <= now:
        _escalate(session, report, "at_risk", now)
        report.at_risk_warned = True
        done.append("at_risk")
    if not report.breach_escalated and report.deadline < now:
        _escalate(session, report, "breach", now)
        report.breach_escalated = True
        done.append("breach")
    session.flush()
    return done


def _escalate(session: Session, report: Report, kind: str, now: datetime) -> None:
    session.add(
        Escalation(report_id=report.id, kind=kind, deadline=report.deadline, created_at=now)
    )
    report.events.append(
        TicketEvent(
            created_at=now,
            actor="system",
            kind="sla_breached" if kind == "breach" else "sla_at_risk",
            from_status=report.status,
            to_status=report.status,
            data={"deadline": report.deadline.isoformat()},
        )
    )
    report.updated_at = now


def overdue_hours(report: Report, now: datetime) -> float:
    return max(0.0, (now - report.deadline) / timedelta(hours=1))
