"""The Report aggregate's tables: reports (the tickets citizens file), their photos,
followers and supporters, and the public-id counter. Events are in `events`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    or_,
    text,
)
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..emails import email_key
from ..extensions import db
from ..types import JSONType, UTCDateTime

if TYPE_CHECKING:  # the features' classes, for the annotations only
    from ..abuse.models import AbuseReport
    from ..accounts.models import User
    from .catalog import Category, Department
from .events import TicketEvent

# The report's relations to the catalogue, the staff and the abuse flags name their classes:
# the core imports no feature; SQLAlchemy finds the classes in its registry (`models.py`
# imports every model before the first query).

# Reports held for these reasons are left out of every public read (list, single report,
# nearby, Open311, open data); the reporter's tracking link still shows them. A report hidden
# for abuse stays listed, without its citizen text and photos, like any unpublished report.
HELD_FROM_PUBLIC = ("blocklist", "email_unconfirmed")

_SWEEP_WHERE = "status IN ('new', 'acknowledged', 'in_progress', 'waiting_external')"


class Report(db.Model):
    """A defect reported by a citizen; also the ticket the city works on.

    The columns the SLA figures follow keep their old value on change (active history), so
    sla/figures.py can subtract what a report counted before.
    """

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(20), unique=True)
    category_id: Mapped[int] = mapped_column(
        ForeignKey("categories.id"), index=True, active_history=True
    )
    description: Mapped[str] = mapped_column(Text, default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    location_source: Mapped[str] = mapped_column(String(16), default="client")
    address: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(32), index=True, active_history=True)
    department_id: Mapped[int] = mapped_column(
        ForeignKey("departments.id"), index=True, active_history=True
    )
    priority: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True, active_history=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deadline: Mapped[datetime] = mapped_column(UTCDateTime(), active_history=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), active_history=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), active_history=True)
    # Personal data: never in public output, removed by retention.
    reporter_email: Mapped[str | None] = mapped_column(String(254))
    # The address as a lookup key (maengelmelder/emails.py), kept in step by an event below.
    reporter_email_key: Mapped[str | None] = mapped_column(Text, index=True)
    notify_reporter: Mapped[bool] = mapped_column(Boolean, default=False)
    lang: Mapped[str] = mapped_column(String(2), default="de")
    # The tracking token is HMAC(secret key, salt): only its hash is searchable, and the
    # service can rebuild the link for e-mails without the database holding it.
    tracking_salt: Mapped[str] = mapped_column(String(64))
    tracking_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    request_fingerprint: Mapped[str | None] = mapped_column(String(64))
    routing: Mapped[dict | None] = mapped_column(JSONType)
    # ",key1,key2," of the zones the report lies in, for the staff queue's zone filter.
    zone_keys: Mapped[str] = mapped_column(String(500), default=",")
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    # Moderation: citizen text and photos are public only once published.
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    # Why the report waits for staff (abuse defences): "blocklist", "email_unconfirmed",
    # "abuse"; None when it is not held. See HELD_FROM_PUBLIC.
    held_reason: Mapped[str | None] = mapped_column(String(32))
    # Citizens who said "me too" instead of filing a duplicate.
    supporters: Mapped[int] = mapped_column(Integer, default=0)
    public_description: Mapped[str | None] = mapped_column(Text)
    at_risk_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The promise this ticket runs on, so pauses and reopening can recompute the deadline.
    sla_hours: Mapped[float] = mapped_column(Float, default=48)
    sla_calendar: Mapped[str] = mapped_column(String(16), default="wall")
    # [[start, end|null], ...] ISO timestamps of waiting_external spans that stop the clock.
    pauses: Mapped[list] = mapped_column(JSONType, default=list)
    paused_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set once the deadline was acted on; reset whenever the deadline moves.
    at_risk_warned: Mapped[bool] = mapped_column(Boolean, default=False)
    breach_escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    ruleset_version: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
    __table_args__ = (
        # The map and "nearby" read a bounding box: without it every read scanned the table.
        Index("ix_reports_lat_lon", "lat", "lon"),
        # The SLA sweep reads only open tickets not yet escalated, by deadline: its cost
        # follows the tickets that are due, not all tickets.
        Index(
            "ix_reports_sweep_breach",
            "deadline",
            postgresql_where=text(_SWEEP_WHERE + " AND NOT breach_escalated"),
            sqlite_where=text(_SWEEP_WHERE + " AND NOT breach_escalated"),
        ),
        Index(
            "ix_reports_sweep_at_risk",
            "at_risk_at",
            postgresql_where=text(_SWEEP_WHERE + " AND NOT at_risk_warned"),
            sqlite_where=text(_SWEEP_WHERE + " AND NOT at_risk_warned"),
        ),
        # The staff lists (tickets/queue.py), soonest deadline first, a page at a time: each
        # filter they use reads an index in the list's order or a bounded set (open tickets),
        # never the years of done ones. tests/test_list_indexes.py reads the plans.
        # A crew's queue: its departments' tickets in a state, by deadline.
        Index("ix_reports_department_status_deadline", "department_id", "status", "deadline", "id"),
        # Every open ticket by deadline (the city-wide queue, the SLA filters): without it the
        # planner walks the deadline order through years of done tickets to reach open ones.
        Index(
            "ix_reports_open_deadline",
            "deadline",
            "id",
            postgresql_where=text(_SWEEP_WHERE),
            sqlite_where=text(_SWEEP_WHERE),
        ),
        # Lists of every state (or of done ones) by deadline, and the cursor into them.
        Index("ix_reports_deadline_id", "deadline", "id"),
        # The moderation queue: unpublished tickets in a state, by deadline.
        Index("ix_reports_published_status_deadline", "published", "status", "deadline", "id"),
        # Open311, the public list and the open data exports: state and category within a
        # period of creation.
        Index("ix_reports_status_category_created", "status", "category_id", "created_at"),
    )

    category: Mapped[Category] = relationship(lazy="joined", innerjoin=True)
    assignee: Mapped[User | None] = relationship(lazy="joined")
    duplicate_of: Mapped[Report | None] = relationship(remote_side=[id], lazy="select")
    followers: Mapped[list[Follower]] = relationship(
        back_populates="report", cascade="all, delete-orphan", lazy="select"
    )
    department: Mapped[Department] = relationship(lazy="joined", innerjoin=True)
    photos: Mapped[list[Photo]] = relationship(
        back_populates="report",
        order_by="Photo.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )
    events: Mapped[list[TicketEvent]] = relationship(
        order_by="TicketEvent.id", cascade="all, delete-orphan", lazy="select"
    )
    # Citizens' "report abuse" flags staff have not dealt with yet (abuse/flags.py changes them).
    open_abuse_flags: Mapped[list[AbuseReport]] = relationship(
        "AbuseReport",
        primaryjoin="and_(Report.id == foreign(AbuseReport.report_id), "
        "AbuseReport.resolved_at.is_(None))",
        order_by="AbuseReport.id",
        viewonly=True,
        lazy="select",
    )


class Photo(db.Model):
    """A processed photo (web size and thumbnail, no metadata) of a report."""

    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="report")
    approved: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    web_width: Mapped[int] = mapped_column(Integer)
    web_height: Mapped[int] = mapped_column(Integer)
    thumb_width: Mapped[int] = mapped_column(Integer)
    thumb_height: Mapped[int] = mapped_column(Integer)
    web_bytes: Mapped[int] = mapped_column(Integer)
    source_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The privacy pass (core/photo_privacy.py): its state, why it failed, the boxes it found
    # or a moderator drew (web-image pixels), the unblurred files' key (staff only), when it
    # last ran, and how often a pass was started for the current state.
    privacy_state: Mapped[str | None] = mapped_column(String(16))
    privacy_reason: Mapped[str | None] = mapped_column(String(40))
    privacy_boxes: Mapped[list | None] = mapped_column(JSONType)
    original_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    privacy_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    privacy_tries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    report: Mapped[Report] = relationship(back_populates="photos")

    __table_args__ = (
        # Rare states only: the moderation list's failed passes and the sweep's waiting ones
        # stay an index range however many photos years of reports bring.
        Index(
            "ix_photos_privacy_failed",
            "report_id",
            postgresql_where=text("privacy_state = 'failed'"),
            sqlite_where=text("privacy_state = 'failed'"),
        ),
        Index(
            "ix_photos_privacy_pending",
            "privacy_at",
            postgresql_where=text("privacy_state = 'pending'"),
            sqlite_where=text("privacy_state = 'pending'"),
        ),
    )


class Follower(db.Model):
    """Someone besides the reporter who hears about a report (supporter, duplicate reporter)."""

    __tablename__ = "followers"
    __table_args__ = (UniqueConstraint("report_id", "email", name="uq_followers_report_email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str | None] = mapped_column(Text, index=True)
    lang: Mapped[str] = mapped_column(String(2), default="de")
    source: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    report: Mapped[Report] = relationship(back_populates="followers")


class Support(db.Model):
    """One "me too" for a report, once per supporter.

    The supporter is HMAC-SHA256(secret key, "support:" + device id or else client address):
    the same device is recognised on the same report, never the address itself kept.
    """

    __tablename__ = "supports"
    __table_args__ = (
        UniqueConstraint("report_id", "supporter", name="uq_supports_report_supporter"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    supporter: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PublicIdCounter(db.Model):
    """Per-year counter behind public ids such as 2026-000123."""

    __tablename__ = "public_id_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)


def public_text(published: bool, public_description: str | None, description: str) -> str | None:
    """The citizen's text as the public reads it: staff's edit if any, nothing before publishing."""
    if not published:
        return None
    return public_description if public_description is not None else description


def publicly_listed():
    """The condition of reports the public may see at all (not held from the public)."""
    return or_(Report.held_reason.is_(None), Report.held_reason.not_in(HELD_FROM_PUBLIC))


@sa_event.listens_for(Report.reporter_email, "set")
def _reporter_email_key(target: Report, value: str | None, oldvalue, initiator) -> None:
    target.reporter_email_key = email_key(value)


@sa_event.listens_for(Follower.email, "set")
def _follower_email_key(target: Follower, value: str | None, oldvalue, initiator) -> None:
    target.email_key = email_key(value)
