"""Recurring ticket housekeeping: close quiet resolved tickets, ask 'is it fixed?'."""

from __future__ import annotations

from ..clock import now
from ..core.links import links
from ..core.settings import sla_settings, ticket_settings
from ..extensions import db
from . import service


def _change() -> service.Change:
    return service.Change(
        principal=None, now=now(), links=links(), sla=sla_settings(), by_system=True
    )


def housekeeping() -> dict[str, list[str]]:
    """Send due follow-ups, then close tickets resolved longer than the quiet period."""
    settings = ticket_settings()
    change = _change()
    asked = service.send_followups(db.session, change, after_days=settings.followup_days)
    closed = service.close_quiet(db.session, change, quiet_days=settings.auto_close_days)
    db.session.commit()
    return {"followups": asked, "closed": closed}
