"""Parameters of Open311 requests: empty means missing, dates, pages, the request query."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime, timedelta

from flask import request
from sqlalchemy import select

from ..clock import now
from ..core import states
from ..core.catalog import Category
from ..core.events import TicketEvent
from ..core.models import Report, publicly_listed
from ..extensions import db
from .serialize import message
from .xml import Open311Error

MAX_RESULTS = 1000
WINDOW = timedelta(days=90)
# Pages are counted by offset (GeoReport v2 has no cursor): a page must start among the first
# this many requests, so no page reads further; start_date and end_date reach the rest.
MAX_DEPTH = 10_000


def error(status: int, code: str, **params: object) -> Open311Error:
    return Open311Error(status, message(code, **params))


def merged_params(*sources) -> dict[str, str]:
    """Parameters with empty values dropped: an empty optional parameter is a missing one."""
    out: dict[str, str] = {}
    for source in sources:
        for key, value in source.items():
            if key is None:  # a multipart part without a name: no parameter at all
                continue
            if "\x00" in key or "\x00" in value:
                raise error(400, "invalid_param", name=key.replace("\x00", "")[:50])
            if key not in out and value.strip():
                out[key] = value.strip() if key != "description" else value
    return out


def lang_of(params: dict[str, str]) -> str:
    locale = params.get("locale")
    if locale:
        return "en" if locale.lower().startswith("en") else "de"
    return request.accept_languages.best_match(["de", "en"], "de")


_SPACE_FOR_PLUS = re.compile(r" (\d\d:?\d\d)$")


def date_param(params: dict[str, str], name: str) -> datetime | None:
    raw = params.get(name)
    if raw is None:
        return None
    # A '+01:00' sent unencoded in a query string arrives as ' 01:00'.
    raw = _SPACE_FOR_PLUS.sub(r"+\1", raw)
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None or "T" not in raw.upper():
        raise error(400, "date", name=name)
    if not 1970 <= value.year <= 2999:  # keeps the 90-day arithmetic and the databases sane
        raise error(400, "date", name=name)
    return value


def int_param(params: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise error(400, "invalid_param", name=name)
    return int(raw)


def flag_param(params: dict[str, str], name: str) -> bool:
    raw = params.get(name, "false").lower()
    if raw not in {"true", "false", "1", "0"}:
        raise error(400, "invalid_param", name=name)
    return raw in {"true", "1"}


def csv_param(raw: str | None) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in (raw or "").split(",") if v.strip()))


def request_query(params: dict[str, str]):
    """The query of GET requests.[fmt]; service_request_id overrides every other filter."""
    query = select(Report).where(publicly_listed())
    ids = csv_param(params.get("service_request_id"))
    if ids:
        if len(ids) > MAX_RESULTS:
            raise error(400, "too_many_ids", limit=MAX_RESULTS)
        return query.where(Report.public_id.in_(ids))
    statuses = csv_param(params.get("status"))
    if any(s not in {"open", "closed"} for s in statuses):
        raise error(400, "status")
    start, end = date_param(params, "start_date"), date_param(params, "end_date")
    if start is not None and end is not None:
        if end < start:
            raise error(400, "date_order")
        if end - start > WINDOW:
            raise error(400, "date_span")
    elif start is not None:
        end = start + WINDOW
    elif end is not None:
        start = end - WINDOW
    else:
        start = now() - WINDOW
    query = query.where(Report.created_at >= start)
    if end is not None:
        query = query.where(Report.created_at <= end)
    codes = csv_param(params.get("service_code"))
    if codes:
        # Ids rather than a subquery: the planner then reads (status, category, created_at).
        ids = db.session.scalars(select(Category.id).where(Category.code.in_(codes)))
        query = query.where(Report.category_id.in_(list(ids)))
    # States named (not "not open"), so the same index answers both.
    if set(statuses) == {"open"}:
        query = query.where(Report.status.in_(sorted(states.OPEN)))
    elif set(statuses) == {"closed"}:
        query = query.where(Report.status.in_(sorted(states.DONE)))
    return query


def events_of(reports: list[Report], all_events: bool) -> dict[int, list[TicketEvent]]:
    """The reports' events in one query: all of them, or only those with a public note."""
    by_report: dict[int, list[TicketEvent]] = defaultdict(list)
    if not reports:
        return by_report
    query = select(TicketEvent).where(TicketEvent.report_id.in_([r.id for r in reports]))
    if not all_events:
        query = query.where(TicketEvent.public_note.is_not(None))
    for event in db.session.scalars(query.order_by(TicketEvent.id)):
        by_report[event.report_id].append(event)
    return by_report
