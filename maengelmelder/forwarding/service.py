"""Destinations as data, and handing a ticket over to one.

A hand-over writes the ticket's event and one `Delivery` row in the caller's transaction (the
request commits): a rolled-back change sends nothing, a committed one is always delivered,
by the job in `sending`, however often the enqueue after the commit is lost.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..clock import isoformat
from ..core import states
from ..core.events import Change, record
from ..core.models import Report
from ..errors import ApiError, field_error
from ..tickets import service as tickets
from . import messages  # noqa: F401  (the feature's messages)
from .link import link_hash
from .models import EMAIL, FAILED, PENDING, WEBHOOK, Delivery, Destination
from .wake import mark

# Fields a channel needs, and the ones it has no use for.
NEEDS = {"open311": ("url", "api_key"), "email": ("email",), "webhook": ("url",)}
USES = {
    "open311": {"url", "api_key", "jurisdiction_id", "service_codes"},
    "email": {"email"},
    "webhook": {"url"},
}
CHANNEL_FIELDS = ("url", "api_key", "jurisdiction_id", "service_codes", "email")


def _check_channel(channel: str, values: dict) -> None:
    for name in NEEDS[channel]:
        if not values.get(name):
            raise field_error(name, "destination_field_required")
    for name in CHANNEL_FIELDS:
        if values.get(name) and name not in USES[channel]:
            raise field_error(name, "destination_field_unused")


def create_destination(session: Session, values: dict, now: datetime) -> Destination:
    """A new destination; a webhook's secret is made here (the caller shows it once)."""
    _check_channel(values["channel"], values)
    destination = Destination(
        created_at=now,
        updated_at=now,
        active=values.get("active", True),
        secret=secrets.token_urlsafe(32) if values["channel"] == WEBHOOK else None,
        **{k: v for k, v in values.items() if k != "active"},
    )
    session.add(destination)
    session.flush()
    return destination


def find_destination(session: Session, destination_id: int) -> Destination:
    destination = session.get(Destination, destination_id) if 0 < destination_id < 2**31 else None
    if destination is None:
        raise ApiError(404, "destination_not_found")
    return destination


def update_destination(
    session: Session, destination: Destination, values: dict, now: datetime
) -> Destination:
    """Change a destination's names, address or settings; its channel stays."""
    if "channel" in values and values["channel"] != destination.channel:
        raise field_error("channel", "destination_channel_fixed")
    merged = {name: getattr(destination, name) for name in CHANNEL_FIELDS} | values
    _check_channel(destination.channel, merged)
    for name, value in values.items():
        if name != "channel":
            setattr(destination, name, value)
    destination.updated_at = now
    session.flush()
    return destination


def deactivate_destination(session: Session, destination: Destination, now: datetime) -> None:
    """Switch a destination off: nothing new goes to it, its deliveries stay as they are."""
    destination.active = False
    destination.updated_at = now
    session.flush()


def payload(report: Report, note: str | None) -> dict:
    """What a hand-over sends, fixed when it is made (retries send the same).

    Never the reporter's address or name: the external body gets the defect, not the person.
    """
    return {
        "report": report.public_id,
        "category": report.category.code,
        "category_name": {"de": report.category.name_de, "en": report.category.name_en},
        "description": report.description,
        "lat": report.lat,
        "lon": report.lon,
        "address": report.address,
        "created_at": isoformat(report.created_at),
        "note": note or None,
    }


def forward(
    session: Session,
    report: Report,
    change: Change,
    *,
    destination: int,
    note: str | None = None,
    copy_only: bool = False,
    link_secret: str | None = None,
    rule: str | None = None,
) -> Delivery:
    """Hand the ticket to an external body: an event, the state `waiting_external` (the SLA
    clock pauses) unless the body only gets a copy, and the delivery row, in one transaction.

    `rule` is the id of the routing rule that named the body, when intake hands over."""
    target = session.get(Destination, destination) if 0 < destination < 2**31 else None
    if target is None:
        raise field_error("destination", "destination_not_found")
    if not target.active:
        raise field_error("destination", "destination_inactive")
    if report.status not in states.OPEN:
        raise ApiError(409, "ticket_closed_for_forwarding")
    if not copy_only and report.status != states.WAITING_EXTERNAL:
        tickets.transition(session, report, change, to=states.WAITING_EXTERNAL, internal_note=note)
    event = record(
        report,
        change,
        "handed_over",
        internal_note=note,
        data={
            "destination": target.id,
            "name": {"de": target.name_de, "en": target.name_en},
            "channel": target.channel,
            "copy_only": copy_only,
            **({"rule_id": rule} if rule is not None else {}),
        },
    )
    session.flush()
    key = uuid.uuid4().hex
    delivery = Delivery(
        key=key,
        created_at=change.now,
        report_id=report.id,
        destination_id=target.id,
        event_id=event.id,
        payload=payload(report, note),
        status=PENDING,
        attempts=0,
        next_attempt_at=change.now,
        # An e-mail body answers through the secret link its mail carries.
        link_hash=link_hash(link_secret, key) if target.channel == EMAIL and link_secret else None,
    )
    session.add(delivery)
    session.flush()
    mark(session, delivery.id)
    return delivery


def for_report(session: Session, report_id: int) -> list[Delivery]:
    """A report's deliveries, oldest first."""
    return list(
        session.scalars(
            select(Delivery).where(Delivery.report_id == report_id).order_by(Delivery.id)
        )
    )


def retry_failed(session: Session, report: Report, delivery_id: int, now: datetime) -> Delivery:
    """Try a failed delivery again, due now, with fresh attempts; 404 unless it failed."""
    delivery = session.get(Delivery, delivery_id) if 0 < delivery_id < 2**31 else None
    if delivery is None or delivery.report_id != report.id or delivery.status != FAILED:
        raise ApiError(404, "delivery_not_failed")
    delivery.status = PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.failed_at = None
    session.flush()
    mark(session, delivery.id)
    return delivery


def failed_count(session: Session, department_ids: list[int] | None = None) -> int:
    """How many deliveries failed for good (of the departments' tickets, when given)."""
    query = select(func.count(Delivery.id)).where(Delivery.status == FAILED)
    if department_ids is not None:
        query = query.join(Report, Report.id == Delivery.report_id).where(
            Report.department_id.in_(department_ids)
        )
    return session.scalar(query) or 0
