"""Escalations: the record that makes acting on a deadline happen once."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
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


# Hours-to-resolve bands of the board's figures (upper bounds, inclusive), and the open band.
HOUR_BANDS: tuple[int, ...] = (1, 2, 4, 8, 12, 24, 36, 48, 72, 96, 168, 336, 720)
BAND_COLUMNS: tuple[str, ...] = (*(f"h{b}" for b in HOUR_BANDS), "hmore")
COUNT_COLUMNS: tuple[str, ...] = ("created", "resolved", "met", "resolved_on", "met_on")


class SlaFigures(db.Model):
    """Counts of one day or month (Europe/Berlin) × department × category, kept current.

    Rows keyed by the day a report was *created* count it (`created`) and, once it is done
    within or past its promise, its outcome (`resolved`, `met`, the hour band). Rows keyed by
    the day it was *resolved* count `resolved_on` and `met_on` (the trend). Every change of a
    report adds the difference of its contribution in the same transaction (figures.py), so
    the board never re-reads history; `figures.recount` rebuilds them from the raw rows.
    """

    __tablename__ = "sla_figures"

    period: Mapped[str] = mapped_column(String(1), primary_key=True)  # "d" day, "m" month
    start: Mapped[date] = mapped_column(Date, primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), primary_key=True)
    created: Mapped[int] = mapped_column(Integer, default=0)
    resolved: Mapped[int] = mapped_column(Integer, default=0)
    met: Mapped[int] = mapped_column(Integer, default=0)
    resolved_on: Mapped[int] = mapped_column(Integer, default=0)
    met_on: Mapped[int] = mapped_column(Integer, default=0)
    h1: Mapped[int] = mapped_column(Integer, default=0)
    h2: Mapped[int] = mapped_column(Integer, default=0)
    h4: Mapped[int] = mapped_column(Integer, default=0)
    h8: Mapped[int] = mapped_column(Integer, default=0)
    h12: Mapped[int] = mapped_column(Integer, default=0)
    h24: Mapped[int] = mapped_column(Integer, default=0)
    h36: Mapped[int] = mapped_column(Integer, default=0)
    h48: Mapped[int] = mapped_column(Integer, default=0)
    h72: Mapped[int] = mapped_column(Integer, default=0)
    h96: Mapped[int] = mapped_column(Integer, default=0)
    h168: Mapped[int] = mapped_column(Integer, default=0)
    h336: Mapped[int] = mapped_column(Integer, default=0)
    h720: Mapped[int] = mapped_column(Integer, default=0)
    hmore: Mapped[int] = mapped_column(Integer, default=0)
