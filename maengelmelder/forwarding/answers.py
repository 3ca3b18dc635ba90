"""Answers coming back: the status of what we filed in an Open311 back office.

The poll asks each body for the requests we delivered there and have not seen closed; a change
is an event on the ticket, and a `closed` resolves a ticket that waits for that body (with
their status notes as the public note, and the reporter's mail, as the department's own
resolution does). No transaction is open while a body is asked.

A body whose POST answered a `token` instead of a `service_request_id` (GeoReport v2's batch
services) is first asked `GET tokens/<token>.json` on each poll until it names the id; the id
is stored and polled for status from then on.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from urllib.parse import quote

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..clock import now
from ..core import states
from ..core.events import Change, record
from ..core.models import Report
from ..tickets import service as tickets
from .channels import TIMEOUT, Refused, Trouble, _check_status, _request
from .models import DELIVERED, OPEN311, Delivery, Destination

log = logging.getLogger("maengelmelder.forwarding")

Fetch = Callable[[Destination, str], tuple[str, str | None]]
Resolve = Callable[[Destination, str], str | None]

RESOLVED_NOTE = {
    "de": "Von {name} als erledigt gemeldet.",
    "en": "Reported as done by {name}.",
}


def open311_token(
    destination: Destination, token: str, timeout: tuple[float, float] = TIMEOUT
) -> str | None:
    """Their `service_request_id` for a token they answered our POST with; None while the
    body has not made the request yet. An unknown token (404) or a garbled answer raises."""
    url = f"{(destination.url or '').rstrip('/')}/tokens/{quote(token, safe='')}.json"
    params = {"jurisdiction_id": destination.jurisdiction_id} if destination.jurisdiction_id else {}
    status, body = _request("GET", url, params=params, timeout=timeout)
    _check_status(status, body)
    try:
        answer = json.loads(body)
    except ValueError as exc:
        raise Trouble(f"HTTP {status}, not JSON") from exc
    if isinstance(answer, dict):
        answer = [answer]
    if not isinstance(answer, list) or not all(isinstance(r, dict) for r in answer):
        raise Trouble(f"HTTP {status}, not an Open311 token answer: {body[:200]!r}")
    for row in answer:
        remote_id = row.get("service_request_id")
        mine = str(row.get("token", token)) == token
        if mine and isinstance(remote_id, str | int) and str(remote_id).strip():
            return str(remote_id)[:255]
    return None


def _open311_hand_overs(session: Session, column, *where, batch: int) -> list:
    """Up to `batch` (delivery id, `column`, destination) of Open311 hand-overs of open tickets
    matching `where`, the least recently asked first; the destinations detached and the
    transaction ended, so none is open while the bodies are asked."""
    rows = session.execute(
        select(Delivery.id, column, Destination)
        .join(Destination, Destination.id == Delivery.destination_id)
        .join(Report, Report.id == Delivery.report_id)
        .where(
            Delivery.status == DELIVERED,
            Destination.channel == OPEN311,
            Report.status.in_(states.OPEN),
            *where,
        )
        .order_by(Delivery.remote_checked_at.is_not(None), Delivery.remote_checked_at, Delivery.id)
        .limit(batch)
    ).all()
    for destination in {row[2] for row in rows}:
        session.expunge(destination)
    session.rollback()
    return rows


def resolve_tokens(session: Session, resolve: Resolve, *, batch: int = 100) -> dict[str, int]:
    """Ask the bodies for the request ids of up to `batch` deliveries known by a token only."""
    counts = {"asked": 0, "failed": 0}
    rows = _open311_hand_overs(
        session,
        Delivery.remote_token,
        Delivery.remote_id.is_(None),
        Delivery.remote_token.is_not(None),
        batch=batch,
    )
    for delivery_id, token, destination in rows:
        counts["asked"] += 1
        try:
            remote_id = resolve(destination, token)
        except (Trouble, Refused) as exc:
            counts["failed"] += 1
            log.warning("token of delivery %s not resolved: %s", delivery_id, exc)
            remote_id = None
        delivery = session.get(Delivery, delivery_id)
        if delivery is not None and delivery.remote_id is None:
            delivery.remote_id = remote_id
            delivery.remote_checked_at = None if remote_id else now()
        session.commit()
    return counts


def poll_open311(
    session: Session,
    fetch: Fetch,
    change: Callable[[], Change],
    *,
    batch: int = 100,
    resolve: Resolve | None = None,
) -> dict[str, int]:
    """Ask the bodies about up to `batch` delivered, not yet closed requests; what changed.

    With `resolve`, tokens are turned into request ids first (each question counts as asked)."""
    counts = {"asked": 0, "changed": 0, "resolved": 0, "failed": 0}
    if resolve is not None:
        for name, value in resolve_tokens(session, resolve, batch=batch).items():
            counts[name] += value
    rows = _open311_hand_overs(
        session,
        Delivery.remote_id,
        Delivery.remote_id.is_not(None),
        or_(Delivery.remote_status.is_(None), Delivery.remote_status != "closed"),
        batch=batch,
    )
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
