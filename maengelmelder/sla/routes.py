"""The SLA board's figures for supervisors, and the public transparency figure."""

from __future__ import annotations

import csv
import io
import statistics
from collections import defaultdict
from datetime import datetime, timedelta

from flask import Blueprint, Response, jsonify, request
from marshmallow import RAISE, Schema, ValidationError, fields, validate
from sqlalchemy import select

from ..accounts.auth import authenticated, require
from ..catalog.models import Category, Department
from ..clock import BERLIN, in_utc, isoformat, now
from ..errors import validation_error
from ..extensions import db
from ..reports.models import Report
from ..tickets import states
from ..tickets.schemas import ticket_out
from . import service

bp = Blueprint("sla", __name__)
BOARD = ("supervisor", "admin")


class SummaryArgs(Schema):
    class Meta:
        unknown = RAISE

    from_ = fields.AwareDateTime(data_key="from", validate=in_utc)
    to = fields.AwareDateTime(validate=in_utc)
    department = fields.String(validate=validate.Length(max=64))
    category = fields.String(validate=validate.Length(max=64))
    format = fields.String(validate=validate.OneOf(["json", "csv"]))


def _args(schema: Schema) -> dict:
    try:
        return schema.load(request.args.to_dict())
    except ValidationError as exc:
        raise validation_error(exc.normalized_messages(), status=400) from exc


def _scoped(query):
    principal = authenticated()
    if not (principal.is_admin or principal.citywide):
        query = query.where(Report.department_id.in_(principal.department_ids or {-1}))
    return query


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return round(ordered[index], 2)


def _figures(rows: list[Report], at: datetime) -> dict:
    counts = defaultdict(int)
    hours = []
    for report in rows:
        state = service.state(report, at)
        if report.status in states.OPEN:
            counts["open"] += 1
            counts[state] += 1
        elif state in ("met", "missed"):
            counts["resolved"] += 1
            counts[state] += 1
            done = report.resolved_at or report.closed_at
            hours.append((done - report.created_at) / timedelta(hours=1))
    resolved = counts["resolved"]
    return {
        "open": counts["open"],
        "at_risk": counts["at_risk"],
        "breached": counts["breached"],
        "paused": counts["paused"],
        "resolved": resolved,
        "resolved_within_sla": counts["met"],
        "resolved_within_sla_pct": round(100 * counts["met"] / resolved, 1) if resolved else None,
        "median_hours_to_resolve": round(statistics.median(hours), 2) if hours else None,
        "p90_hours_to_resolve": _percentile(hours, 0.9),
    }


@bp.get("/api/v1/sla/summary")
@require(*BOARD)
def summary():
    """Open, at-risk and breached tickets now; resolution within the promise; per group."""
    args = _args(SummaryArgs())
    at = now()
    query = _scoped(select(Report))
    if "from_" in args:
        query = query.where(Report.created_at >= args["from_"])
    if "to" in args:
        query = query.where(Report.created_at < args["to"])
    if "department" in args:
        query = query.join(Department, Report.department_id == Department.id).where(
            Department.code == args["department"]
        )
    if "category" in args:
        query = query.join(Category, Report.category_id == Category.id).where(
            Category.code == args["category"]
        )
    rows = list(db.session.scalars(query).unique())
    by_department, by_category = defaultdict(list), defaultdict(list)
    for report in rows:
        by_department[report.department.code].append(report)
        by_category[report.category.code].append(report)
    body = {
        "at": isoformat(at),
        "total": _figures(rows, at),
        "by_department": {k: _figures(v, at) for k, v in sorted(by_department.items())},
        "by_category": {k: _figures(v, at) for k, v in sorted(by_category.items())},
    }
    if args.get("format") == "csv":
        return _csv(body)
    return jsonify(body)


def _csv(body: dict) -> Response:
    out = io.StringIO()
    columns = list(body["total"])
    writer = csv.writer(out)
    writer.writerow(["group", "key", *columns])
    writer.writerow(["total", "", *body["total"].values()])
    for group in ("by_department", "by_category"):
        for key, figures in body[group].items():
            writer.writerow([group.removeprefix("by_"), key, *figures.values()])
    resp = Response(out.getvalue(), mimetype="text/csv")
    resp.headers["Content-Disposition"] = 'attachment; filename="sla-summary.csv"'
    return resp


@bp.get("/api/v1/sla/breaches")
@require(*BOARD)
def breaches():
    """Open tickets past their deadline, the oldest deadline first."""
    at = now()
    query = _scoped(
        select(Report).where(
            Report.status.in_(states.OPEN),
            Report.paused_since.is_(None),
            Report.deadline < at,
        )
    ).order_by(Report.deadline, Report.id)
    principal = authenticated()
    items = []
    for report in db.session.scalars(query).unique():
        item = ticket_out(report, principal, at, full=False)
        item["overdue_hours"] = round(service.overdue_hours(report, at), 2)
        items.append(item)
    return jsonify({"items": items, "count": len(items)})


@bp.get("/api/v1/sla/transparency")
def transparency():
    """Public and anonymous: share of reports resolved within the promise, by month and category."""
    rows = db.session.execute(
        select(Report.created_at, Report.resolved_at, Report.deadline, Category.code)
        .join(Category, Report.category_id == Category.id)
        .where(Report.resolved_at.is_not(None))
    ).all()
    groups: dict[tuple[str, str], list[bool]] = defaultdict(list)
    for created, resolved, deadline, category in rows:
        month = created.astimezone(BERLIN).strftime("%Y-%m")
        groups[(month, category)].append(resolved <= deadline)
    items = [
        {
            "month": month,
            "category": category,
            "resolved": len(flags),
            "within_promise": sum(flags),
            "within_promise_pct": round(100 * sum(flags) / len(flags), 1),
        }
        for (month, category), flags in sorted(groups.items())
    ]
    return jsonify({"items": items})
