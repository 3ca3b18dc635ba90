"""The SLA board's trend: reports created and resolved per day, the promise kept per week."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from flask import Blueprint, jsonify, request
from sqlalchemy import or_, select

from ..accounts.auth import authenticated, require
from ..clock import BERLIN, now
from ..errors import ApiError
from ..extensions import db
from ..reports.models import Report

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
    at = now()
    start = (at.astimezone(BERLIN) - timedelta(days=days - 1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    query = select(Report.created_at, Report.resolved_at, Report.deadline).where(
        or_(Report.created_at >= start, Report.resolved_at >= start)
    )
    principal = authenticated()
    if not (principal.is_admin or principal.citywide):
        query = query.where(Report.department_id.in_(principal.department_ids or {-1}))
    created, resolved = defaultdict(int), defaultdict(int)
    weeks: dict[str, list[bool]] = defaultdict(list)
    for made, done, deadline in db.session.execute(query):
        if made >= start:
            created[made.astimezone(BERLIN).date()] += 1
        if done is not None and done >= start:
            local = done.astimezone(BERLIN)
            resolved[local.date()] += 1
            year, week, _ = local.isocalendar()
            weeks[f"{year}-W{week:02d}"].append(done <= deadline)
    series = []
    for offset in range(days):
        day = (start + timedelta(days=offset)).date()
        series.append({"date": day.isoformat(), "created": created[day], "resolved": resolved[day]})
    return jsonify(
        {
            "days": series,
            "weeks": [
                {
                    "week": week,
                    "resolved": len(flags),
                    "within_promise_pct": round(100 * sum(flags) / len(flags), 1),
                }
                for week, flags in sorted(weeks.items())
            ],
        }
    )
