"""Citizens flag public reports as abusive; enough flags take the content offline until staff
look; staff dismiss the flags (publishing again) or decide through moderation."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..core.events import Change, TicketEvent, record
from ..core.models import Report
from ..errors import ApiError
from .models import AbuseReport
from .service import ABUSE


def flagger_id(secret_key: str, device_id: str | None, address: str | None) -> str:
    """Who flags, as HMAC-SHA256(secret key, device id or else client address): never the
    address itself, and not reversible without the key."""
    subject = f"device:{device_id}" if device_id else f"ip:{address or ''}"
    return hmac.new(secret_key.encode(), subject.encode(), hashlib.sha256).hexdigest()


def flaggable(session: Session, public_id: str) -> Report:
    """A published report, its row locked against concurrent flags; 404 for anything else
    (unknown and unpublished look the same)."""
    report = session.scalar(
        select(Report)
        .where(Report.public_id == public_id, Report.published.is_(True))
        .with_for_update(of=Report)
    )
    if report is None:
        raise ApiError(404, "report_not_found")
    return report


def open_flag_count(session: Session, report_id: int) -> int:
    return session.scalar(
        select(func.count())
        .select_from(AbuseReport)
        .where(AbuseReport.report_id == report_id, AbuseReport.resolved_at.is_(None))
    )


def flag(
    session: Session,
    report: Report,
    *,
    reason: str,
    comment: str | None,
    flagger: str,
    now: datetime,
    threshold: int,
) -> bool:
    """Record a flag (once per flagger and report); returns whether it was new.

    When the report's distinct open flags reach `threshold` (< 1: never), its citizen text and
    photos leave public view (published = False, held for "abuse") until staff decide.
    """
    values = {
        "report_id": report.id,
        "reason": reason,
        "comment": (comment or "").strip() or None,
        "created_at": now,
        "flagger": flagger,
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    new_id = session.execute(
        insert(AbuseReport)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["report_id", "flagger"])
        .returning(AbuseReport.id)
    ).scalar()
    if new_id is None:
        return False
    flags = open_flag_count(session, report.id)
    if threshold >= 1 and flags >= threshold and report.published:
        _hide_for_abuse(report, flags, now)
    session.expire(report, ["open_abuse_flags"])
    session.flush()
    return True


def _hide_for_abuse(report: Report, flags: int, now: datetime) -> None:
    report.published = False
    report.held_reason = ABUSE
    report.updated_at = now
    report.events.append(
        TicketEvent(
            created_at=now,
            actor="system",
            kind="hidden",
            from_status=report.status,
            to_status=report.status,
            data={"reason": ABUSE, "flags": flags},
        )
    )


def resolve_open_flags(session: Session, report: Report, *, actor: str, now: datetime) -> int:
    """Mark every open flag of the report as dealt with; returns how many there were."""
    result = session.execute(
        update(AbuseReport)
        .where(AbuseReport.report_id == report.id, AbuseReport.resolved_at.is_(None))
        .values(resolved_at=now, resolved_by=actor)
        .execution_options(synchronize_session=False)
    )
    session.expire(report, ["open_abuse_flags"])
    return result.rowcount or 0


def dismiss(session: Session, report: Report, change: Change) -> None:
    """Staff find the flags unfounded: resolve them, and publish again what they had hidden.

    Nothing to dismiss and nothing hidden for abuse: a no-op (no event, same version).
    """
    hidden = report.held_reason == ABUSE
    flags = resolve_open_flags(session, report, actor=change.actor, now=change.now)
    if not flags and not hidden:
        return
    record(report, change, "abuse_dismissed", data={"flags": flags, "republished": hidden})
    if hidden:
        report.held_reason = None
        report.published = True
    session.flush()
