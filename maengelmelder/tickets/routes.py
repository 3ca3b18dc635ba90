"""Staff ticket endpoints and the citizen's feedback through the tracking link."""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Callable

from flask import Response, jsonify, request

from .. import paging, spreadsheet
from ..abuse import flags
from ..accounts.auth import STAFF, authenticated, require
from ..clock import now
from ..core import states
from ..core.links import links
from ..core.settings import sla_settings, ticket_settings
from ..errors import ApiError
from ..extensions import db
from ..reports import reads as reports
from ..reports.intake import intake_payload
from ..reports.limits import intake_limits
from ..reports.passes import queue_passes
from ..reports.schemas import TrackedReport
from ..sla.jobs import schedule_checks
from ..storage import storage
from ..web.api import Blueprint
from . import inputs, moderation, schemas, service
from .queue import QueueFilter, decode_cursor, queue

bp = Blueprint("tickets", __name__)


def _change() -> service.Change:
    return service.Change(principal=authenticated(), now=now(), links=links(), sla=sla_settings())


def _ticket(public_id: str, *, versioned: bool):
    change = _change()
    report = service.ticket_for(db.session, public_id, change.principal)
    if versioned:
        service.check_version(report, request.headers.get("If-Match"))
    return report, change


def ticket_view(*, versioned: bool) -> Callable:
    """The view works on the ticket of the path: found (404) and the caller's (403) and, for
    a change, of the version the caller saw (If-Match: 428, 412), all before the body is
    read. The view gets `report` and `change` instead of `public_id`."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args, public_id: str, **kwargs):
            report, change = _ticket(public_id, versioned=versioned)
            return view(*args, report=report, change=change, **kwargs)

        return wrapped

    return decorator


def _answer(report, change, status: int = 200) -> Response:
    """The changed ticket as the caller sees it, with its version as ETag."""
    db.session.commit()
    resp = jsonify(schemas.full_view(report, change.principal, change.now))
    resp.status_code = status
    resp.headers["ETag"] = service.etag(report)
    return resp


def _csv(raw: str | None) -> tuple[str, ...]:
    return tuple(v for v in (raw or "").split(",") if v)


QUEUE_ANSWER = "A page of the queue; with `format=csv` or `format=geojson` the page as a download."


@bp.get("/api/v1/tickets")
@require(*STAFF)
@bp.arguments(inputs.QueueArgs, location="query")
@bp.response(200, schemas.TicketQueue, description=QUEUE_ANSWER, headers=paging.LINK_HEADER)
@bp.alt_response(
    200,
    schema=schemas.TicketFeatureCollection,
    content_type="application/geo+json",
    description=QUEUE_ANSWER,
    success=True,
)
@bp.alt_response(
    200, schema={"type": "string"}, content_type="text/csv", description=QUEUE_ANSWER, success=True
)
@bp.doc(description=inputs.QUEUE_DESCRIPTION)
def list_tickets(args: dict):
    """The queue: open tickets of the caller's departments, soonest deadline first."""
    # Flags concern public content, which closed tickets have too: every state by default.
    default_statuses = () if args.get("flagged") else QueueFilter.statuses
    statuses = _csv(args.get("status")) or default_statuses
    bad = [s for s in statuses if s not in states.ALL]
    if bad:
        raise ApiError(400, "invalid_filter", name="status", value=bad[0][:50])
    flt = QueueFilter(
        departments=_csv(args.get("department")),
        statuses=statuses,
        assignee=args.get("assignee"),
        sla=args.get("sla"),
        zone=args.get("zone"),
        categories=_csv(args.get("category")),
        published=args.get("published"),
        flagged=args.get("flagged"),
        cursor=decode_cursor(args["cursor"]) if "cursor" in args else None,
        limit=args["limit"],
        offset=args["offset"],
    )
    principal, at = authenticated(), now()
    download = args.get("format") in ("csv", "geojson")
    page = queue(db.session, principal, flt, at, count=not download)
    link = paging.next_link(page.next_cursor)
    if download:
        resp = _queue_export(page, principal, at, args["format"], link)
    else:
        # The hot path: built directly, held equal to TicketQueue's dump by the tests.
        resp = jsonify(schemas.queue_page(page, flt.limit, flt.offset, principal, at))
    if link is not None:
        resp.headers["Link"] = paging.link_header(link)
    return resp


