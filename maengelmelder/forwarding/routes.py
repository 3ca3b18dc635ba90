"""Destinations (admins), hand-overs and their deliveries (staff)."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, request
from sqlalchemy import select

from .. import paging
from ..accounts.auth import STAFF, admin_required, authenticated, require
from ..clock import now
from ..core.events import Change
from ..core.links import links
from ..core.models import Report
from ..core.settings import sla_settings
from ..extensions import db
from ..i18n import msg
from ..reports.passes import queue_passes
from ..tickets import service as tickets
from ..web.api import Blueprint
from . import inbound, schemas, service
from .models import FAILED, Delivery, Destination

bp = Blueprint("forwarding", __name__, description="Forwarding reports to external bodies.")

DESTINATION_ID = {"in": "path", "name": "destination_id", "description": "the destination's id"}
DELIVERY_ID = {"in": "path", "name": "delivery_id", "description": "the delivery's id"}
PUBLIC_ID = {
    "in": "path",
    "name": "public_id",
    "description": "the report's public id, YEAR-NNNNNN",
    "schema": {"type": "string", "example": "2026-000001", "maxLength": 64},
}
IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": True,
    "description": 'the ticket version you saw (its ETag, e.g. `"3"`)',
    "schema": {"type": "string"},
}


def destination_view(destination: Destination) -> dict:
    return {
        "id": destination.id,
        "name": {"de": destination.name_de, "en": destination.name_en},
        "channel": destination.channel,
        "url": destination.url,
        "jurisdiction_id": destination.jurisdiction_id,
        "service_codes": destination.service_codes,
        "email": destination.email,
        "has_api_key": bool(destination.api_key),
        "active": destination.active,
        "created_at": destination.created_at,
        "updated_at": destination.updated_at,
    }


def delivery_view(delivery: Delivery) -> dict:
    destination = delivery.destination
    return {
        "id": delivery.id,
        "key": delivery.key,
        "destination": destination.id,
        "destination_name": {"de": destination.name_de, "en": destination.name_en},
        "channel": destination.channel,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "created_at": delivery.created_at,
        "next_attempt_at": delivery.next_attempt_at if delivery.status == "pending" else None,
        "delivered_at": delivery.delivered_at,
        "failed_at": delivery.failed_at,
        "error": delivery.last_error,
        "remote_id": delivery.remote_id,
        "remote_token": delivery.remote_token,
        "remote_status": delivery.remote_status,
    }


# -- destinations (admins) --------------------------------------------------------------------


@bp.get("/api/v1/admin/destinations")
@admin_required
@bp.arguments(schemas.DestinationsPageArgs, location="query")
@bp.response(
    200, schemas.Destinations, description="A page of destinations.", headers=paging.LINK_HEADER
)
def list_destinations(args: dict):
    """External bodies tickets can be handed to, oldest first (switched-off ones too)."""
    return _destinations_page(args, select(Destination), destination_view)


def _destinations_page(args: dict, query, view):
    query = query.order_by(Destination.id).limit(args["limit"] + 1)
    if "cursor" in args:
        (after_id,) = paging.decode_cursor(args["cursor"], (int,), tag="d")
        query = query.where(Destination.id > after_id)
    rows = list(db.session.scalars(query))
    page, cursor = paging.split_page(rows, args["limit"], lambda d: (d.id,), tag="d")
    body = {"items": [view(d) for d in page], "next_cursor": cursor}
    return body, paging.next_page_headers(cursor)


@bp.get("/api/v1/staff/destinations")
@require(*STAFF)
@bp.arguments(schemas.DestinationsPageArgs, location="query")
@bp.response(
    200,
    schemas.DestinationChoices,
    description="A page of switched-on destinations.",
    headers=paging.LINK_HEADER,
)
def staff_destinations(args: dict):
    """The switched-on external bodies, oldest first: what staff may hand a ticket to.

    Their names and channels only; their addresses, endpoints and keys stay with the admins.
    """
    query = select(Destination).where(Destination.active.is_(True))
    return _destinations_page(
        args,
        query,
        lambda d: {
            "id": d.id,
            "name": {"de": d.name_de, "en": d.name_en},
            "channel": d.channel,
        },
    )


@bp.post("/api/v1/admin/destinations")
@admin_required
@bp.arguments(schemas.DestinationIn)
@bp.response(201, schemas.DestinationCreated, description="Created; a webhook's secret, once.")
def create_destination(args: dict):
    """Add an external body. A webhook's signing secret is in this answer only."""
    destination = service.create_destination(db.session, args, now())
    db.session.commit()
    return {**destination_view(destination), "secret": destination.secret}


