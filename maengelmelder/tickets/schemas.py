"""What staff see of a ticket (what they send is in `inputs`).

A ticket is shown per audience: `Ticket` (in lists) and `TicketFull` (the single ticket) to
staff who may work on it; `TicketOwnDepartment` and `TicketFullOwnDepartment`, the same with
the reporter's e-mail address, to staff of the ticket's own department (`sees_reporter`).
What a ticket shows depends on who looks and when (its SLA state), so these schemas dump
through `dump_for(schema, obj, principal, at)`.

The queue's page is built directly for speed (`queue_item`, `queue_page`); tests hold it
equal to the dump of its schemas (`TicketQueue`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any, TypedDict

from marshmallow import (
    Schema,
    fields,
    missing,
    validate,
)
from marshmallow.experimental.context import Context
from sqlalchemy.orm import object_session

from ..abuse.models import ABUSE_REASONS
from ..accounts.service import Principal, actor_names
from ..clock import isoformat
from ..core import photo_privacy, states, workflow
from ..core.models import Report
from ..notify.schemas import Undeliverable
from ..notify.service import failed_for_report, undeliverable
from ..reports.schemas import PhotoOut, ReportPublic, media_url, report_public
from ..web.augmented import Augmented
from ..web.geojson import GeoJsonLink, PointGeometry
from ..web.schemas import AnyOf, Message, Out, Time
from .queue import (
    COUNT_CAP,
    SLA_STATES,
    QueuePage,
    sla_state,
)

# -- who looks, and when ----------------------------------------------------------------------


class Viewer(TypedDict):
    """For whom a ticket is dumped, and at which moment."""

    principal: Principal
    at: datetime


def dump_for(schema: Schema, obj: Any, principal: Principal, at: datetime) -> Any:
    """`schema.dump(obj)` as `principal` sees it at `at`."""
    with Context(Viewer(principal=principal, at=at)):
        return schema.dump(obj)


def viewer() -> Viewer:
    """Who looks and when, during `dump_for`."""
    return Context.get()


def sees_reporter(principal: Principal, report: Report) -> bool:
    """Staff of the ticket's own department may read the reporter's e-mail address (an admin
    or citywide supervisor only as a member of that department)."""
    return principal.member_of(report.department_id)


class _Derived:
    """A field whose value is `func(obj)` rather than an attribute of the object."""

    def __init__(self, func: Callable[[Any], Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.func = func

    def get_value(self, obj, attr, accessor=None, default=missing):
        return self.func(obj)


@cache
def _derived_class(field_class: type[fields.Field]) -> type[fields.Field]:
    return type(f"Derived{field_class.__name__}", (_Derived, field_class), {})


def derived(func: Callable[[Any], Any], field_class: type[fields.Field], *args, **kwargs):
    """A `field_class` field holding `func(obj)`: the field's type documents the value."""
    return _derived_class(field_class)(func, *args, **kwargs)


# -- out --------------------------------------------------------------------------------------


class TicketSla(Out):
    """The ticket's promise: its state now, the deadline and when it counts as at risk."""

    state = derived(
        lambda report: sla_state(report, viewer()["at"]),
        fields.String,
        validate=validate.OneOf(SLA_STATES),
    )
    deadline = Time(allow_none=True)
    at_risk_at = Time(allow_none=True)


class Assignee(Out):
    id = fields.Integer()
    name = fields.String()


class AbuseFlag(Out):
    """An open "report abuse" flag as staff see it (never who flagged)."""

    id = fields.Integer()
    reason = fields.String(validate=validate.OneOf(ABUSE_REASONS))
    comment = fields.String(allow_none=True)
    created_at = Time()


def _zones(report: Report) -> list[str]:
    return [k for k in report.zone_keys.split(",") if k]


