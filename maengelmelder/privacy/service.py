"""Personal data only as long as needed: retention after closing, erasure on request."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from ..abuse.confirmation import forget as forget_confirmations
from ..notify.models import OutboxMessage
from ..reports.models import Follower, Photo, Report
from ..storage import MediaStorage
from ..tickets import states
from ..tickets.models import TicketEvent

DONE = (states.CLOSED, states.REJECTED, states.DUPLICATE)


@dataclass
class Removed:
    """What a retention run or an erasure removed (counts only: no personal data)."""

    reports: list[str] = field(default_factory=list)
    emails: int = 0
    followers: int = 0
    photos: int = 0
    mails: int = 0
    confirmations: int = 0  # confirmed addresses (abuse defences) forgotten

    def summary(self) -> dict:
        return {
            "reports": len(self.reports),
            "emails": self.emails,
            "followers": self.followers,
            "photos": self.photos,
            "mails": self.mails,
        }

    def line(self) -> str:
        """The counts as the commands print them, confirmations included."""
        counts = {**self.summary(), "confirmations": self.confirmations}
        return ", ".join(f"{v} {k}" for k, v in counts.items())


def _forget_contact(report: Report, removed: Removed, now: datetime, why: str) -> None:
    if report.reporter_email:
        removed.emails += 1
    report.reporter_email = None
    report.notify_reporter = False
    removed.followers += len(report.followers)
    report.followers.clear()
    report.events.append(
        TicketEvent(
            created_at=now,
            actor="system",
            kind="privacy",
            from_status=report.status,
            to_status=report.status,
            data={"reason": why},
        )
    )


def _drop_photos(session: Session, photos: list[Photo], storage: MediaStorage, removed: Removed):
    for photo in photos:
        storage.delete_on_commit(session, f"{photo.storage_key}-web.jpg")
        storage.delete_on_commit(session, f"{photo.storage_key}-thumb.jpg")
        session.delete(photo)
        removed.photos += 1


def retention(
    session: Session,
    *,
    now: datetime,
    days: int,
    storage: MediaStorage,
    secret_key: str | None = None,
) -> Removed:
    """For tickets done more than `days` ago: forget contact data, drop unpublished photos.

    With the secret key, a forgotten address's e-mail confirmation goes too, once no report
    keeps the address any more.
    """
    cutoff = now - timedelta(days=days)
    done_at = Report.closed_at.is_not(None) & (Report.closed_at <= cutoff)
    stale = or_(done_at, (Report.closed_at.is_(None)) & (Report.updated_at <= cutoff))
    reports = session.scalars(select(Report).where(Report.status.in_(DONE), stale)).all()
    removed = Removed()
    forgotten: set[str] = set()
    for report in reports:
        has_data = report.reporter_email or report.followers
        unpublished = [p for p in report.photos if p.kind == "report" and not p.approved]
        if not has_data and not unpublished:
            continue
        removed.reports.append(report.public_id)
        if report.reporter_email:
            forgotten.add(report.reporter_email.strip().lower())
        if has_data:
            _forget_contact(report, removed, now, "retention")
        _drop_photos(session, unpublished, storage, removed)
    # Sent or failed mails hold addresses and tracking links; keep them no longer either.
    result = session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.status != "pending", OutboxMessage.created_at <= cutoff
        )
    )
    removed.mails = result.rowcount or 0
    session.flush()
    if secret_key and forgotten:
        kept = set(
            session.scalars(
                select(func.lower(Report.reporter_email)).where(
                    func.lower(Report.reporter_email).in_(forgotten)
                )
            )
        )
        removed.confirmations = forget_confirmations(session, secret_key, forgotten - kept)
    return removed


def erase(session: Session, email: str, *, now: datetime, secret_key: str | None = None) -> Removed:
    """A data subject's request: remove the address everywhere the service keeps it (with the
    secret key also its e-mail confirmation, kept only as a keyed hash)."""
    email = email.strip().lower()
    removed = Removed()
    reports = session.scalars(select(Report).where(func.lower(Report.reporter_email) == email))
    for report in reports:
        removed.reports.append(report.public_id)
        removed.emails += 1
        report.reporter_email = None
        report.notify_reporter = False
        report.events.append(
            TicketEvent(
                created_at=now,
                actor="system",
                kind="privacy",
                from_status=report.status,
                to_status=report.status,
                data={"reason": "erasure"},
            )
        )
    removed.followers = (
        session.execute(delete(Follower).where(func.lower(Follower.email) == email)).rowcount or 0
    )
    removed.mails = (
        session.execute(
            delete(OutboxMessage).where(func.lower(OutboxMessage.recipient) == email)
        ).rowcount
        or 0
    )
    if secret_key:
        removed.confirmations = forget_confirmations(session, secret_key, {email})
    session.flush()
    return removed
