"""The job that drains the outbox."""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import sessionmaker

from ..clock import now
from ..extensions import db
from .mailer import mailer_from_config
from .sending import send_due


def send_pending() -> dict[str, int]:
    """Send every due outbox mail; each claimed and recorded in a short transaction of its own."""
    factory = sessionmaker(bind=db.engine)
    return send_due(factory, mailer=mailer_from_config(current_app.config), now=now(), clock=now)