class Ticket(ReportPublic):
    """A ticket as staff see it in lists (see `Meta.description`)."""

    class Meta(ReportPublic.Meta):
        description = (
            "A ticket as staff see it in lists: the public report plus the citizen's own "
            "text, SLA, assignee, routing and version."
        )

    description = fields.String(allow_none=True)
    public_description = fields.String(allow_none=True)
    address = fields.String(allow_none=True)  # staff see it before publication too
    priority = fields.Integer(allow_none=True)
    version = fields.Integer(
        metadata={"description": "also sent as ETag; send it back in If-Match"}
    )
    allowed_next = derived(
        lambda report: list(workflow.allowed_next(report.status)),
        fields.List,
        fields.String(validate=validate.OneOf(states.ALL)),
    )
    sla = derived(lambda report: report, fields.Nested, TicketSla)
    assignee = fields.Nested(Assignee, allow_none=True)
    zones = derived(_zones, fields.List, fields.String())
    routing = fields.Dict(
        allow_none=True, metadata={"description": "the stored routing explanation"}
    )
    ruleset_version = fields.Integer(allow_none=True)
    lang = fields.String(allow_none=True)
    held_reason = fields.String(
        allow_none=True,
        validate=validate.OneOf(["blocklist", "email_unconfirmed", "abuse"]),
        metadata={
            "description": "why the citizen content waits for staff (docs/abuse.md); null if not"
        },
    )
    abuse_flag_count = derived(
        lambda report: len(report.open_abuse_flags),
        fields.Integer,
        metadata={"description": "open 'report abuse' flags"},
    )
    abuse_flags = fields.List(
        fields.Nested(AbuseFlag),
        attribute="open_abuse_flags",
        metadata={"description": "the open 'report abuse' flags, oldest first (never who flagged)"},
    )


class TicketOwnDepartment(Ticket):
    """A ticket in a list as staff of its own department see it: with the reporter's e-mail."""

    class Meta(Ticket.Meta):
        description = "A `Ticket` as staff of its own department see it: with `reporter_email`."

    reporter_email = fields.String(
        allow_none=True, metadata={"description": "only for staff of the ticket's own department"}
    )


class PrivacyBox(Out):
    """A box of a photo's privacy pass, in web-image pixels: found by the pass (`auto`, as
    detected, before it is enlarged by a fifth and pixelated) or drawn by a moderator
    (`manual`, blacked out)."""

    id = fields.Integer(metadata={"description": "unique within the photo; `remove` names it"})
    x = fields.Integer()
    y = fields.Integer()
    w = fields.Integer()
    h = fields.Integer()
    kind = fields.String(validate=validate.OneOf(["face", "plate", "manual"]))
    source = fields.String(validate=validate.OneOf(["auto", "manual"]))
    score = fields.Float(allow_none=True)


class PhotoPrivacy(Out):
    """Where a photo stands in the privacy pass."""

    state = fields.String(
        allow_none=True,
        validate=validate.OneOf(photo_privacy.STATES),
        metadata={
            "description": "null: stored before the pass existed; pending: waiting for it or "
            "in it (not public yet); done: the public files are blurred; failed: see `reason`, "
            "never public until a moderator reviewed it; reviewed: a moderator had the last word"
        },
    )
    reason = fields.Nested(
        Message,
        allow_none=True,
        metadata={"description": "why the pass failed, in German and English"},
    )
    boxes = fields.List(fields.Nested(PrivacyBox))


def _photo_privacy(photo) -> dict:
    return {
        "state": photo.privacy_state,
        "reason": photo_privacy.reason_text(photo.privacy_reason),
        "boxes": photo.privacy_boxes or [],
    }


class TicketPhoto(PhotoOut):
    """A photo as staff see it: every photo, approved or not, with its id, where it stands in
    the privacy pass, and its unblurred original."""

    id = fields.Integer()
    approved = fields.Boolean()
    privacy = derived(_photo_privacy, fields.Nested, PhotoPrivacy)
    original_url = fields.Function(
        lambda p: media_url(f"{p.original_key}-web.jpg") if p.original_key else None,
        metadata={
            "type": ["string", "null"],
            "description": "the unblurred web image, for staff of the ticket's departments "
            "only (404 to anyone else); null when the pass kept none",
        },
    )


