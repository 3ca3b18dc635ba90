"""Where open and breached tickets cluster: counts per zone of a kind, and on a grid of cells.

Both count the open tickets only, as the board's live figures do (`reads.open_counts`), so
their cost follows the open tickets, never the years of done ones: the conditions keep the
planner on the open tickets' partial index rather than the position index, which would walk
every report ever made inside the box. Per zone, tickets are grouped by the zones they were
routed in (`Report.zone_keys`, a handful of distinct values) in SQL and split per zone here;
the cells are grouped in SQL on a grid anchored at (-180, -90), so a cell stays the same
while the map pans. Every answer is bounded: a kind's zones, and at most `MAX_CELLS` cells.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import Integer, and_, case, cast, func, select
from sqlalchemy.orm import Session

from ..accounts.service import Principal
from ..core import states
from ..core.catalog import Category, Department
from ..core.models import Report
from ..errors import ApiError
from ..zoning.geometry import simplified
from ..zoning.models import Zone
from .reads import Scope, ids_of, scope_for

# A cell is a quarter of a map tile's width at the asked zoom (64 px on screen), and never
# smaller than a 64th of the box, so a box holds at most 65 × 65 cells.
CELLS_PER_TILE = 4
CELLS_PER_SIDE = 64
MAX_CELLS = 500  # the fullest cells of a box; `truncated` says when some were left out


def hotspot_scope(
    session: Session, principal: Principal, *, department: str | None, category: str | None
) -> Scope:
    """The principal's board scope narrowed by the filters; an unknown code is a 400."""
    if department is not None and not ids_of(session, Department, department):
        raise ApiError(400, "invalid_filter", name="department", value=department[:64])
    if category is not None and not ids_of(session, Category, category):
        raise ApiError(400, "invalid_filter", name="category", value=category[:64])
    return scope_for(session, principal, department=department, category=category)


def _open_tickets(scope: Scope) -> list:
    out = [Report.status.in_(sorted(states.OPEN))]
    if scope.department_ids is not None:
        out.append(Report.department_id.in_(list(scope.department_ids) or [-1]))
    if scope.category_ids is not None:
        out.append(Report.category_id.in_(list(scope.category_ids) or [-1]))
    return out


def _breached(at: datetime):
    """1 for a ticket the board counts as breached now (past its deadline, not paused with
    time left), else 0."""
    paused_in_time = and_(Report.paused_since.is_not(None), Report.paused_since <= Report.deadline)
    return case((and_(Report.deadline < at, ~paused_in_time), 1), else_=0)


def zone_kinds(session: Session) -> list[str]:
    """Every kind of zone there is, sorted."""
    return list(session.scalars(select(Zone.kind).distinct().order_by(Zone.kind)))


def by_zone(
    session: Session,
    scope: Scope,
    at: datetime,
    kind: str | None,
    *,
    simplify: float | None = None,
) -> dict:
    """Open and breached tickets per zone of `kind` (default: districts, else the first kind),
    the fullest zone first, with each zone's outline (simplified to `simplify` degrees); and
    those in no zone of the kind."""
    kinds = zone_kinds(session)
    if kind is None:
        kind = "district" if "district" in kinds else (kinds[0] if kinds else None)
    elif kind not in kinds:
        raise ApiError(400, "invalid_filter", name="kind", value=kind[:64])
    zones = (
        session.execute(
            select(Zone.key, Zone.name, Zone.geometry).where(Zone.kind == kind).order_by(Zone.key)
        ).all()
        if kind is not None
        else []
    )
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    total, outside = [0, 0], [0, 0]
    known = {key for key, _, _ in zones}
    breached = func.sum(_breached(at))
    query = (
        select(Report.zone_keys, func.count(), breached)
        .where(*_open_tickets(scope))
        .group_by(Report.zone_keys)
    )
    for zone_keys, count, late in session.execute(query):
        late = int(late or 0)
        total[0] += count
        total[1] += late
        inside = [key for key in (zone_keys or "").split(",") if key in known]
        for key in inside:
            counts[key][0] += count
            counts[key][1] += late
        if not inside:
            outside[0] += count
            outside[1] += late
    items = [
        {
            "key": key,
            "name": name or key,
            "open": counts[key][0],
            "breached": counts[key][1],
            "geometry": simplified(geometry, simplify) if simplify else geometry,
        }
        for key, name, geometry in zones
    ]
    items.sort(key=lambda z: (-z["open"], -z["breached"], z["name"]))
    return {
        "at": at,
        "kind": kind,
        "kinds": kinds,
        "zones": items,
        "total": {"open": total[0], "breached": total[1]},
        "outside": {"open": outside[0], "breached": outside[1]},
    }


def cell_size(bbox: tuple[float, float, float, float], zoom: int) -> float:
    """The grid's cell size in degrees for this box and zoom (see `CELLS_PER_TILE`)."""
    min_lon, min_lat, max_lon, max_lat = bbox
    size = 360 / (2**zoom) / CELLS_PER_TILE
    span = max(max_lon - min_lon, max_lat - min_lat)
    return max(size, span / CELLS_PER_SIDE, 1e-6)


def by_cell(
    session: Session, scope: Scope, at: datetime, bbox: tuple[float, float, float, float], zoom: int
) -> dict:
    """Open and breached tickets per grid cell inside the box, the fullest cells first (at
    most `MAX_CELLS`), each with its bounds and the mean position of its tickets."""
    min_lon, min_lat, max_lon, max_lat = bbox
    size = cell_size(bbox, zoom)
    # `+ 0` keeps the position index out: inside a whole city's box it would read every report
    # ever made there; the open tickets are far fewer.
    lat, lon = Report.lat + 0, Report.lon + 0
    if session.get_bind().dialect.name == "sqlite":
        # Positive values: CAST truncates, which is floor (SQLite may lack floor()).
        row = cast((lat + 90) / size, Integer)
        column = cast((lon + 180) / size, Integer)
    else:
        row = cast(func.floor((lat + 90) / size), Integer)
        column = cast(func.floor((lon + 180) / size), Integer)
    row, column = row.label("row"), column.label("col")
    query = (
        select(
            row,
            column,
            func.count(),
            func.sum(_breached(at)),
            func.avg(Report.lat),
            func.avg(Report.lon),
        )
        .where(
            *_open_tickets(scope),
            lat.between(min_lat, max_lat),
            lon.between(min_lon, max_lon),
        )
        .group_by(row, column)
    )
    cells, total = [], [0, 0]
    for r, c, count, late, mean_lat, mean_lon in session.execute(query):
        late = int(late or 0)
        total[0] += count
        total[1] += late
        south, west = r * size - 90, c * size - 180
        cells.append(
            {
                "open": count,
                "breached": late,
                "lat": round(float(mean_lat), 6),
                "lon": round(float(mean_lon), 6),
                "bounds": [
                    round(west, 6),
                    round(south, 6),
                    round(west + size, 6),
                    round(south + size, 6),
                ],
            }
        )
    cells.sort(key=lambda cell: (-cell["open"], -cell["breached"], cell["bounds"]))
    return {
        "at": at,
        "cell_size": size,
        "cells": cells[:MAX_CELLS],
        "truncated": len(cells) > MAX_CELLS,
        "total": {"open": total[0], "breached": total[1]},
    }
