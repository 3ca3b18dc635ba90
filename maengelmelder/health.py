"""`/healthz`: is the service able to do its work (database; Redis and the object store when
configured)?"""

from __future__ import annotations

from flask import Flask, current_app, jsonify
from marshmallow import fields, validate
from sqlalchemy import text

from . import redis_guard
from .extensions import db
from .storage import storage
from .web.api import Blueprint, register
from .web.schemas import Out

bp = Blueprint("health", __name__, description="Is the service able to do its work?")

_STATE = validate.OneOf(["ok", "unavailable"])
_OPTIONAL = validate.OneOf(["ok", "unavailable", "not_configured"])


class HealthChecks(Out):
    database = fields.String(validate=_STATE)
    redis = fields.String(validate=_OPTIONAL)
    object_store = fields.String(validate=_OPTIONAL)


class Health(Out):
    status = fields.String(validate=_STATE)
    checks = fields.Nested(HealthChecks)


def _redis_state() -> str:
    if not current_app.config.get("REDIS_URL"):
        return "not_configured"
    # Asked even while requests leave a failed Redis alone, so its return ends that pause.
    return "ok" if redis_guard.guard().probe() else "unavailable"


def _object_store_state() -> str:
    answered = storage().probe()  # a HEAD of the bucket; the local folder is no server
    if answered is None:
        return "not_configured"
    return "ok" if answered else "unavailable"


@bp.get("/healthz")
@bp.response(200, Health, description="Healthy.")
@bp.alt_response(503, schema=Health, description="Not healthy; see Retry-After.")
def healthz():
    """Health: the database (and Redis and the object store, if configured) answer.

    200 when the database answers (and Redis and the S3 object store, if configured); 503
    otherwise.

    Each is asked once, with the time a request may wait for it (DB_TIMEOUT_SECONDS,
    REDIS_TIMEOUT_SECONDS, S3_TIMEOUT_SECONDS): a server that does not answer is reported
    within that time.
    """
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # any driver error means: not healthy
        current_app.logger.exception("health check: database")
        db.session.rollback()
        database = "unavailable"
    checks = {"database": database, "redis": _redis_state(), "object_store": _object_store_state()}
    healthy = database == "ok" and "unavailable" not in checks.values()
    resp = jsonify({"status": "ok" if healthy else "unavailable", "checks": checks})
    resp.status_code = 200 if healthy else 503
    if not healthy:
        resp.headers["Retry-After"] = "30"
    return resp


def init_app(app: Flask) -> None:
    register(app, bp)