class StaffEvent(Out):
    """A history entry for staff, naming who acted (`Augmented` with `actor_name`)."""

    id = fields.Integer()
    at = Time(attribute="created_at")
    actor = fields.String()
    actor_name = fields.String(
        allow_none=True,
        metadata={
            "description": "the staff member's or API token's name; null for the citizen "
            "and the system"
        },
    )
    kind = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    public_note = fields.String(allow_none=True)
    internal_note = fields.String(allow_none=True)
    data = fields.Dict(allow_none=True)


def staff_history(report: Report) -> list[Augmented]:
    """The ticket's events, each with the readable name of who acted (one query for all)."""
    names = actor_names(object_session(report), (e.actor for e in report.events))
    return [Augmented(e, actor_name=names.get(e.actor)) for e in report.events]


def _mail_failures(report: Report) -> list:
    failed = failed_for_report(object_session(report), report.id)
    return [undeliverable(m, report.reporter_email_key) for m in failed]


class TicketFull(Ticket):
    """The single-ticket view: all photos, the whole history, duplicate and followers."""

    class Meta(Ticket.Meta):
        description = (
            "The single-ticket view: all photos, the whole history, duplicate and followers."
        )

    photos = fields.List(fields.Nested(TicketPhoto))
    history = derived(staff_history, fields.List, fields.Nested(StaffEvent))
    duplicate_of = derived(
        lambda report: report.duplicate_of.public_id if report.duplicate_of else None,
        fields.String,
        allow_none=True,
    )
    followers = derived(lambda report: len(report.followers), fields.Integer)
    mail_failures = derived(
        _mail_failures,
        fields.List,
        fields.Nested(Undeliverable),
        metadata={
            "description": "the ticket's mails that could not be delivered (the staff app: "
            "„Mail an den Meldenden nicht zustellbar“), oldest first; an admin sends one "
            "again from the list of undeliverable mails"
        },
    )


class TicketFullOwnDepartment(TicketFull, TicketOwnDepartment):
    """The single ticket as staff of its own department see it: with the reporter's e-mail."""

    class Meta(TicketFull.Meta):
        description = "A `TicketFull` as staff of its own department see it: with `reporter_email`."


# The single ticket's answer, for each audience.
TICKET_FULL = {"anyOf": [TicketFull, TicketFullOwnDepartment]}
_ticket_full = TicketFull()
_ticket_full_own = TicketFullOwnDepartment()


def full_view(report: Report, principal: Principal, at: datetime) -> dict:
    """The single ticket as `principal` sees it (`TicketFull` or `TicketFullOwnDepartment`)."""
    schema = _ticket_full_own if sees_reporter(principal, report) else _ticket_full
    return dump_for(schema, report, principal, at)


def ticket_for_viewer(report: Report) -> type[Schema]:
    """The list schema of a ticket for whoever looks (during `dump_for`)."""
    return TicketOwnDepartment if sees_reporter(viewer()["principal"], report) else Ticket


class TicketQueue(Out):
    """A page of the queue (`queue_page` builds it directly)."""

    items = fields.List(AnyOf(ticket_for_viewer, Ticket, TicketOwnDepartment))
    total = fields.Integer(
        metadata={"description": f"how many tickets match the filter, counted up to {COUNT_CAP:,}"}
    )
    total_capped = fields.Boolean(
        metadata={"description": f"true: more than {COUNT_CAP:,} match and `total` stopped there"}
    )
    limit = fields.Integer()
    offset = fields.Integer()
    next_cursor = fields.String(
        allow_none=True,
        metadata={"description": "pass it as `cursor` for the next page; null on the last page"},
    )


