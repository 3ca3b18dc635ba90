"""A plausible past for the demo city: reports, their tickets' lives, supporters, in bulk.

`write_history` files `reports` reports over the `years` before the day `until` (Europe/Berlin)
— by category with the seasons, by weekday and hour (profile.py) — routes each with the router
in force, gives it the promise intake would give it, and plays its ticket's life (timeline.py)
up to the end of the history (generate.py). Rows are written in bulk (writer.py) in the
caller's transaction; the caller commits. The same seed on the same database writes the same
rows.

What the service would find afterwards is what it would have left itself: public ids continue
per year, open tickets past their deadline were escalated (and warned) once, resolved tickets
past the quiet period are closed, contact data of tickets done longer than the retention time
is gone, and the "is it fixed?" mails of tickets still resolved were sent. So the worker's
first sweep has only the present to act on. Reports have no photos.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...clock import BERLIN
from ...core.catalog import Category
from ...core.models import Report
from ...i18n import msg
from .generate import History
from .summary import Summary, history_end

__all__ = ["HistoryRefused", "Summary", "history_end", "write_history"]


class HistoryRefused(Exception):
    """The history cannot be written into this database; `message` says why (de, en)."""

    def __init__(self, code: str, **params) -> None:
        self.code = code
        self.message = msg(code, **params)
        super().__init__(self.message["en"])


def write_history(
    session: Session,
    *,
    reports: int,
    seed: int,
    until: date,
    years: float = 1.0,
    append: bool = False,
    config: Mapping,
    boundary,
    now: datetime,
) -> Summary:
    """Write `reports` reports of the `years` before `until` (see the module); caller commits.

    `config` is the app's settings (SLA policy, quiet period, retention, secret key, base URL,
    city name, password hash method); `boundary` the city's (multi)polygon; `now` the clock.
    Refused (HistoryRefused) when reports exist and not `append`, when `until` is after
    today, or without categories.
    """
    started = time.perf_counter()
    today = now.astimezone(BERLIN).date()
    if until > today:
        raise HistoryRefused("history_in_future", today=f"{today:%d.%m.%Y}")
    existing = session.scalar(select(func.count()).select_from(Report))
    if existing and not append:
        raise HistoryRefused("history_not_empty", count=existing)
    if session.scalar(select(Category.id).where(Category.active).limit(1)) is None:
        raise HistoryRefused("history_no_catalogue")
    days = max(1, round(years * 365.25))
    history = History(session, config, boundary, until, days)
    history.run(seed, reports)
    summary = history.summary
    summary.seconds = time.perf_counter() - started
    return summary
