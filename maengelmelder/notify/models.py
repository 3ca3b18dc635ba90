"""The outbox: every e-mail the service sends, written in the transaction that caused it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..types import UTCDateTime

PENDING = "pending"
SENT = "sent"
FAILED = "failed"


class OutboxMessage(db.Model):
    """One rendered e-mail waiting to be sent, sent, or given up on."""

    __tablename__ = "outbox"
    __table_args__ = (
        # The drain query asks for pending rows whose next attempt is due, oldest first.
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        # The admin's list of undeliverable mails, newest first.
        Index("ix_outbox_status_failed_at", "status", "failed_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # SET NULL: a mail already queued still goes out if its report is deleted.
    report_id: Mapped[int | None] = mapped_column(
        ForeignKey("reports.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    # The same logical mail (report, kind, event, recipient) is queued at most once.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    # Personal data, like Report.reporter_email.
    recipient: Mapped[str] = mapped_column(String(254))
    # The recipient as a lookup key (maengelmelder/emails.py): erasure finds it however typed.
    recipient_key: Mapped[str | None] = mapped_column(Text, index=True)
    lang: Mapped[str] = mapped_column(String(2), default="de")
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # While a sender holds a row (claimed, the SMTP exchange running outside any transaction)
    # this is the end of its claim: no other sender takes the row before.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The SMTP reply or the error, without any e-mail address in it.
    last_error: Mapped[str | None] = mapped_column(Text)

    @property
    def message_id(self) -> str:
        """A Message-ID fixed per row, so a receiver can recognise a mail sent twice."""
        return f"<outbox-{self.id}.{int(self.created_at.timestamp())}@maengelmelder>"
