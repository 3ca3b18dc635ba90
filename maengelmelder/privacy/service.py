"""Personal data only as long as needed: retention after closing, erasure on request."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from ..abuse.confirmation import forget as forget_confirmations
from ..core import states
from ..core.events import TicketEvent
from ..core.models import Follower, Photo, Report
from ..core.photo_privacy import cleared
from ..emails import email_key
from ..notify.models import OutboxMessage
from ..storage import MediaStorage

DONE = (states.CLOSED, states.REJECTED, states.DUPLICATE)


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


@dataclass
class Removed:
    """What a retention run or an erasure removed (counts only: no personal data)."""

    reports: list[str] = field(default_factory=list)
    emails: int = 0
    followers: int = 0
    photos: int = 0
    mails: int = 0
    confirmations: int = 0  # confirmed addresses (abuse defences) forgotten
    erasure: bool = False  # one address everywhere, rather than retention's old tickets

    def summary(self) -> dict:
        return {
            "reports": len(self.reports),
            "emails": self.emails,
            "followers": self.followers,
            "photos": self.photos,
            "mails": self.mails,
        }

    def lines(self) -> dict[str, str]:
        """What was done, in German and in English, as the commands print it."""
        n, f, m, c = len(self.reports), self.followers, self.mails, self.confirmations
        if self.erasure:
            de = [
                _n(n, "Meldung", "Meldungen") + ": Adresse entfernt",
                _n(f, "Eintrag", "Einträge") + " als Unterstützende: entfernt",
                _n(m, "Mail", "Mails") + " an die Adresse: gelöscht",
                _n(c, "Bestätigung", "Bestätigungen") + " der Adresse: vergessen",
            ]
            en = [
                _n(n, "report", "reports") + ": address removed",
                _n(f, "follower entry", "follower entries") + ": removed",
                _n(m, "mail", "mails") + " to the address: deleted",
                _n(c, "confirmation", "confirmations") + " of the address: forgotten",
            ]
        else:
            de = [
                _n(n, "erledigte Meldung", "erledigte Meldungen")
                + f": {_n(self.emails, 'Adresse', 'Adressen')} von Meldenden und "
                + f"{_n(f, 'Adresse', 'Adressen')} von Unterstützenden entfernt, "
                + _n(self.photos, "unveröffentlichtes Foto", "unveröffentlichte Fotos")
                + " gelöscht",
                _n(m, "alte Mail", "alte Mails") + ": gelöscht",
                _n(c, "Bestätigung", "Bestätigungen") + ": vergessen",
            ]
            en = [
                _n(n, "done report", "done reports")
                + f": {_n(self.emails, 'reporter address', 'reporter addresses')} and "
                + f"{_n(f, 'follower address', 'follower addresses')} removed, "
                + _n(self.photos, "unpublished photo", "unpublished photos")
                + " deleted",
                _n(m, "old mail", "old mails") + ": deleted",
                _n(c, "confirmation", "confirmations") + ": forgotten",
            ]
        return {"de": "; ".join(de), "en": "; ".join(en)}


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
        # The public files and, if the privacy pass kept one, the unblurred original.
        for key in filter(None, (photo.storage_key, photo.original_key)):
            storage.delete_on_commit(session, f"{key}-web.jpg")
            storage.delete_on_commit(session, f"{key}-thumb.jpg")
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
        # A citizen's photo (the reporter's or a supporter's) never published (not approved,
        # or held back by its privacy pass); not the crew's.
        unpublished = [
            p
            for p in report.photos
            if p.kind != "after" and not (p.approved and cleared(p.privacy_state))
        ]
        if not has_data and not unpublished:
            continue
        removed.reports.append(report.public_id)
        if report.reporter_email_key:
            forgotten.add(report.reporter_email_key)
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
                select(Report.reporter_email_key).where(Report.reporter_email_key.in_(forgotten))
            )
        )
        removed.confirmations = forget_confirmations(session, secret_key, forgotten - kept)
    return removed


def erase(session: Session, email: str, *, now: datetime, secret_key: str | None = None) -> Removed:
    """A data subject's request: remove the address everywhere the service keeps it (with the
    secret key also its e-mail confirmation, kept only as a keyed hash).

    Found by its key (maengelmelder/emails.py), so `änne@EXAMPLE.org` erases `ÄNNE@example.org`
    on SQLite as on PostgreSQL.
    """
    key = email_key(email)
    removed = Removed(erasure=True)
    if key is None:
        return removed
    reports = session.scalars(
        select(Report).where(Report.reporter_email_key == key).order_by(Report.id)
    )
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
        session.execute(delete(Follower).where(Follower.email_key == key)).rowcount or 0
    )
    # Queued, sent and failed mails alike: their error texts never held the address, but
    # their recipient and their body (a tracking link) are the person's.
    removed.mails = (
        session.execute(delete(OutboxMessage).where(OutboxMessage.recipient_key == key)).rowcount
        or 0
    )
    if secret_key:
        removed.confirmations = forget_confirmations(session, secret_key, {key})
    session.flush()
    return removed
