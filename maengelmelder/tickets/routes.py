"""Staff ticket endpoints and the citizen's feedback through the tracking link."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, current_app, jsonify, request
from marshmallow import Schema, ValidationError, fields, validate

from .. import paging, spreadsheet
from ..abuse import flags
from ..accounts.auth import STAFF, authenticated, require
from ..accounts.routes import body
from ..city import city
from ..clock import now
from ..errors import ApiError, validation_error
from ..extensions import db
from ..jobs import enqueue
from ..reports import reads as reports
from ..reports.intake import intake_payload
from ..reports.limits import intake_limits
from ..reports.schemas import events_public, report_for_reporter
from ..sla.jobs import schedule_checks
from ..storage import storage
from . import moderation, service, states
from .notifications import Links
from .queue import QueueFilter, decode_cursor, queue
from .schemas import (
    AssignIn,
    ForwardIn,
    NoteIn,
    PublishIn,
    QueueArgs,
    RedactIn,
    TransitionIn,
    ticket_out,
)

bp = Blueprint("tickets", __name__)


def links() -> Links:
    cfg = current_app.config
    return Links(
        base_url=cfg.get("BASE_URL") or request.host_url,
        secret_key=cfg["SECRET_KEY"],
        city_name=city().name,
    )


def _change() -> service.Change:
    return service.Change(
        principal=authenticated(), now=now(), links=links(), config=current_app.config
    )


def _ticket(public_id: str, *, versioned: bool):
    change = _change()
    report = service.ticket_for(db.session, public_id, change.principal)
    if versioned:
        service.check_version(report, request.headers.get("If-Match"))
    return report, change


def _answer(report, change, status: int = 200):
    db.session.commit()
    resp = jsonify(ticket_out(report, change.principal, change.now))
    resp.status_code = status
    resp.headers["ETag"] = service.etag(report)
    return resp


def _csv(raw: str | None) -> tuple[str, ...]:
    return tuple(v for v in (raw or "").split(",") if v)


@bp.get("/api/v1/tickets")
@require(*STAFF)
def list_tickets():
    """The caller's queue: open tickets of their departments, soonest deadline first."""
    try:
        args = QueueArgs().load(request.args.to_dict())
    except ValidationError as exc:
        raise validation_error(exc.normalized_messages(), status=400) from exc
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
        resp = jsonify(
            {
                "items": [ticket_out(r, principal, at, full=False) for r in page.items],
                "total": page.total,
                "total_capped": page.total_capped,
                "limit": flt.limit,
                "offset": flt.offset,
                "next_cursor": page.next_cursor,
            }
        )
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
    "zones",
)


def _queue_export(page, principal, at, fmt: str, link: tuple[str, str] | None):
    """A page of the current filter's tickets as CSV or GeoJSON (no reporter e-mail)."""
    items = []
    for report in page.items:
        out = ticket_out(report, principal, at, full=False)
        items.append(
            {
                "public_id": out["public_id"],
                "status": out["status"],
                "category": out["category"]["code"],
                "department": out["department"]["code"],
                "created_at": out["created_at"],
                "deadline": out["deadline"],
                "sla_state": out["sla"]["state"],
                "assignee": out["assignee"]["name"] if out["assignee"] else "",
                "lat": out["lat"],
                "lon": out["lon"],
                "zones": " ".join(out["zones"]),
            }
        )
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


@bp.get("/api/v1/tickets/<public_id>")
@require(*STAFF)
def get_ticket(public_id: str):
    report, change = _ticket(public_id, versioned=False)
    resp = jsonify(ticket_out(report, change.principal, change.now))
    resp.headers["ETag"] = service.etag(report)
    return resp


@bp.post("/api/v1/tickets/<public_id>/transition")
@require(*STAFF)
def transition(public_id: str):
    """Move the ticket to another state (If-Match: the version you saw)."""
    report, change = _ticket(public_id, versioned=True)
    args = body(TransitionIn())
    service.transition(db.session, report, change, **args)
    resp = _answer(report, change)
    schedule_checks(report)
    enqueue("maengelmelder.notify.jobs.send_pending")
    return resp