def queue_item(report: Report, principal: Principal, at: datetime) -> dict:
    """A ticket of the queue as `Ticket` (or `TicketOwnDepartment`) dumps it, built directly:
    the queue is the staff's most frequent read."""
    out = report_public.dump(report)
    out.update(
        {
            "description": report.description,
            "public_description": report.public_description,
            "address": report.address,
            "priority": report.priority,
            "version": report.version,
            "allowed_next": list(workflow.allowed_next(report.status)),
            "sla": {
                "state": sla_state(report, at),
                "deadline": isoformat(report.deadline),
                "at_risk_at": isoformat(report.at_risk_at),
            },
            "assignee": (
                {"id": report.assignee.id, "name": report.assignee.name}
                if report.assignee
                else None
            ),
            "zones": _zones(report),
            "routing": report.routing,
            "ruleset_version": report.ruleset_version,
            "lang": report.lang,
            "held_reason": report.held_reason,
            "abuse_flag_count": len(report.open_abuse_flags),
            "abuse_flags": [
                {
                    "id": flag.id,
                    "reason": flag.reason,
                    "comment": flag.comment,
                    "created_at": isoformat(flag.created_at),
                }
                for flag in report.open_abuse_flags
            ],
        }
    )
    if sees_reporter(principal, report):
        out["reporter_email"] = report.reporter_email
    return out


def queue_page(page: QueuePage, limit: int, offset: int, principal: Principal, at: datetime):
    """A page of the queue as `TicketQueue` dumps it, built directly (`queue_item`)."""
    return {
        "items": [queue_item(r, principal, at) for r in page.items],
        "total": page.total,
        "total_capped": page.total_capped,
        "limit": limit,
        "offset": offset,
        "next_cursor": page.next_cursor,
    }


# -- the queue as a download ------------------------------------------------------------------


class TicketFeatureProperties(Out):
    """A ticket of the queue as a download shows it (CSV columns, GeoJSON properties)."""

    public_id = fields.String()
    status = fields.String(validate=validate.OneOf(states.ALL))
    category = fields.String(metadata={"description": "the category's code"})
    department = fields.String(metadata={"description": "the department's code"})
    created_at = Time()
    deadline = Time(allow_none=True)
    sla_state = fields.String(validate=validate.OneOf(SLA_STATES))
    assignee = fields.String(metadata={"description": "the name, or empty"})
    address = fields.String(
        metadata={"description": "the citizen's, else the city's address at the place; or empty"}
    )
    zones = fields.String(metadata={"description": "zone keys, space-separated"})


class TicketFeature(Out):
    type = fields.String(validate=validate.OneOf(["Feature"]))
    id = fields.String()
    geometry = fields.Nested(PointGeometry)
    properties = fields.Nested(TicketFeatureProperties)


class TicketFeatureCollection(Out):
    """A page of the queue's current filter as GeoJSON (no reporter e-mail)."""

    class Meta(Out.Meta):
        description = "A page of the queue's current filter as GeoJSON (no reporter e-mail)."

    type = fields.String(validate=validate.OneOf(["FeatureCollection"]))
    features = fields.List(fields.Nested(TicketFeature))
    next_cursor = fields.String(
        allow_none=True,
        metadata={"description": "pass it as `cursor` for the next page; null on the last page"},
    )
    links = fields.List(
        fields.Nested(GeoJsonLink),
        metadata={
            "description": '`[{href, rel: "next", type}]` naming the next page; empty on the last'
        },
    )


def export_row(item: dict) -> dict:
    """A queue item (`queue_item`) as a download's row: `TicketFeatureProperties` and the
    position."""
    return {
        "public_id": item["public_id"],
        "status": item["status"],
        "category": item["category"]["code"],
        "department": item["department"]["code"],
        "created_at": item["created_at"],
        "deadline": item["deadline"],
        "sla_state": item["sla"]["state"],
        "assignee": item["assignee"]["name"] if item["assignee"] else "",
        "lat": item["lat"],
        "lon": item["lon"],
        "address": item["address"] or "",
        "zones": " ".join(item["zones"]),
    }
