"""Unbound extension objects, bound to an app in create_app."""

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData

# Stable constraint names so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate(render_as_batch=True, compare_type=True)


def commit_keeping_loaded() -> None:
    """Commit, keeping loaded attributes instead of expiring them.

    For an answer built from what the request just wrote: expiring would read the new rows
    back (a query per object and relationship) only to find the values already in hand.
    """
    session = db.session()
    session.expire_on_commit = False
    try:
        db.session.commit()
    finally:
        session.expire_on_commit = True


def device_key() -> str:
    """Per device: the app's anonymous device id, or the address when there is none."""
    device = request.headers.get("X-Device-Id", "").strip()[:64]
    return f"device:{device}" if device else f"ip:{get_remote_address()}"


# Storage (Redis or memory) and limits come from the app config; see create_app. No
# X-RateLimit-* headers: writing them asked Redis for the window once more on every limited
# request. A refusal still says when to come back: errors.py sets Retry-After on each 429.
limiter = Limiter(key_func=get_remote_address, headers_enabled=False)
