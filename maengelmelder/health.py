"""`/healthz`: is the service able to do its work (database, Redis when configured)?"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from .extensions import db

bp = Blueprint("health", __name__)


def _redis_state() -> str:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return "not_configured"
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        client.ping()
        client.close()
        return "ok"
    except redis.RedisError:
        return "unavailable"


@bp.get("/healthz")
def healthz():
    """200 when the database answers (and Redis, if configured); 503 otherwise."""
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
