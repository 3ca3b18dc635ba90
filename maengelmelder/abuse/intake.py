"""What report intake asks of the abuse defences: form signals before, holds after."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ..core.links import Links
from ..core.models import Report
from ..core.settings import AbuseSettings
from .confirmation import hold_unconfirmed
from .service import BLOCKLIST, blocked_pattern, check_form_signals, hold, without_form_signals

__all__ = ["blocked_pattern", "check_form_signals", "hold_on_intake", "without_form_signals"]


def hold_on_intake(
    session: Session,
    report: Report,
    *,
    now: datetime,
    settings: AbuseSettings,
    links: Links,
    blocked: str | None,
) -> str | None:
    """Hold a new report whose sender is blocked, or (with confirmation on) unconfirmed.

    `blocked` is the sender's block-list entry, looked up beforehand with
    `blocked_pattern` (intake does that before it takes the public-id counter's lock);
    `links` point the confirmation mail at the service. Returns the reason, if any. The block
    list comes first: a blocked address never gets a confirmation mail, so the form cannot be
    used to flood it.
    """
    if blocked is not None:
        hold(report, BLOCKLIST, now)
        return BLOCKLIST
    if hold_unconfirmed(session, report, settings=settings, links=links, now=now):
        return report.held_reason
    return None
