"""Answers from bodies without Open311: signed webhook updates.

A body reached by webhook posts `{"delivery": key, "status": …, "note": …}` back, signed like
our outbound requests (HMAC-SHA256 with the destination's secret over `timestamp + "." +
body`). Each update is an `external_update` event on the ticket; `resolved` resolves a ticket
that waits for the body (the reporter is told, as for the department's own resolution),
`returned` gives it back to its department with the reason. The same update sent again
(same delivery, timestamp and body) is recognised by its digest and changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core import states
from ..core.events import Change, TicketEvent, record
from ..core.models import Report
from ..errors import ApiError, field_error
from ..tickets import service as tickets
from .answers import RESOLVED_NOTE
from .channels import signature
from .models import WEBHOOK, Delivery

MAX_AGE = 300  # seconds a signed update stays acceptable
MAX_BODY = 16 * 1024
MAX_NOTE = 2000
ACKNOWLEDGED, RESOLVED, RETURNED = "acknowledged", "resolved", "returned"
UPDATE_STATUSES = (ACKNOWLEDGED, RESOLVED, RETURNED)
KEY = re.compile(r"[0-9a-f]{1,64}")


def parse(body: bytes, loads: Callable[[bytes], object] = json.loads) -> dict:
    """The update's fields, checked before anything is looked up; 400/422 with a message.

    `loads` is the app's JSON parser (it refuses invalid Unicode and deep nesting)."""
    if len(body) > MAX_BODY:
        raise ApiError(413, "update_too_large")
    try:
        data = loads(body)
    except (ValueError, RecursionError) as exc:
        raise ApiError(400, "invalid_json") from exc
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json")
    key = data.get("delivery")
    if not isinstance(key, str) or not KEY.fullmatch(key):
        raise field_error("delivery", "update_delivery_invalid")
    status = data.get("status")
    if status not in UPDATE_STATUSES:
        raise field_error("status", "update_status_invalid")
    note = data.get("note")
    if note is not None and not isinstance(note, str):
        raise field_error("note", "update_note_invalid")
    note = (note or "").strip()
    if not note_ok(note):
        raise field_error("note", "update_note_invalid")
    if status == RETURNED and not note:
        raise field_error("note", "update_reason_required")
    return {"delivery": key, "status": status, "note": note or None}


def note_ok(note: str) -> bool:
    """At most MAX_NOTE characters, and no NUL (no database text holds one)."""
    return len(note) <= MAX_NOTE and "\x00" not in note


def verify(
    session: Session, key: str, timestamp: str | None, sig: str | None, body: bytes, now: datetime
) -> Delivery:
    """The delivery the update is about, if the signature and its age are right; else 401.

    An unknown delivery, a destination that is not a webhook and a wrong signature look the
    same to the caller."""
    try:
        stamp = int(timestamp or "")
    except ValueError:
        raise ApiError(401, "update_signature_invalid") from None
    delivery = session.scalar(select(Delivery).where(Delivery.key == key))
    secret = delivery.destination.secret if delivery is not None else None
    if delivery is None or delivery.destination.channel != WEBHOOK or not secret:
        raise ApiError(401, "update_signature_invalid")
    expected = signature(secret, str(stamp), body)
    if not hmac.compare_digest(expected.encode(), (sig or "").encode()):
        raise ApiError(401, "update_signature_invalid")
    if abs(now.timestamp() - stamp) > MAX_AGE:
        raise ApiError(401, "update_too_old")
    return delivery


def digest(key: str, timestamp: str, body: bytes) -> str:
    return hashlib.sha256(key.encode() + b"\n" + timestamp.encode() + b"\n" + body).hexdigest()


def apply(
    session: Session,
    delivery: Delivery,
    update: dict,
    change: Change,
    seen: str,
    attach: Callable[[Report], list[int]] | None = None,
) -> str | None:
    """Record one update; None when it was seen before (a replay: nothing written).

    `attach` adds the update's photos to the report (after the replay check, before the
    event, which names the photos' ids); it raises to write nothing."""
    # One update of a delivery at a time (SQLite serialises writers anyway).
    session.execute(select(Delivery.id).where(Delivery.id == delivery.id).with_for_update()).all()
    report = session.get(Report, delivery.report_id)
    earlier = session.scalars(
        select(TicketEvent.data).where(
            TicketEvent.report_id == report.id, TicketEvent.kind == "external_update"
        )
    ).all()
    if any(isinstance(data, dict) and data.get("update") == seen for data in earlier):
        return None
    if report.status not in states.OPEN:
        raise ApiError(409, "update_ticket_closed")
    destination = delivery.destination
    status, note = update["status"], update["note"]
    photos = attach(report) if attach is not None else []
    record(
        report,
        change,
        "external_update",
        internal_note=note,
        data={
            "destination": destination.id,
            "name": {"de": destination.name_de, "en": destination.name_en},
            "status": status,
            "delivery": delivery.key,
            "update": seen,
            **({"photos": photos} if photos else {}),
        },
    )
    delivery.remote_status = status
    delivery.remote_checked_at = change.now
    waiting = report.status == states.WAITING_EXTERNAL
    if status == RESOLVED and waiting:
        public = note or RESOLVED_NOTE["de"].format(name=destination.name_de)
        tickets.transition(session, report, change, to=states.RESOLVED, public_note=public)
    elif status == RETURNED and waiting:
        tickets.transition(session, report, change, to=states.IN_PROGRESS, internal_note=note)
    session.flush()
    return status