@bp.patch("/api/v1/admin/destinations/<int:destination_id>", parameters=[DESTINATION_ID])
@admin_required
@bp.arguments(schemas.DestinationChange)
@bp.response(200, schemas.DestinationOut, description="The changed destination.")
@bp.errors(404)
def update_destination(args: dict, destination_id: int):
    """Change a destination (names, address, key, mapping, switched on or off)."""
    destination = service.find_destination(db.session, destination_id)
    service.update_destination(db.session, destination, args, now())
    db.session.commit()
    return destination_view(destination)


@bp.delete("/api/v1/admin/destinations/<int:destination_id>", parameters=[DESTINATION_ID])
@admin_required
@bp.response(200, schemas.DestinationOut, description="Switched off.")
@bp.errors(404)
def deactivate_destination(destination_id: int):
    """Switch a destination off: it keeps its deliveries (the tickets' history needs them),
    takes no new hand-overs; deliveries still pending go out."""
    destination = service.find_destination(db.session, destination_id)
    service.deactivate_destination(db.session, destination, now())
    db.session.commit()
    return destination_view(destination)


# -- hand-overs (staff) -----------------------------------------------------------------------


def _change() -> tickets.Change:
    return tickets.Change(principal=authenticated(), now=now(), links=links(), sla=sla_settings())


@bp.post("/api/v1/tickets/<public_id>/forward-external", parameters=[PUBLIC_ID])
@require(*STAFF)
@bp.arguments(schemas.HandOverIn)
@bp.response(201, schemas.Forwarded, description="Handed over; the delivery is on its way.")
@bp.errors(404, 409, 412, 428)
@bp.doc(parameters=[IF_MATCH])
def forward_external(args: dict, public_id: str):
    """Hand the ticket to an external body with a note: the ticket records it and waits for
    the body (`waiting_external`, the SLA clock paused) unless `copy_only`; the delivery goes
    out at once and is retried until it is delivered or failed for good."""
    change = _change()
    report = tickets.ticket_for(db.session, public_id, change.principal)
    tickets.check_version(report, request.headers.get("If-Match"))
    delivery = service.forward(
        db.session, report, change, link_secret=current_app.config["SECRET_KEY"], **args
    )
    db.session.commit()
    body = {"delivery": delivery_view(delivery), "status": report.status, "version": report.version}
    return body, {"ETag": tickets.etag(report)}


@bp.get("/api/v1/tickets/<public_id>/deliveries", parameters=[PUBLIC_ID])
@require(*STAFF)
@bp.response(200, schemas.Deliveries, description="The ticket's hand-overs, oldest first.")
@bp.errors(404)
def list_deliveries(public_id: str):
    """Every hand-over of the ticket to an external body and how its delivery stands."""
    report = tickets.ticket_for(db.session, public_id, authenticated())
    return {"items": [delivery_view(d) for d in service.for_report(db.session, report.id)]}


@bp.post(
    "/api/v1/tickets/<public_id>/deliveries/<int:delivery_id>/retry",
    parameters=[PUBLIC_ID, DELIVERY_ID],
)
@require(*STAFF)
@bp.response(200, schemas.DeliveryRetried, description="Due again now, with fresh attempts.")
@bp.errors(404)
def retry_delivery(public_id: str, delivery_id: int):
    """Try a failed delivery again (after the body's address or key was fixed); the same
    idempotency key goes out again."""
    report = tickets.ticket_for(db.session, public_id, authenticated())
    delivery = service.retry_failed(db.session, report, delivery_id, now())
    db.session.commit()
    return {"delivery": delivery_view(delivery), "message": msg("delivery_retried")}


@bp.get("/api/v1/board/deliveries")
@require(*STAFF)
@bp.response(200, schemas.FailedDeliveries, description="The count of failed deliveries.")
def failed_deliveries():
    """How many hand-overs (of the caller's departments' tickets) failed for good."""
    principal = authenticated()
    departments = None if principal.is_admin or principal.citywide else principal.department_ids
    count = service.failed_count(
        db.session, sorted(departments) if departments is not None else None
    )
    return {"failed": count}


