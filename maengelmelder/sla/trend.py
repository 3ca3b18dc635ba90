"""The SLA board's trend: reports created and resolved per day, the promise kept per week."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, jsonify, request

from ..accounts.auth import authenticated, require
from ..clock import BERLIN, now
from ..errors import ApiError
from ..extensions import db
from . import board

bp = Blueprint("sla_trend", __name__)


@bp.get("/api/v1/sla/trend")
@require("supervisor", "admin")
def trend():
    """Per day (Berlin) created and resolved; per ISO week the share resolved within promise."""
    raw = request.args.get("days", "30")
    # ASCII digits only, and few: int() refuses "²" and numbers of over 4300 digits
    days = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else 0
    if not 1 <= days <= 366:
        raise ApiError(400, "invalid_filter", name="days", value=raw[:20])
    first = now().astimezone(BERLIN).date() - timedelta(days=days - 1)
    principal = authenticated()
    departments = None
    if not (principal.is_admin or principal.citywide):
        departments = sorted(principal.department_ids or ())
    return jsonify(board.trend(db.session, first, days, departments))
