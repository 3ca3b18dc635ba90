"""The SLA board's figures: open tickets counted live, history read from the kept figures.

What depends on "now" (open, at risk, breached, paused) is counted over the open tickets
only; what history says (resolved, within the promise, time to resolve) comes from
`sla_figures`, whole months from the month rows and the days at either end from the day rows.
Either way the cost follows the open tickets and the window's length, never all reports.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, selectinload

from .. import paging
from ..accounts.service import Principal
from ..clock import BERLIN
from ..core import states
from ..core.catalog import Category, Department
from ..core.models import Report
from ..sla.figures import COLUMNS
from ..sla.models import BAND_COLUMNS, HOUR_BANDS, SlaFigures

OPEN_COLUMNS = ("open", "ok", "at_risk", "breached", "paused")
Group = tuple[int, int]  # (department id, category id)


@dataclass(frozen=True)
class Scope:
    """Which tickets a figure covers: departments, categories, and created days (inclusive)."""

    department_ids: Collection[int] | None = None  # None: every department
    category_ids: Collection[int] | None = None
    first: date | None = None
    last: date | None = None


def visible_departments(principal: Principal) -> list[int] | None:
    """The departments whose figures the principal sees; None: every department."""
    if principal.is_admin or principal.citywide:
        return None
    return sorted(principal.department_ids or ())


def codes(session: Session, model) -> dict[int, str]:
    """Code by id of every department or category."""
    return dict(session.execute(select(model.id, model.code)).all())


def ids_of(session: Session, model, code: str) -> list[int]:
    """The ids of the department or category with this code (none if unknown)."""
    return list(session.scalars(select(model.id).where(model.code == code)))


def scope_for(
    session: Session,
    principal: Principal,
    *,
    department: str | None = None,
    category: str | None = None,
    first: date | None = None,
    last: date | None = None,
) -> Scope:
    """What the principal's board covers: their departments (narrowed to `department`), a
    category, the days tickets were reported."""
    departments = visible_departments(principal)
    if department is not None:
        wanted = ids_of(session, Department, department)
        departments = wanted if departments is None else sorted(set(wanted) & set(departments))
    return Scope(
        department_ids=departments,
        category_ids=ids_of(session, Category, category) if category is not None else None,
        first=first,
        last=last,
    )


def day_start(day: date) -> datetime:
    """The UTC instant a Berlin day begins."""
    return datetime.combine(day, time(), BERLIN).astimezone(UTC)


def _where_groups(column_department, column_category, scope: Scope) -> list:
    out = []
    if scope.department_ids is not None:
        out.append(column_department.in_(list(scope.department_ids) or [-1]))
    if scope.category_ids is not None:
        out.append(column_category.in_(list(scope.category_ids) or [-1]))
    return out


def open_counts(session: Session, scope: Scope, at: datetime) -> dict[Group, dict[str, int]]:
    """Open tickets per group and SLA state now (as sla.service.state decides it)."""
    paused = Report.paused_since.is_not(None)
    state = case(
        # The clock stopped with time left: the deadline is unknown until it runs again.
        (and_(paused, Report.paused_since <= Report.deadline), "paused"),
        (Report.deadline < at, "breached"),
        (paused, "paused"),
        (and_(Report.at_risk_at.is_not(None), Report.at_risk_at <= at), "at_risk"),
        else_="ok",
    ).label("state")
    query = select(Report.department_id, Report.category_id, state, func.count()).where(
        Report.status.in_(sorted(states.OPEN)),
        *_where_groups(Report.department_id, Report.category_id, scope),
    )
    if scope.first is not None:
        query = query.where(Report.created_at >= day_start(scope.first))
    if scope.last is not None:
        query = query.where(Report.created_at < day_start(scope.last + timedelta(days=1)))
    out: dict[Group, dict[str, int]] = defaultdict(lambda: dict.fromkeys(OPEN_COLUMNS, 0))
    for department_id, category_id, name, count in session.execute(
        query.group_by(Report.department_id, Report.category_id, state)
    ):
        out[(department_id, category_id)][name] += count
        out[(department_id, category_id)]["open"] += count
    return out


def _month(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def periods(first: date | None, last: date | None):
    """The condition on `sla_figures` rows covering the created days [first, last]."""
    table = SlaFigures
    if first is None and last is None:
        return table.period == "m"
    after = last + timedelta(days=1) if last is not None else None
    full_from = None if first is None else (first if first.day == 1 else _next_month(first))
    full_to = None if after is None else _month(after)  # months before this one are whole
    month_rows = [table.period == "m"]
    if full_from is not None:
        month_rows.append(table.start >= full_from)
    if full_to is not None:
        month_rows.append(table.start < full_to)
    if full_from is not None and full_to is not None and full_from >= full_to:
        # No whole month inside the window: its days alone.
        return and_(table.period == "d", table.start >= first, table.start < after)
    parts = [and_(*month_rows)]
    if first is not None and full_from != first:
        parts.append(and_(table.period == "d", table.start >= first, table.start < full_from))
    if after is not None and full_to != after:
        parts.append(and_(table.period == "d", table.start >= full_to, table.start < after))
    return or_(*parts)


def history_counts(session: Session, scope: Scope) -> dict[Group, dict[str, int]]:
    """Sums of the kept figures per group for the reports created in the scope's days."""
    table = SlaFigures
    sums = [func.coalesce(func.sum(getattr(table, c)), 0) for c in COLUMNS]
    query = (
        select(table.department_id, table.category_id, *sums)
        .where(
            periods(scope.first, scope.last),
            *_where_groups(table.department_id, table.category_id, scope),
        )
        .group_by(table.department_id, table.category_id)
    )
    return {
        (row[0], row[1]): dict(zip(COLUMNS, (int(v) for v in row[2:]), strict=True))
        for row in session.execute(query)
    }


