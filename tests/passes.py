"""The privacy pass in tests: the app fixture runs no job thread (tests call job functions
directly), so a test whose photos must be public runs the passes the worker would run."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from maengelmelder.core.models import Photo
from maengelmelder.extensions import db
from maengelmelder.privacy.jobs import privacy_pass


def run_privacy_passes(app: Flask) -> list[str | None]:
    """Run the job of every photo waiting for its pass, as the worker would; the outcomes."""
    with app.app_context():
        try:
            ids = db.session.scalars(
                select(Photo.id).where(Photo.privacy_state == "pending").order_by(Photo.id)
            ).all()
            db.session.rollback()
            return [privacy_pass(photo_id) for photo_id in ids]
        finally:
            db.session.remove()