@bp.get("/api/v1/deliveries")
@require("supervisor", "admin")
@bp.arguments(schemas.DeliveriesPageArgs, location="query")
@bp.response(
    200,
    schemas.FailedDeliveryPage,
    description="A page of failed deliveries, newest first.",
    headers=paging.LINK_HEADER,
)
def list_failed_deliveries(args: dict):
    """Hand-overs that failed for good, newest first, with their tickets (of the caller's
    departments, unless an admin or city-wide); each is retried on its ticket."""
    principal = authenticated()
    departments = None if principal.is_admin or principal.citywide else principal.department_ids
    query = (
        select(Delivery, Report.public_id)
        .join(Report, Report.id == Delivery.report_id)
        .where(Delivery.status == FAILED)
        .order_by(Delivery.failed_at.desc(), Delivery.id.desc())
        .limit(args["limit"] + 1)
    )
    if departments is not None:
        query = query.where(Report.department_id.in_(sorted(departments)))
    if "cursor" in args:
        position = paging.decode_cursor(args["cursor"], (datetime, int), tag="fd")
        query = query.where(
            paging.after((Delivery.failed_at, Delivery.id), position, descending=True)
        )
    rows = db.session.execute(query).all()
    page, cursor = paging.split_page(
        rows, args["limit"], lambda row: (row[0].failed_at, row[0].id), tag="fd"
    )
    items = [
        {
            "id": delivery.id,
            "report": public_id,
            "destination": delivery.destination.id,
            "destination_name": {
                "de": delivery.destination.name_de,
                "en": delivery.destination.name_en,
            },
            "channel": delivery.destination.channel,
            "attempts": delivery.attempts,
            "error": delivery.last_error,
            "failed_at": delivery.failed_at,
            "created_at": delivery.created_at,
        }
        for delivery, public_id in page
    ]
    return {"items": items, "next_cursor": cursor}, paging.next_page_headers(cursor)


# -- answers from webhook bodies (signed, no account) ----------------------------------------

SIGNATURE_HEADERS = [
    {
        "in": "header",
        "name": "X-Maengelmelder-Timestamp",
        "required": True,
        "description": "Unix seconds; refused when more than 5 minutes off",
        "schema": {"type": "string"},
    },
    {
        "in": "header",
        "name": "X-Maengelmelder-Signature",
        "required": True,
        "description": (
            '`sha256=` and the hex HMAC-SHA256 with the webhook secret over `timestamp + "." +'
            " body`"
        ),
        "schema": {"type": "string"},
    },
]


@bp.post("/api/v1/forwarding/updates")
@bp.doc(
    parameters=SIGNATURE_HEADERS,
    requestBody={"required": True, "content": {"application/json": {"schema": schemas.UpdateIn}}},
)
@bp.response(200, schemas.UpdateRecorded, description="Recorded, or a replay that changed nothing.")
@bp.errors(400, 401, 409, 413, 422)
def receive_update():
    """A webhook body's answer to a delivery: acknowledged, resolved (the ticket is resolved and
    the reporter told) or returned to the city with a reason. Signed like our webhooks; the
    same update sent again is answered 200 and changes nothing. A resolved update may carry
    one photo inline (base64); the body is at most 16 KB without one, and with one at most
    the largest photo's base64 and 16 KB (413, refused by its Content-Length before reading)."""
    body = inbound.read(request, inbound.body_cap(current_app.config))
    update = inbound.parse(body, current_app.json.loads)
    at = now()
    timestamp = request.headers.get("X-Maengelmelder-Timestamp")
    delivery = inbound.verify(
        db.session,
        update["delivery"],
        timestamp,
        request.headers.get("X-Maengelmelder-Signature"),
        body,
        at,
    )
    change = Change(principal=None, now=at, links=links(), sla=sla_settings(), by_system=True)
    seen = inbound.digest(delivery.key, timestamp or "", body)
    blobs = [inbound.photo_bytes(update["photo"])] if update["photo"] is not None else []
    added: list[int] = []
    attach = inbound.photo_attacher(db.session, change, blobs, added) if blobs else None
    outcome = inbound.apply(db.session, delivery, update, change, seen, attach)
    report = db.session.get(Report, delivery.report_id)
    status = report.status
    db.session.commit()
    queue_passes(added)
    code = "update_recorded" if outcome else "update_replayed"
    return {"recorded": outcome is not None, "status": status, "message": msg(code)}
