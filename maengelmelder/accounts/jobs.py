"""The hourly clean-up of ended staff sessions and old login failures."""

from __future__ import annotations

from ..clock import now
from ..extensions import db
from . import sessions, throttle
from .auth import session_policy


def purge() -> dict:
    """Delete expired sessions and forgotten login failures; safe to run any number of times."""
    at = now()
    ended = sessions.purge(db.session, now=at, policy=session_policy())
    forgotten = throttle.purge(db.session, now=at)
    db.session.commit()
    return {"sessions": ended, "login_throttles": forgotten}
