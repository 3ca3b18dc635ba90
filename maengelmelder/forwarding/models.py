"""External bodies a ticket can be handed to (destinations), and each hand-over's delivery."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

# The destinations are shared domain data (routing rules name them); the feature keeps its names.
from ..core.destinations import CHANNELS, EMAIL, OPEN311, WEBHOOK, Destination  # noqa: F401
from ..extensions import db
from ..types import JSONType, UTCDateTime

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
STATUSES = (PENDING, DELIVERED, FAILED)


class Delivery(db.Model):
    """One hand-over of a report to one destination, written with the ticket's event; a job
    delivers it. `key` goes out as the idempotency key."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("report_id", "destination_id", "event_id", name="uq_deliveries_hand_over"),
        # The sender asks for pending rows whose next attempt is due.
        Index("ix_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        # The list of failed deliveries, newest first.
        Index("ix_deliveries_status_failed_at", "status", "failed_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    destination_id: Mapped[int] = mapped_column(
        ForeignKey("destinations.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int] = mapped_column(ForeignKey("ticket_events.id", ondelete="CASCADE"))
    # What goes out, fixed at the hand-over: a retry sends the same.
    payload: Mapped[dict] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # While a sender holds the row, the end of its claim.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    # Open311: their service_request_id, or the token to resolve it by later.
    remote_id: Mapped[str | None] = mapped_column(String(255))
    remote_token: Mapped[str | None] = mapped_column(String(255))
    # Open311: their status (`open`/`closed`) as last polled, and when.
    remote_status: Mapped[str | None] = mapped_column(String(16))
    remote_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # E-mail: the SHA-256 of the secret link's token (`/extern/<token>`), to find it by.
    link_hash: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)

    destination: Mapped[Destination] = relationship(lazy="joined", innerjoin=True)
