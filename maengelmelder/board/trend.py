"""The SLA board's trend: reports created and resolved per day, the promise kept per week."""

from __future__ import annotations

from datetime import timedelta

from flask import request

from ..accounts.auth import authenticated, require
from ..clock import BERLIN, now
from ..extensions import db
from ..web.api import Blueprint
from . import reads as board
from . import schemas

bp = Blueprint("sla_trend", __name__)


@bp.get("/api/v1/sla/trend", tags=["sla"])
@require("supervisor", "admin")
@bp.response(200, schemas.SlaTrend, description="Figures for the last `days` days.")
@bp.doc(parameters=[{"in": "query", "schema": schemas.TrendArgs}])
def trend():
    """The trend: reports created and resolved per day, the promise kept per week.

    Supervisors and admins; others see `403`.
    """
    # Read by hand: a `days` that is no small number is `400 invalid_filter`.
    days = schemas.trend_days(request.args.get("days", "30"))
    first = now().astimezone(BERLIN).date() - timedelta(days=days - 1)
    departments = board.visible_departments(authenticated())
    return board.trend(db.session, first, days, departments)
