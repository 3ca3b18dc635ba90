"""Working a ticket: state changes, assignment, forwarding, notes, citizen feedback.

Every change writes a TicketEvent in the same transaction as the change, and the ticket's
version guards against lost updates. Services flush; the request commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..accounts.service import Principal
from ..core import states, workflow
from ..core.catalog import Department
from ..core.events import Change, TicketEvent, record
from ..core.models import Follower, Report
from ..errors import ApiError, field_error
from ..sla import service as sla
from .notifications import notify_followers


def find(session: Session, public_id: str) -> Report:
    report = session.scalar(select(Report).where(Report.public_id == public_id))
    if report is None:
        raise ApiError(404, "report_not_found")
    return report


def ticket_for(session: Session, public_id: str, principal: Principal) -> Report:
    """A ticket the principal may work on: 404 if there is none, 403 if it is not theirs."""
    report = find(session, public_id)
    if not principal.covers(report.department_id):
        raise ApiError(403, "ticket_forbidden")
    return report


def etag(report: Report) -> str:
    return f'"{report.version}"'


def check_version(report: Report, if_match: str | None) -> None:
    """Refuse a change made against an older version (lost update) or without a version."""
    if if_match is None or not if_match.strip():
        raise ApiError(428, "version_required")
    given = if_match.strip().removeprefix("W/").strip('"')
    if given != str(report.version):
        raise ApiError(412, "version_stale", extra={"current": {"version": report.version}})


def transition(
    session: Session,
    report: Report,
    change: Change,
    *,
    to: str,
    public_note: str | None = None,
    internal_note: str | None = None,
    duplicate_of: str | None = None,
) -> TicketEvent:
    """Move a ticket to another state, with the event and the reporter's mail."""
    if not workflow.can_move(report.status, to):
        allowed = workflow.allowed_next(report.status)
        raise ApiError(
            409,
            "invalid_transition",
            extra={"allowed_next": list(allowed)},
            from_=report.status,
            to=to,
            allowed=", ".join(allowed) or "—",
        )
    if to == states.REJECTED and not (public_note or "").strip():
        raise field_error("public_note", "reason_required")
    data = None
    if to == states.DUPLICATE:
        original = _duplicate_target(session, report, duplicate_of)
        report.duplicate_of = original
        _follow(original, report, change.now)
        data = {"duplicate_of": original.public_id}
    event = record(
        report,
        change,
        "status",
        to_status=to,
        public_note=public_note,
        internal_note=internal_note,
        data=data,
    )
    leaving_wait = report.status == states.WAITING_EXTERNAL and to != states.WAITING_EXTERNAL
    report.status = to
    if to == states.WAITING_EXTERNAL and change.sla.pause_when_waiting:
        sla.pause(report, change.now)
    elif leaving_wait:
        _deadline_moved(report, change, sla.resume(report, change.now, change.sla), "resumed")
    if to == states.RESOLVED:
        report.resolved_at = change.now
    elif to == states.CLOSED:
        report.closed_at = change.now
    elif to in states.OPEN:
        report.resolved_at = None
    session.flush()
    if to in workflow.NOTIFY_ON:
        notify_followers(session, report, to, event, change.now, change.links)
    return event


def _duplicate_target(session: Session, report: Report, public_id: str | None) -> Report:
    original = session.scalar(select(Report).where(Report.public_id == (public_id or "")))
    if original is None or original.id == report.id or original.status == states.DUPLICATE:
        raise field_error("duplicate_of", "duplicate_target", value=public_id or "—")
    return original


def _follow(original: Report, duplicate: Report, now: datetime) -> None:
    """The duplicate's reporter and followers hear about the original from now on."""
    known = {f.email for f in original.followers} | {original.reporter_email}
    people = [(duplicate.reporter_email, duplicate.lang)] if duplicate.notify_reporter else []
    people += [(f.email, f.lang) for f in duplicate.followers]
    for email, lang in people:
        if email and email not in known:
            original.followers.append(
                Follower(email=email, lang=lang, source="duplicate", created_at=now)
            )
            known.add(email)


def _deadline_moved(
    report: Report, change: Change, moved: bool, why: str, before: datetime | None = None
) -> None:
    if moved:
        record(
            report,
            change,
            "deadline",
            data={
                "reason": why,
                "from": (before.isoformat() if before else None),
                "to": report.deadline.isoformat(),
            },
        )


