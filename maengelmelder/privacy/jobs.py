"""The daily retention job."""

from __future__ import annotations

from flask import current_app

from ..clock import now
from ..core.settings import retention_settings
from ..extensions import db
from ..storage import storage
from . import service


def retention() -> dict:
    """Apply the retention rules; safe to run any number of times."""
    removed = service.retention(
        db.session,
        now=now(),
        days=retention_settings().days,
        storage=storage(),
        secret_key=current_app.config["SECRET_KEY"],
    )
    db.session.commit()
    return removed.summary()
