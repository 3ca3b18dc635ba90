"""Answers coming back: the status of what we filed in an Open311 back office.

The poll asks each body for the requests we delivered there and have not seen closed; a change
is an event on the ticket, and a `closed` resolves a ticket that waits for that body (with
their status notes as the public note, and the reporter's mail, as the department's own
resolution does). No transaction is open while a body is asked.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..core import states
from ..core.events import Change, record
from ..core.models import Report
from ..tickets import service as tickets
from .channels import Refused, Trouble
from .models import DELIVERED, OPEN311, Delivery, Destination

log = logging.getLogger("maengelmelder.forwarding")

Fetch = Callable[[Destination, str], tuple[str, str | None]]

RESOLVED_NOTE = {
    "de": "Von {name} als erledigt gemeldet.",
    "en": "Reported as done by {name}.",
}


def poll_open311(
    session: Session,
    fetch: Fetch,
    change: Callable[[], Change],
    *,
    batch: int = 100,
) -> dict[str, int]:
    """Ask the bodies about up to `batch` delivered, not yet closed requests; what changed."""
    counts = {"asked": 0, "changed": 0, "resolved": 0, "failed": 0}
    rows = session.execute(
        select(Delivery.id, Delivery.remote_id, Destination)
        .join(Destination, Destination.id == Delivery.destination_id)
        .join(Report, Report.id == Delivery.report_id)
        .where(
            Delivery.status == DELIVERED,
            Destination.channel == OPEN311,
            Delivery.remote_id.is_not(None),
            or_(Delivery.remote_status.is_(None), Delivery.remote_status != "closed"),
            Report.status.in_(states.OPEN),
        )
        .order_by(Delivery.remote_checked_at.is_not(None), Delivery.remote_checked_at, Delivery.id)
        .limit(batch)
    ).all()
    for destination in {row[2] for row in rows}:
        session.expunge(destination)
    session.rollback()  # no transaction open while the bodies are asked
    for delivery_id, remote_id, destination in rows:
        counts["asked"] += 1
        try:
            status, notes = fetch(destination, remote_id)
        except (Trouble, Refused) as exc:
            counts["failed"] += 1
            log.warning("status of delivery %s not fetched: %s", delivery_id, exc)
            continue
        outcome = _apply(session, delivery_id, destination, status, notes, change())
        session.commit()
        if outcome:
            counts[outcome] += 1
            if outcome == "resolved":
                counts["changed"] += 1
    return counts


def _apply(
    session: Session,
    delivery_id: int,
    destination: Destination,
    status: str,
    notes: str | None,
    change: Change,
) -> str | None:
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        return None
    delivery.remote_checked_at = change.now
    if status == delivery.remote_status or (delivery.remote_status is None and status == "open"):
        delivery.remote_status = status
        return None
    delivery.remote_status = status
    report = session.get(Report, delivery.report_id)
    record(
        report,
        change,
        "external_update",
        internal_note=notes,
        data={
            "destination": destination.id,
            "name": {"de": destination.name_de, "en": destination.name_en},
            "status": status,
            "remote_id": delivery.remote_id,
        },
    )
    if status == "closed" and report.status == states.WAITING_EXTERNAL:
        note = notes or RESOLVED_NOTE["de"].format(name=destination.name_de)
        tickets.transition(session, report, change, to=states.RESOLVED, public_note=note)
        return "resolved"
    session.flush()
    return "changed"
