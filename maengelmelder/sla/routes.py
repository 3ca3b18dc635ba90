"""The SLA board's figures for supervisors, and the public transparency figure."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from flask import Blueprint, Response, current_app, jsonify, request
from marshmallow import RAISE, Schema, ValidationError, fields, validate
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import paging
from ..accounts.auth import authenticated, require
from ..catalog.models import Category, Department
from ..clock import BERLIN, in_utc, isoformat, now
from ..errors import validation_error
from ..extensions import db
from ..reports.models import Report
from ..tickets import states
from ..tickets.schemas import ticket_out
from . import board, public_cache, service

bp = Blueprint("sla", __name__)
BOARD = ("supervisor", "admin")
MAX_PAGE = 200


DAY_META = {"type": "string", "description": "a day (Europe/Berlin), e.g. 2026-03-01"}


class BerlinDay(fields.Field):
    """A day in Europe/Berlin: '2026-03-01', or an aware date-time (the day it falls on)."""

    default_error_messages = {"invalid": "Not a valid date or aware datetime."}  # noqa: RUF012

    def _deserialize(self, value, attr, data, **kwargs) -> date:
        if isinstance(value, str) and len(value) == 10:
            try:
                return date.fromisoformat(value)
            except ValueError:
                raise self.make_error("invalid") from None
        moment = fields.AwareDateTime(validate=in_utc).deserialize(value, attr, data)
        return moment.astimezone(BERLIN).date()


class SummaryArgs(Schema):
    class Meta:
        unknown = RAISE

    from_ = BerlinDay(data_key="from", metadata=DAY_META)
    to = BerlinDay(metadata=DAY_META)
    department = fields.String(validate=validate.Length(max=64))
    category = fields.String(validate=validate.Length(max=64))
    format = fields.String(validate=validate.OneOf(["json", "csv"]))


class BreachArgs(Schema):
    class Meta:
        unknown = RAISE

    limit = paging.limit_field(50, MAX_PAGE)
    cursor = paging.cursor_field()
    department = fields.String(validate=validate.Length(max=64))
    category = fields.String(validate=validate.Length(max=64))


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


def _codes(model) -> dict[int, str]:
    return dict(db.session.execute(select(model.id, model.code)).all())


def _ids_of(model, code: str) -> list[int]:
    return list(db.session.scalars(select(model.id).where(model.code == code)))


def _department_scope(principal) -> list[int] | None:
    if principal.is_admin or principal.citywide:
        return None
    return sorted(principal.department_ids or ())


@bp.get("/api/v1/sla/summary")
@require(*BOARD)
def summary():
    """Open, at-risk and breached tickets now; resolution within the promise; per group."""
    args = _args(SummaryArgs())
    at = now()
    departments = _department_scope(authenticated())
    if "department" in args:
        wanted = _ids_of(Department, args["department"])
        departments = wanted if departments is None else sorted(set(wanted) & set(departments))
    scope = board.Scope(
        department_ids=departments,
        category_ids=_ids_of(Category, args["category"]) if "category" in args else None,
        first=args.get("from_"),
        last=args.get("to"),
    )
    body = {
        "at": isoformat(at),
        "from": scope.first.isoformat() if scope.first else None,
        "to": scope.last.isoformat() if scope.last else None,
        **board.summary(db.session, scope, at, _codes(Department), _codes(Category)),
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
    """Open tickets past their deadline, the oldest deadline first, a page at a time."""
    args = _args(BreachArgs())
    at = now()
    breached = _scoped(
        select(Report).where(
            Report.status.in_(sorted(states.OPEN)),
            Report.paused_since.is_(None),
            Report.deadline < at,
        )
    )
    if "department" in args:
        breached = breached.where(Report.department_id.in_(_ids_of(Department, args["department"])))
    if "category" in args:
        breached = breached.where(Report.category_id.in_(_ids_of(Category, args["category"])))
    count = db.session.scalar(select(func.count()).select_from(breached.subquery()))
    query = breached
    if "cursor" in args:
        position = paging.decode_cursor(args["cursor"], (datetime, int), tag="breaches")
        query = query.where(paging.after((Report.deadline, Report.id), position))
    # The open abuse flags in one query for the page, not one per ticket (ticket_out shows them).
    query = query.options(selectinload(Report.open_abuse_flags))
    rows = list(
        db.session.scalars(
            query.order_by(Report.deadline, Report.id).limit(args["limit"] + 1)
        ).unique()
    )
    page, next_cursor = paging.split_page(
        rows, args["limit"], lambda r: (r.deadline, r.id), tag="breaches"
    )
    principal = authenticated()
    items = []
    for report in page:
        item = ticket_out(report, principal, at, full=False)
        item["overdue_hours"] = round(service.overdue_hours(report, at), 2)
        items.append(item)
    return jsonify({"items": items, "count": count, "next_cursor": next_cursor})


@bp.get("/api/v1/sla/transparency")
def transparency():
    """Public and anonymous: share of reports resolved within the promise, by month and category.

    A burst of requests costs one computation: the answer is kept for the configured time
    (shared by every request of this process) and carries an ETag and public caching headers.
    """
    max_age = int(current_app.config.get("PUBLIC_FIGURES_MAX_AGE", 300))
    body, etag = public_cache.get_or_compute(
        "transparency",
        max_age,
        lambda: {"items": board.transparency(db.session, _codes(Category))},
    )
    return public_cache.answer(body, etag, max_age)