@bp.post("/api/v1/tickets/<public_id>/assign")
@require(*STAFF)
def assign(public_id: str):
    report, change = _ticket(public_id, versioned=True)
    service.assign(db.session, report, change, **body(AssignIn()))
    return _answer(report, change)


@bp.post("/api/v1/tickets/<public_id>/forward")
@require(*STAFF)
def forward(public_id: str):
    report, change = _ticket(public_id, versioned=True)
    service.forward(db.session, report, change, **body(ForwardIn()))
    return _answer(report, change)


@bp.post("/api/v1/tickets/<public_id>/notes")
@require(*STAFF)
def add_note(public_id: str):
    report, change = _ticket(public_id, versioned=False)
    service.add_note(db.session, report, change, **body(NoteIn()))
    return _answer(report, change, 201)


@bp.post("/api/v1/tickets/<public_id>/photos")
@require(*STAFF)
def add_photos(public_id: str):
    """Attach 'after' photos (multipart, field photos)."""
    report, change = _ticket(public_id, versioned=False)
    if request.mimetype != "multipart/form-data":
        raise ApiError(415, "unsupported_media_type")
    _, blobs = intake_payload()
    moderation.add_after_photos(
        db.session, report, change, blobs, storage=storage(), limits=intake_limits()
    )
    return _answer(report, change, 201)


@bp.post("/api/v1/tickets/<public_id>/publication")
@require(*STAFF)
def publication(public_id: str):
    """Publish (optionally with edited text and a choice of photos) or hide citizen content."""
    report, change = _ticket(public_id, versioned=True)
    args = body(PublishIn())
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


@bp.post("/api/v1/tickets/<public_id>/abuse/dismiss")
@require(*STAFF)
def dismiss_abuse(public_id: str):
    """The citizens' abuse flags are unfounded: resolve them; publish again if they hid it."""
    report, change = _ticket(public_id, versioned=True)
    flags.dismiss(db.session, report, change)
    return _answer(report, change)


@bp.post("/api/v1/tickets/<public_id>/photos/<int:photo_id>/redact")
@require(*STAFF)
def redact(public_id: str, photo_id: int):
    """Black out rectangles ([x, y, width, height] in web-size pixels) on a photo."""
    report, change = _ticket(public_id, versioned=False)
    args = body(RedactIn())
    moderation.redact(
        db.session,
        report,
        change,
        photo_id=photo_id,
        rects=[tuple(r) for r in args["rects"]],
        storage=storage(),
    )
    return _answer(report, change)


class CitizenNoteIn(Schema):
    note = fields.String(required=True, validate=validate.Length(min=1, max=2000))


def _citizen(token: str):
    report = reports.get_by_token(db.session, token)
    change = service.Change(principal=None, now=now(), links=links(), config=current_app.config)
    return report, change


def _tracked(report):
    db.session.commit()
    out = report_for_reporter.dump(report)
    out["history"] = events_public.dump(report.events)
    return jsonify(out)


@bp.post("/api/v1/track/<token>/reopen")
def citizen_reopen(token: str):
    """'It is not fixed': reopen a resolved report within 14 days, with a note for the crew."""
    report, change = _citizen(token)
    args = body(CitizenNoteIn())
    days = current_app.config["REOPEN_DAYS"]
    service.reopen_by_citizen(db.session, report, change, note=args["note"], days=days)
    resp = _tracked(report)
    schedule_checks(report)
    return resp


@bp.post("/api/v1/track/<token>/confirm")
def citizen_confirm(token: str):
    """'It is fixed': the reporter confirms and the ticket closes."""
    report, change = _citizen(token)
    service.confirm_by_citizen(db.session, report, change)
    return _tracked(report)
