"""The SLA board's figures for supervisors, and the public transparency figure."""

from __future__ import annotations

import csv
import io

from flask import Response, current_app, jsonify

from ..accounts.auth import authenticated, require
from ..clock import now
from ..extensions import db
from ..reports.reads import parse_bbox
from ..tickets.schemas import dump_for
from ..web.api import Blueprint
from . import hotspots, public_cache, schemas
from . import reads as board

bp = Blueprint("sla", __name__)
BOARD = ("supervisor", "admin")


@bp.get("/api/v1/sla/summary")
@require(*BOARD)
@bp.arguments(schemas.SummaryArgs, location="query")
@bp.response(
    200, schemas.SlaSummary, description="Figures in total, per department and per category."
)
@bp.alt_response(
    200,
    schema={"type": "string"},
    content_type="text/csv",
    description="Figures in total, per department and per category.",
    success=True,
)
def summary(args: dict):
    """The SLA board: open, at risk, breached; resolved within the promise.

    `from` and `to` are days in Europe/Berlin, both included (`2026-03-01`; a date-time
    counts as the day it falls on); they select tickets by the day they were reported. Open,
    at-risk, breached and paused are counted now; resolved, within the promise and the hours
    to resolve come from figures kept per day and month as tickets change, so the board
    costs the same with years of history. Median and 90th percentile hours are estimated
    within hour bands (1, 2, 4, 8, 12, 24, 36, 48, 72, 96, 168, 336, 720 h and more).
    """
    at = now()
    scope = board.scope_for(
        db.session,
        authenticated(),
        department=args.get("department"),
        category=args.get("category"),
        first=args.get("from_"),
        last=args.get("to"),
    )
    figures = board.board_summary(db.session, scope, at)
    if args.get("format") == "csv":
        return _csv(figures)
    return figures


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


@bp.get("/api/v1/board/hotspots")
@require(*BOARD)
@bp.arguments(schemas.HotspotArgs, location="query")
@bp.response(200, schemas.Hotspots, description="Open and breached tickets per zone.")
def hotspot_zones(args: dict):
    """Where open tickets cluster: open and breached per zone of a kind, with the outlines.

    Every zone of `kind` (default `district`, else the first kind there is), the most open
    tickets first; a ticket counts in the zones it was routed in. Filters as the board's;
    an unknown kind, department or category is `400 invalid_filter`. Counts only the open
    tickets, so it costs the same with years of history.
    """
    scope = hotspots.hotspot_scope(
        db.session,
        authenticated(),
        department=args.get("department"),
        category=args.get("category"),
    )
    return hotspots.by_zone(
        db.session, scope, now(), args.get("kind"), simplify=args.get("simplify")
    )


@bp.get("/api/v1/board/hotspots/cells")
@require(*BOARD)
@bp.arguments(schemas.HotspotCellArgs, location="query")
@bp.response(200, schemas.HotspotCells, description="Open and breached tickets per grid cell.")
def hotspot_cells(args: dict):
    """Open and breached tickets on a grid over the map's box, for a cluster or heat layer.

    A cell is a quarter of a map tile wide at `zoom` (and at least a 64th of the box), on a
    grid that stays put while the map pans; at most 500 cells, the fullest first
    (`truncated` says when emptier ones were left out). Never one entry per ticket.
    """
    bbox = parse_bbox(args["bbox"])
    scope = hotspots.hotspot_scope(
        db.session,
        authenticated(),
        department=args.get("department"),
        category=args.get("category"),
    )
    return hotspots.by_cell(db.session, scope, now(), bbox, args["zoom"])


_breaches = schemas.SlaBreaches()


@bp.get("/api/v1/sla/breaches")
@require(*BOARD)
@bp.arguments(schemas.BreachArgs, location="query")
@bp.response(200, schemas.SlaBreaches, description="A page of breaches.")
def breaches(args: dict):
    """Open tickets past their deadline, the oldest deadline first, a page at a time.

    Keyset paging: `limit` tickets (at most 200) per page; the answer's `next_cursor`,
    passed as `cursor`, gives the next page (tickets breached meanwhile never repeat one
    already seen). `count` is the number of all breached tickets of the filter.
    """
    principal, at = authenticated(), now()
    page = board.breaches(
        db.session,
        board.visible_departments(principal),
        at,
        department=args.get("department"),
        category=args.get("category"),
        cursor=args.get("cursor"),
        limit=args["limit"],
    )
    # Each ticket as the caller sees it at this moment (the reporter's e-mail for their own).
    return jsonify(dump_for(_breaches, page, principal, at))


@bp.get("/api/v1/sla/transparency")
@bp.response(
    200, schemas.Transparency, description="Figures.", headers=schemas.PUBLIC_CACHE_HEADERS
)
@bp.alt_response(
    304,
    description="The client's copy (`If-None-Match`) is current.",
    headers=schemas.PUBLIC_CACHE_HEADERS,
    success=True,
)
@bp.doc(parameters=[schemas.IF_NONE_MATCH])
def transparency():
    """Public: share of reports resolved within the promise, by month and category.

    Months are those the reports were made in (Europe/Berlin). The answer is computed at
    most once per `MAENGELMELDER_PUBLIC_FIGURES_MAX_AGE` seconds (default 300) per server
    process and may be cached as long.
    """
    # A burst of requests costs one computation: the answer is kept for the configured time
    # (shared by every request of this process) and carries an ETag and public caching headers.
    max_age = int(current_app.config.get("PUBLIC_FIGURES_MAX_AGE", 300))
    body, etag = public_cache.get_or_compute(
        "transparency",
        max_age,
        lambda: schemas.Transparency().dump({"items": board.transparency(db.session)}),
    )
    return public_cache.answer(body, etag, max_age)
