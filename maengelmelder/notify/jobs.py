"""The job that drains the outbox."""

from __future__ import annotations

from sqlalchemy.orm import sessionmaker

from ..clock import now
from ..core.settings import mail_settings
from ..extensions import db
from .mailer import make_mailer
from .sending import send_due


def send_pending() -> dict[str, int]:
    """Send every due outbox mail; each claimed and recorded in a short transaction of its own."""
    factory = sessionmaker(bind=db.engine)
    return send_due(factory, mailer=make_mailer(mail_settings()), now=now(), clock=now)
