"""The append-only history of every ticket, and the one way to add to it (`record`, with
the `Change` that says who changes a ticket and when)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..types import JSONType, UTCDateTime
from .links import Links
from .settings import SlaSettings

if TYPE_CHECKING:  # for the annotations only
    from ..accounts.service import Principal
    from .models import Report


class TicketEvent(db.Model):
    """One change of a ticket: who, when, from which state to which, and why."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str | None] = mapped_column(String(32))
    public_note: Mapped[str | None] = mapped_column(Text)
    internal_note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict | None] = mapped_column(JSONType)


@dataclass(frozen=True)
class Change:
    """Who changes a ticket, when, and the links mails need."""

    principal: Principal | None  # None for the citizen (tracking link) and the system
    now: datetime
    links: Links
    sla: SlaSettings = field(default_factory=SlaSettings)
    by_system: bool = False  # a job (quiet close, follow-ups), not the citizen

    @property
    def actor(self) -> str:
        if self.principal:
            return self.principal.actor
        return "system" if self.by_system else "citizen"


def record(
    report: Report,
    change: Change,
    kind: str,
    *,
    to_status: str | None = None,
    public_note: str | None = None,
    internal_note: str | None = None,
    data: dict | None = None,
) -> TicketEvent:
    """Append an event and touch the ticket (which bumps its version)."""
    event = TicketEvent(
        created_at=change.now,
        actor=change.actor,
        kind=kind,
        from_status=report.status,
        to_status=to_status or report.status,
        public_note=public_note or None,
        internal_note=internal_note or None,
        data=data,
    )
    report.events.append(event)
    report.updated_at = change.now
    return event