def assign(session: Session, report: Report, change: Change, *, assignee_id: int | None) -> None:
    """Give the ticket to a crew member of its department (crews may only take it themselves)."""
    principal = change.principal
    assert principal is not None
    taking_it = principal.kind == "user" and assignee_id == principal.id
    if principal.role == "crew" and assignee_id is not None and not taking_it:
        raise ApiError(403, "forbidden")
    assignee = None
    if assignee_id is not None:
        assignee = session.get(User, assignee_id)
        eligible = (
            assignee is not None
            and assignee.active
            and assignee.role in {"crew", "supervisor"}
            and (assignee.citywide or report.department_id in {d.id for d in assignee.departments})
        )
        if not eligible:
            raise field_error("assignee_id", "assignee_invalid")
    record(
        report,
        change,
        "assigned",
        data={
            "from": report.assignee_id,
            "to": assignee_id,
            "name": assignee.name if assignee else None,
        },
    )
    report.assignee = assignee
    session.flush()


def forward(
    session: Session, report: Report, change: Change, *, department: str, reason: str
) -> None:
    """Hand the ticket to another department; the routing explanation says who and why."""
    target = session.scalar(select(Department).where(Department.code == department))
    if target is None:
        raise field_error("department", "unknown_department", value=department)
    if target.id == report.department_id:
        raise field_error("department", "same_department")
    before = report.department
    name = change.principal.name if change.principal else change.actor
    record(
        report,
        change,
        "forwarded",
        internal_note=reason,
        data={"from_department": before.code, "to_department": target.code, "by": name},
    )
    report.routing = {
        "department": target.code,
        "forwarded": True,
        "by": change.actor,
        "by_name": name,
        "reason": reason,
        "from_department": before.code,
        "previous": report.routing,
        "text": {
            "de": f"{target.name_de}: weitergeleitet von {before.name_de} durch {name} – {reason}",
            "en": f"{target.name_en}: forwarded from {before.name_en} by {name} – {reason}",
        },
    }
    report.department = target
    report.assignee = None
    session.flush()


def add_note(
    session: Session,
    report: Report,
    change: Change,
    *,
    public_note: str | None,
    internal_note: str | None,
) -> TicketEvent:
    if not (public_note or "").strip() and not (internal_note or "").strip():
        raise field_error("public_note", "blank")
    event = record(report, change, "note", public_note=public_note, internal_note=internal_note)
    session.flush()
    return event


def reopen_by_citizen(
    session: Session, report: Report, change: Change, *, note: str, days: int
) -> TicketEvent:
    """'It is not fixed': a resolved ticket goes back to the crew with the citizen's note.

    Only within `days` of its resolution. The note is internal (the citizen's words are not
    moderated); the reporter's tracking view shows it back to them (`EventForReporter`).
    """
    recent = report.resolved_at is not None and change.now - report.resolved_at <= timedelta(
        days=days
    )
    if report.status != states.RESOLVED or not recent:
        raise ApiError(409, "reopen_not_possible", days=days)
    # The citizen's words are not moderated: staff and the reporter read them, not the public.
    event = record(
        report,
        change,
        "reopened",
        to_status=workflow.REOPEN_TO,
        internal_note=note,
        data={"by": "citizen"},
    )
    report.status = workflow.REOPEN_TO
    report.resolved_at = None
    # The crew gets the full promised time again from the moment it came back.
    before = report.deadline
    moved = sla.reschedule(report, change.sla, start=change.now)
    _deadline_moved(report, change, moved, "reopened", before)
    session.flush()
    return event


def confirm_by_citizen(session: Session, report: Report, change: Change) -> TicketEvent:
    """'It is fixed': the reporter confirms, the ticket closes."""
    if report.status != states.RESOLVED:
        raise ApiError(409, "confirm_not_possible")
    event = record(report, change, "confirmed", to_status=states.CLOSED, data={"by": "citizen"})
    report.status = states.CLOSED
    report.closed_at = change.now
    session.flush()
    return event


def close_quiet(session: Session, change: Change, *, quiet_days: int) -> list[str]:
    """Close resolved tickets nobody reopened within the quiet period; returns their ids."""
    cutoff = change.now - timedelta(days=quiet_days)
    due = session.scalars(
        select(Report).where(Report.status == states.RESOLVED, Report.resolved_at <= cutoff)
    ).all()
    for report in due:
        record(report, change, "status", to_status=states.CLOSED, data={"reason": "quiet_period"})
        report.status = states.CLOSED
        report.closed_at = change.now
    session.flush()
    return [r.public_id for r in due]


def send_followups(session: Session, change: Change, *, after_days: int) -> list[str]:
    """Ask reporters of tickets resolved `after_days` ago whether it is really fixed."""
    cutoff = change.now - timedelta(days=after_days)
    due = session.scalars(
        select(Report).where(Report.status == states.RESOLVED, Report.resolved_at <= cutoff)
    ).all()
    sent = []
    for report in due:
        resolved = next(
            (e for e in reversed(report.events) if e.to_status == states.RESOLVED), None
        )
        if resolved is not None and notify_followers(
            session, report, "followup", resolved, change.now, change.links
        ):
            sent.append(report.public_id)
    return sent
