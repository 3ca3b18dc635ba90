"""SLA jobs: sweeps scheduled just after deadlines (in buckets), one every minute as safety net."""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy.exc import IntegrityError

from ..city import city
from ..clock import BERLIN, now
from ..core.links import links
from ..core.models import Report
from ..extensions import db
from ..jobs import Call, enqueue_all
from ..notify.service import queue_mail
from . import service

log = logging.getLogger(__name__)


# Deadlines are gathered in buckets: a sweep at the end of each bucket acts on every ticket
# due by then, so a warning or an escalation comes at most this late. One rq job per ticket
# and moment cost every intake two jobs (a tenth of its CPU); a bucket is scheduled once per
# process, and the recurring sweep (every minute) still catches a bucket Redis lost.
CHECK_BUCKET_SECONDS = 15
_SCHEDULED = "maengelmelder.sla.scheduled_buckets"


def check_moment(at: datetime) -> datetime:
    """When the sweep that covers the moment `at` runs: the end of its bucket, after `at`."""
    epoch = math.ceil((at.timestamp() + 1) / CHECK_BUCKET_SECONDS) * CHECK_BUCKET_SECONDS
    return datetime.fromtimestamp(epoch, UTC)


def schedule_checks(report: Report) -> None:
    """Have the ticket checked just after its at-risk moment and its deadline (by a sweep)."""
    moments = {check_moment(at) for at in (report.at_risk_at, report.deadline) if at}
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    scheduled: set[datetime] = app.extensions.setdefault(_SCHEDULED, set())
    wanted = sorted(moments - scheduled)
    if not wanted:
        return
    calls = [Call(sweep, (), at, f"sla-sweep-{int(at.timestamp())}") for at in wanted]
    if enqueue_all(calls):
        if len(scheduled) > 10_000:  # forget buckets long past
            horizon = datetime.now(UTC) - timedelta(days=1)
            scheduled.difference_update([at for at in scheduled if at < horizon])
        scheduled.update(wanted)


def check_ticket(report_id: int) -> list[str]:
    """Warn or escalate one ticket if it is due; doing it twice changes nothing."""
    try:
        actions = service.act(db.session, report_id, now())
        if "breach" in actions:
            _mail_supervisors(db.session.get(Report, report_id))
        db.session.commit()
    except IntegrityError:
        # Another worker escalated this deadline first.
        db.session.rollback()
        return []
    return actions


def sweep() -> dict[str, int]:
    """Act on every due ticket, so nothing is missed if Redis lost a job or was down."""
    counts = {"at_risk": 0, "breach": 0}
    for report_id in service.due_ids(db.session, now()):
        for action in check_ticket(report_id):
            counts[action] += 1
    db.session.remove()
    return counts


def _mail_supervisors(report: Report) -> None:
    urls = links()
    for email, lang in service.supervisors_of(db.session, report):
        context = {
            "public_id": report.public_id,
            "category": report.category.name_de if lang == "de" else report.category.name_en,
            "department": report.department.name_de if lang == "de" else report.department.name_en,
            "deadline_local": report.deadline.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M"),
            "staff_url": urls.staff_url(report),
            "city_name": city().name,
        }
        queue_mail(
            db.session,
            kind="escalation",
            to=email,
            template="escalation",
            context=context,
            now=now(),
            lang=lang,
            report_id=report.id,
            dedupe_key=f"{report.id}:escalation:{report.deadline.isoformat()}:{email}",
        )


def daily_digest() -> int:
    """Mail each supervisor the breached and at-risk tickets they answer for, once a day."""
    from sqlalchemy import select

    from ..accounts.models import User
    from ..core import states

    at = now()
    day = at.astimezone(BERLIN).date().isoformat()
    staff_url = links().url("/staff")
    open_tickets = db.session.scalars(
        select(Report).where(Report.status.in_(states.OPEN)).order_by(Report.deadline)
    ).all()
    supervisors = db.session.scalars(
        select(User).where(User.role == "supervisor", User.active.is_(True))
    ).all()
    queued = 0
    for user in supervisors:
        mine = {d.id for d in user.departments}
        lang = user.lang if user.lang in ("de", "en") else "de"
        lists: dict[str, list[dict]] = {"breached": [], "at_risk": []}
        for report in open_tickets:
            if not (user.citywide or report.department_id in mine):
                continue
            state = service.state(report, at)
            if state in lists:
                category = report.category.name_de if lang == "de" else report.category.name_en
                lists[state].append(
                    {
                        "public_id": report.public_id,
                        "category": category,
                        "deadline_local": report.deadline.astimezone(BERLIN).strftime(
                            "%d.%m.%Y %H:%M"
                        ),
                    }
                )
        if not lists["breached"] and not lists["at_risk"]:
            continue
        message = queue_mail(
            db.session,
            kind="digest",
            to=user.email,
            template="digest",
            context={**lists, "city_name": city().name, "staff_url": staff_url},
            now=at,
            lang=lang,
            dedupe_key=f"digest:{user.id}:{day}",
        )
        queued += message is not None
    db.session.commit()  # wakes the mail sender (notify.wake)
    return queued