def estimate(bands: list[int], share: float) -> float | None:
    """The hours below which `share` of the resolutions lie, interpolated within its band."""
    total = sum(bands)
    if not total:
        return None
    rank, seen, lower = share * total, 0, 0.0
    for upper, count in zip((*HOUR_BANDS, None), bands, strict=True):
        if count and seen + count >= rank:
            if upper is None:  # the open band: say at least its lower bound
                return float(lower)
            return round(lower + (upper - lower) * (rank - seen) / count, 1)
        seen += count
        lower = float(upper) if upper is not None else lower
    return float(lower)


def figures(open_: dict[str, int], done: dict[str, int]) -> dict:
    """One group's figures as the board shows them."""
    resolved, met = done.get("resolved", 0), done.get("met", 0)
    bands = [done.get(c, 0) for c in BAND_COLUMNS]
    return {
        "open": open_.get("open", 0),
        "at_risk": open_.get("at_risk", 0),
        "breached": open_.get("breached", 0),
        "paused": open_.get("paused", 0),
        "resolved": resolved,
        "resolved_within_sla": met,
        "resolved_within_sla_pct": round(100 * met / resolved, 1) if resolved else None,
        "median_hours_to_resolve": estimate(bands, 0.5),
        "p90_hours_to_resolve": estimate(bands, 0.9),
    }


def _add(into: dict[str, int], counts: dict[str, int]) -> None:
    for key, value in counts.items():
        into[key] = into.get(key, 0) + value


def summary(
    session: Session,
    scope: Scope,
    at: datetime,
    department_codes: dict[int, str],
    category_codes: dict[int, str],
) -> dict:
    """Totals and per-department and per-category figures of the scope."""
    live, history = open_counts(session, scope, at), history_counts(session, scope)
    groups = {"total": ({}, {})}
    by_department: dict[str, tuple[dict, dict]] = defaultdict(lambda: ({}, {}))
    by_category: dict[str, tuple[dict, dict]] = defaultdict(lambda: ({}, {}))
    for index, source in enumerate((live, history)):
        for (department_id, category_id), counts in source.items():
            for target in (
                groups["total"],
                by_department[department_codes.get(department_id, str(department_id))],
                by_category[category_codes.get(category_id, str(category_id))],
            ):
                _add(target[index], counts)
    return {
        "total": figures(*groups["total"]),
        "by_department": {k: figures(*v) for k, v in sorted(by_department.items())},
        "by_category": {k: figures(*v) for k, v in sorted(by_category.items())},
    }