_EXPORT_COLUMNS = (
    "public_id",
    "status",
    "category",
    "department",
    "created_at",
    "deadline",
    "sla_state",
    "assignee",
    "lat",
    "lon",
    "address",
    "zones",
)


def _queue_export(page, principal, at, fmt: str, link: tuple[str, str] | None) -> Response:
    """A page of the current filter's tickets as CSV or GeoJSON (no reporter e-mail)."""
    items = [schemas.export_row(schemas.queue_item(r, principal, at)) for r in page.items]
    if fmt == "geojson":
        resp = jsonify(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "id": item["public_id"],
                        "geometry": {"type": "Point", "coordinates": [item["lon"], item["lat"]]},
                        "properties": {k: v for k, v in item.items() if k not in ("lat", "lon")},
                    }
                    for item in items
                ],
                "next_cursor": page.next_cursor,
                "links": paging.geojson_links(link),
            }
        )
        resp.mimetype = "application/geo+json"
        resp.headers["Content-Disposition"] = 'attachment; filename="tickets.geojson"'
        return resp
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=_EXPORT_COLUMNS, lineterminator=spreadsheet.LINE_END)
    writer.writeheader()
    writer.writerows(spreadsheet.row(item) for item in items)
    resp = Response(buffer.getvalue(), mimetype="text/csv")
    resp.headers["Content-Disposition"] = 'attachment; filename="tickets.csv"'
    return resp


# Every answer of a ticket below is the ticket as the caller sees it (`schemas.full_view`):
# TicketFull, or TicketFullOwnDepartment for staff of its own department.


@bp.get("/api/v1/tickets/<public_id>", parameters=[inputs.PUBLIC_ID])
@require(*STAFF)
@ticket_view(versioned=False)
@bp.response(200, schemas.TICKET_FULL, description="The ticket.", headers=inputs.ETAG)
@bp.errors(404)
def get_ticket(report, change):
    """One ticket with history, internal notes and routing."""
    resp = jsonify(schemas.full_view(report, change.principal, change.now))
    resp.headers["ETag"] = service.etag(report)
    return resp


def _changed(status: int = 200) -> Callable:
    """Document the answer of a change: the ticket after it, with its ETag."""
    return bp.response(
        status,
        schemas.TICKET_FULL,
        description="The ticket after the change.",
        headers=inputs.ETAG,
    )


@bp.post("/api/v1/tickets/<public_id>/transition", parameters=[inputs.PUBLIC_ID])
@require(*STAFF)
@ticket_view(versioned=True)
@bp.arguments(inputs.TransitionIn)
@_changed()
@bp.errors(404, 409, 412, 428)
@bp.doc(parameters=[inputs.IF_MATCH])
def transition(args: dict, report, change):
    """Move the ticket to another state."""
    service.transition(db.session, report, change, **args)
    resp = _answer(report, change)
    schedule_checks(report)
    return resp


@bp.post("/api/v1/tickets/<public_id>/assign", parameters=[inputs.PUBLIC_ID])
@require(*STAFF)
@ticket_view(versioned=True)
@bp.arguments(inputs.AssignIn)
@_changed()
@bp.errors(404, 412, 428)
@bp.doc(parameters=[inputs.IF_MATCH])
def assign(args: dict, report, change):
    """Assign the ticket to a person of its department, or to nobody (null)."""
    service.assign(db.session, report, change, **args)
    return _answer(report, change)


@bp.post("/api/v1/tickets/<public_id>/forward", parameters=[inputs.PUBLIC_ID])
@require(*STAFF)
@ticket_view(versioned=True)
@bp.arguments(inputs.ForwardIn)
@_changed()
@bp.errors(404, 412, 428)
@bp.doc(parameters=[inputs.IF_MATCH])
def forward(args: dict, report, change):
    """Forward the ticket to another department, with a reason."""
    service.forward(db.session, report, change, **args)
    return _answer(report, change)


