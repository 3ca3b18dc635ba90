"""The block list of sender addresses and domains, citizens' abuse flags, confirmed addresses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..types import UTCDateTime


class BlockedSender(db.Model):
    """An e-mail address (`name@example.org`) or a domain (`@example.org`, with subdomains)
    whose reports are accepted but held back from the public until staff look at them."""

    __tablename__ = "blocked_senders"

    id: Mapped[int] = mapped_column(primary_key=True)
    pattern: Mapped[str] = mapped_column(String(254), unique=True)
    reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(128))


# Why a citizen flags a public report.
ABUSE_REASONS = ("offensive", "personal_data", "spam", "wrong_place", "other")


class AbuseReport(db.Model):
    """A citizen's "report abuse" flag on a public report.

    The flagger is HMAC(secret key, device id or client address): one flag per flagger and
    report, without keeping anybody's address.
    """

    __tablename__ = "abuse_reports"
    __table_args__ = (
        UniqueConstraint("report_id", "flagger", name="uq_abuse_reports_report_flagger"),
        # The flagged list (and each ticket's open flags) reads the open flags only, not
        # every flag staff ever dealt with.
        Index(
            "ix_abuse_reports_open",
            "report_id",
            postgresql_where=text("resolved_at IS NULL"),
            sqlite_where=text("resolved_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    comment: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    flagger: Mapped[str] = mapped_column(String(64))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by: Mapped[str | None] = mapped_column(String(128))


class ConfirmedEmail(db.Model):
    """An e-mail address whose owner followed a confirmation link.

    Only HMAC-SHA256(secret key, the lower-cased address) is kept, never the address: the
    service can recognise it again but cannot list who confirmed.
    """

    __tablename__ = "confirmed_emails"

    email_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime())
