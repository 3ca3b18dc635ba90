"""What staff send and see; the reporter's e-mail only for their department's staff."""

from __future__ import annotations

from datetime import datetime

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)
from sqlalchemy.orm import object_session

from .. import paging
from ..accounts.service import Principal, actor_names
from ..clock import isoformat
from ..notify.service import failed_for_report, undeliverable
from ..reports.models import Report
from ..reports.schemas import PhotoOut, report_public
from . import states, workflow
from .queue import (
    DEFAULT_LIMIT,
    EXPORT_DEFAULT_LIMIT,
    EXPORT_MAX_LIMIT,
    MAX_LIMIT,
    MAX_OFFSET,
    SLA_STATES,
    sla_state,
)

NOTE = validate.Length(max=4000)
DOWNLOADS = ("csv", "geojson")


class TransitionIn(Schema):
    class Meta:
        unknown = RAISE

    to = fields.String(required=True, validate=validate.OneOf(states.ALL))
    public_note = fields.String(load_default=None, allow_none=True, validate=NOTE)
    internal_note = fields.String(load_default=None, allow_none=True, validate=NOTE)
    duplicate_of = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=20)
    )


class AssignIn(Schema):
    class Meta:
        unknown = RAISE

    assignee_id = fields.Integer(
        required=True, allow_none=True, validate=validate.Range(min=1, max=2**31 - 1)
    )


class ForwardIn(Schema):
    class Meta:
        unknown = RAISE

    department = fields.String(required=True, validate=validate.Length(min=1, max=64))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class NoteIn(Schema):
    class Meta:
        unknown = RAISE

    public_note = fields.String(load_default=None, allow_none=True, validate=NOTE)
    internal_note = fields.String(load_default=None, allow_none=True, validate=NOTE)


class PublishIn(Schema):
    class Meta:
        unknown = RAISE

    action = fields.String(required=True, validate=validate.OneOf(["publish", "hide"]))
    public_description = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=4000)
    )
    photo_ids = fields.List(fields.Integer(), load_default=None, allow_none=True)
    reason = fields.String(load_default=None, allow_none=True, validate=NOTE)


class RedactIn(Schema):
    class Meta:
        unknown = RAISE

    rects = fields.List(
        fields.List(fields.Integer(), validate=validate.Length(equal=4)),
        required=True,
        validate=validate.Length(min=1, max=50),
    )


class QueueArgs(Schema):
    class Meta:
        unknown = RAISE

    department = fields.String()
    status = fields.String()
    assignee = fields.String(validate=validate.Regexp(r"^(me|none|\d{1,9})$"))
    sla = fields.String(validate=validate.OneOf(SLA_STATES))
    # NUL is no text; SQLite would cut the LIKE pattern at it and match every ticket.
    zone = fields.String(
        validate=[
            validate.Length(max=128),
            validate.ContainsNoneOf("\x00", error="Not a valid string."),
        ]
    )
    category = fields.String()
    published = fields.Boolean()
    flagged = fields.Boolean()
    format = fields.String(validate=validate.OneOf(["json", *DOWNLOADS]))
    # A JSON page holds at most MAX_LIMIT, a download EXPORT_MAX_LIMIT (checked below).
    limit = fields.Integer(
        validate=validate.Range(min=1),
        metadata={
            "maximum": EXPORT_MAX_LIMIT,
            "description": f"page size: JSON {DEFAULT_LIMIT} by default, at most {MAX_LIMIT}; "
            f"CSV and GeoJSON {EXPORT_DEFAULT_LIMIT} by default, at most {EXPORT_MAX_LIMIT}",
        },
    )
    cursor = paging.cursor_field()
    offset = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=MAX_OFFSET),
        metadata={"description": "deprecated: skip this many tickets; use `cursor` instead"},
    )

    @validates_schema
    def _page(self, data: dict, **_: object) -> None:
        maximum = EXPORT_MAX_LIMIT if data.get("format") in DOWNLOADS else MAX_LIMIT
        if data.get("limit", 1) > maximum:
            raise ValidationError(
                f"Must be greater than or equal to 1 and less than or equal to {maximum}.",
                "limit",
            )
        if "cursor" in data and data.get("offset"):
            raise ValidationError("Not together with cursor.", "offset")

    @post_load
    def _default_limit(self, data: dict, **_: object) -> dict:
        if "limit" not in data:
            download = data.get("format") in DOWNLOADS
            data["limit"] = EXPORT_DEFAULT_LIMIT if download else DEFAULT_LIMIT
        return data


def _photo(photo) -> dict:
    out = PhotoOut().dump(photo)
    out.update({"id": photo.id, "approved": photo.approved})
    return out


def _abuse_flag(flag) -> dict:
    """An open "report abuse" flag as staff see it (never who flagged)."""
    return {
        "id": flag.id,
        "reason": flag.reason,
        "comment": flag.comment,
        "created_at": isoformat(flag.created_at),
    }


def event_out(event, names: dict[str, str] | None = None) -> dict:
    """A history entry for staff; `names` (from `actor_names`) adds who acted, readably."""
    return {
        "id": event.id,
        "at": isoformat(event.created_at),
        "actor": event.actor,
        "actor_name": (names or {}).get(event.actor),
        "kind": event.kind,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "public_note": event.public_note,
        "internal_note": event.internal_note,
        "data": event.data,
    }


def ticket_out(report: Report, principal: Principal, now: datetime, *, full: bool = True) -> dict:
    """A ticket as staff see it; `full` adds history and photos (the single-ticket view)."""
    out = report_public.dump(report)
    out.update(
        {
            "description": report.description,
            "public_description": report.public_description,
            "address": report.address,  # staff see it before publication too
            "priority": report.priority,
            "version": report.version,
            "allowed_next": list(workflow.allowed_next(report.status)),
            "sla": {
                "state": sla_state(report, now),
                "deadline": isoformat(report.deadline),
                "at_risk_at": isoformat(report.at_risk_at),
            },
            "assignee": (
                {"id": report.assignee.id, "name": report.assignee.name}
                if report.assignee
                else None
            ),
            "zones": [k for k in report.zone_keys.split(",") if k],
            "routing": report.routing,
            "ruleset_version": report.ruleset_version,
            "lang": report.lang,
            "held_reason": report.held_reason,
            "abuse_flag_count": len(report.open_abuse_flags),
            "abuse_flags": [_abuse_flag(f) for f in report.open_abuse_flags],
        }
    )
    if principal.member_of(report.department_id):
        out["reporter_email"] = report.reporter_email
    if full:
        out["photos"] = [_photo(p) for p in report.photos]
        names = actor_names(object_session(report), (e.actor for e in report.events))
        out["history"] = [event_out(e, names) for e in report.events]
        out["duplicate_of"] = report.duplicate_of.public_id if report.duplicate_of else None
        out["followers"] = len(report.followers)
        out["mail_failures"] = [
            undeliverable(m, report.reporter_email_key).as_json()
            for m in failed_for_report(object_session(report), report.id)
        ]
    return out