def board_summary(session: Session, scope: Scope, at: datetime) -> dict:
    """The SLA board (`schemas.SlaSummary`): when, which days, and the scope's figures."""
    return {
        "at": at,
        "from_": scope.first,
        "to": scope.last,
        **summary(session, scope, at, codes(session, Department), codes(session, Category)),
    }


@dataclass(frozen=True)
class BreachPage:
    """A page of breached tickets, how many the filter has, and the next page's cursor."""

    items: list[Report]
    count: int
    next_cursor: str | None


BREACH_CURSOR_TAG = "breaches"


def breaches(
    session: Session,
    department_ids: Collection[int] | None,
    at: datetime,
    *,
    department: str | None = None,
    category: str | None = None,
    cursor: str | None = None,
    limit: int,
) -> BreachPage:
    """Open tickets past their deadline (and not paused), the oldest deadline first: a page
    from `cursor` on, of the given departments (None: all) and filters."""
    breached = select(Report).where(
        Report.status.in_(sorted(states.OPEN)),
        Report.paused_since.is_(None),
        Report.deadline < at,
    )
    if department_ids is not None:
        breached = breached.where(Report.department_id.in_(department_ids or {-1}))
    if department is not None:
        breached = breached.where(Report.department_id.in_(ids_of(session, Department, department)))
    if category is not None:
        breached = breached.where(Report.category_id.in_(ids_of(session, Category, category)))
    count = session.scalar(select(func.count()).select_from(breached.subquery()))
    query = breached
    if cursor is not None:
        position = paging.decode_cursor(cursor, (datetime, int), tag=BREACH_CURSOR_TAG)
        query = query.where(paging.after((Report.deadline, Report.id), position))
    # The open abuse flags in one query for the page, not one per ticket (a ticket shows them).
    query = query.options(selectinload(Report.open_abuse_flags))
    rows = list(
        session.scalars(query.order_by(Report.deadline, Report.id).limit(limit + 1)).unique()
    )
    page, next_cursor = paging.split_page(
        rows, limit, lambda r: (r.deadline, r.id), tag=BREACH_CURSOR_TAG
    )
    return BreachPage(page, count, next_cursor)


def trend(session: Session, first: date, days: int, department_ids: Collection[int] | None):
    """Per Berlin day created and resolved; per ISO week resolved and the share within promise."""
    table = SlaFigures
    query = (
        select(
            table.start,
            func.sum(table.created),
            func.sum(table.resolved_on),
            func.sum(table.met_on),
        )
        .where(
            table.period == "d",
            table.start >= first,
            table.start < first + timedelta(days=days),
            *_where_groups(table.department_id, table.category_id, Scope(department_ids)),
        )
        .group_by(table.start)
    )
    per_day = {row[0]: (int(row[1]), int(row[2]), int(row[3])) for row in session.execute(query)}
    series, weeks = [], defaultdict(lambda: [0, 0])
    for offset in range(days):
        day = first + timedelta(days=offset)
        created, resolved, met = per_day.get(day, (0, 0, 0))
        series.append({"date": day, "created": created, "resolved": resolved})
        if resolved:
            year, week, _ = day.isocalendar()
            weeks[f"{year}-W{week:02d}"][0] += resolved
            weeks[f"{year}-W{week:02d}"][1] += met
    return {
        "days": series,
        "weeks": [
            {
                "week": week,
                "resolved": resolved,
                "within_promise_pct": round(100 * met / resolved, 1),
            }
            for week, (resolved, met) in sorted(weeks.items())
        ],
    }


def transparency(session: Session) -> list[dict]:
    """Per month (of reporting) and category: resolved, and how many within the promise."""
    category_codes = codes(session, Category)
    table = SlaFigures
    query = (
        select(table.start, table.category_id, func.sum(table.resolved), func.sum(table.met))
        .where(table.period == "m")
        .group_by(table.start, table.category_id)
    )
    items = []
    for start, category_id, resolved, met in session.execute(query):
        if not resolved:
            continue
        items.append(
            {
                "month": start.strftime("%Y-%m"),
                "category": category_codes.get(category_id, str(category_id)),
                "resolved": int(resolved),
                "within_promise": int(met),
                "within_promise_pct": round(100 * int(met) / int(resolved), 1),
            }
        )
    return sorted(items, key=lambda item: (item["month"], item["category"]))
