"""Escalations: the record that makes acting on a deadline happen once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..types import UTCDateTime


class Escalation(db.Model):
    """An at-risk warning or a breach escalation of one ticket for one deadline."""

    __tablename__ = "escalations"
    # However many jobs and sweeps see a breach, one row per ticket, kind and deadline.
    __table_args__ = (
        UniqueConstraint("report_id", "kind", "deadline", name="uq_escalations_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "at_risk" | "breach"
    deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
