"""`/healthz`: is the service able to do its work (database, Redis when configured)?"""

from __future__ import annotations

from flask import Flask, current_app, jsonify
from marshmallow import fields, validate
from sqlalchemy import text

from . import redis_guard
from .extensions import db
from .web.api import Blueprint, register
from .web.schemas import Out

bp = Blueprint("health", __name__, description="Is the service able to do its work?")

_STATE = validate.OneOf(["ok", "unavailable"])


class HealthChecks(Out):
    database = fields.String(validate=_STATE)
    redis = fields.String(validate=validate.OneOf(["ok", "unavailable", "not_configured"]))


class Health(Out):
    status = fields.String(validate=_STATE)
    checks = fields.Nested(HealthChecks)


def _redis_state() -> str:
    if not current_app.config.get("REDIS_URL"):
        return "not_configured"
    # Asked even while requests leave a failed Redis alone, so its return ends that pause.
    return "ok" if redis_guard.guard().probe() else "unavailable"


@bp.get("/healthz")
@bp.response(200, Health, description="Healthy.")
@bp.alt_response(503, schema=Health, description="Not healthy; see Retry-After.")
def healthz():
    """Health: the database (and Redis, if configured) answer.

    200 when the database answers (and Redis, if configured); 503 otherwise.

    Each is asked once, with the time a request may wait for it (DB_TIMEOUT_SECONDS,
    REDIS_TIMEOUT_SECONDS): a server that does not answer is reported within that time.
    """
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # any driver error means: not healthy
        current_app.logger.exception("health check: database")
        db.session.rollback()
        database = "unavailable"
    checks = {"database": database, "redis": _redis_state()}
    healthy = database == "ok" and checks["redis"] != "unavailable"
    resp = jsonify({"status": "ok" if healthy else "unavailable", "checks": checks})
    resp.status_code = 200 if healthy else 503
    if not healthy:
        resp.headers["Retry-After"] = "30"
    return resp


def init_app(app: Flask) -> None:
    register(app, bp)
