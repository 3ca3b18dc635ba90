"""The privacy feature's jobs: daily retention, each photo's privacy pass, and the sweep that
catches passes lost or interrupted."""

from __future__ import annotations

from flask import current_app

from ..clock import now
from ..core.settings import retention_settings
from ..extensions import db
from ..reports.passes import queue_passes
from ..storage import storage
from . import photos, service


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


def privacy_pass(photo_id: int) -> str | None:
    """The privacy pass of one photo (queued after the photo's intake committed); a photo that
    is no longer pending is left alone, so running it twice changes nothing."""
    return photos.run_pass(db.session, photo_id, storage=storage(), now=now()).state


def privacy_sweep() -> dict:
    """Queue again the passes lost (Redis down at intake, a restarted runner) or interrupted
    (a killed or timed-out job); fail those that started too often."""
    swept = photos.sweep(db.session, now=now())
    if swept.requeued:
        queue_passes(swept.requeued)
    return {"requeued": len(swept.requeued), "timed_out": swept.timed_out}