@bp.post("/api/v1/tickets/<public_id>/notes", parameters=[inputs.PUBLIC_ID])
@require(*STAFF)
@ticket_view(versioned=False)
@bp.arguments(inputs.NoteIn)
@_changed(201)
@bp.errors(404)
def add_note(args: dict, report, change):
    """Add a public and/or internal note."""
    service.add_note(db.session, report, change, **args)
    return _answer(report, change, 201)


@bp.post("/api/v1/tickets/<public_id>/photos", parameters=[inputs.PUBLIC_ID])
@require(*STAFF)
@ticket_view(versioned=False)
@_changed(201)
@bp.errors(404, 413, 415, 422, 507)
@bp.doc(requestBody=inputs.AFTER_PHOTOS)
def add_photos(report, change):
    """Attach 'after' photos."""
    if request.mimetype != "multipart/form-data":
        raise ApiError(415, "unsupported_media_type")
    _, blobs = intake_payload()
    added = moderation.add_after_photos(
        db.session, report, change, blobs, storage=storage(), limits=intake_limits()
    )
    resp = _answer(report, change, 201)
    queue_passes(photo.id for photo in added)
    return resp


@bp.post("/api/v1/tickets/<public_id>/publication", parameters=[inputs.PUBLIC_ID])
@require(*STAFF)
@ticket_view(versioned=True)
@bp.arguments(inputs.PublishIn)
@_changed()
@bp.errors(404, 412, 428)
@bp.doc(parameters=[inputs.IF_MATCH])
def publication(args: dict, report, change):
    """Publish the citizen's content (optionally edited) or hide it."""
    if args["action"] == "publish":
        moderation.publish(
            db.session,
            report,
            change,
            public_description=args["public_description"],
            photo_ids=args["photo_ids"],
        )
    else:
        moderation.hide(db.session, report, change, reason=args["reason"])
    return _answer(report, change)


@bp.post("/api/v1/tickets/<public_id>/abuse/dismiss", parameters=[inputs.PUBLIC_ID])
@require(*STAFF)
@ticket_view(versioned=True)
@_changed()
@bp.errors(404, 412, 428)
@bp.doc(parameters=[inputs.IF_MATCH])
def dismiss_abuse(report, change):
    """Dismiss the citizens' abuse flags; publish again what they had hidden.

    Without open flags and not hidden for abuse it changes nothing.
    """
    flags.dismiss(db.session, report, change)
    return _answer(report, change)


# -- the citizen, through the tracking link ---------------------------------------------------


def tracked_report(view: Callable) -> Callable:
    """The view works on the report of the tracking link (404 before the body is read); it
    gets `report` and `change` instead of `token`."""

    @functools.wraps(view)
    def wrapped(*args, token: str, **kwargs):
        report = reports.get_by_token(db.session, token)
        change = service.Change(principal=None, now=now(), links=links(), sla=sla_settings())
        return view(*args, report=report, change=change, **kwargs)

    return wrapped


@bp.post("/api/v1/track/<token>/reopen", tags=["tracking"], parameters=[inputs.TOKEN])
@tracked_report
@bp.arguments(inputs.CitizenNoteIn)
@bp.response(200, TrackedReport, description="The report and its public history.")
@bp.errors(404, 409)
def citizen_reopen(args: dict, report, change):
    """It is not fixed: reopen a resolved report with a note for the crew.

    Within `MAENGELMELDER_REOPEN_DAYS` days (14 by default) of its resolution. The note is
    an internal note staff read; the reporter sees it again as `your_note` of the
    `reopened` entry in their own history, the public never.
    """
    days = ticket_settings().reopen_days
    service.reopen_by_citizen(db.session, report, change, note=args["note"], days=days)
    db.session.commit()
    schedule_checks(report)
    return report


@bp.post("/api/v1/track/<token>/confirm", tags=["tracking"], parameters=[inputs.TOKEN])
@tracked_report
@bp.response(200, TrackedReport, description="The report and its public history.")
@bp.errors(404, 409)
def citizen_confirm(report, change):
    """It is fixed: the reporter confirms and the ticket closes."""
    service.confirm_by_citizen(db.session, report, change)
    db.session.commit()
    return report
