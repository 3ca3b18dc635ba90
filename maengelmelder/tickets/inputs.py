"""What staff send to change a ticket, and what the citizen sends through the tracking link;
the queue's filters, and the parameters and headers the document shows for the ticket routes."""

from __future__ import annotations

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from .. import paging
from ..core import states
from .queue import (
    COUNT_CAP,
    DEFAULT_LIMIT,
    EXPORT_DEFAULT_LIMIT,
    EXPORT_MAX_LIMIT,
    MAX_LIMIT,
    MAX_OFFSET,
    SLA_STATES,
)

NOTE = validate.Length(max=4000)
DOWNLOADS = ("csv", "geojson")

# -- in ---------------------------------------------------------------------------------------


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
        validate=validate.Length(max=50),
        metadata={"description": "rectangles to black out: [x, y, width, height], web pixels"},
    )
    remove = fields.List(
        fields.Integer(),
        load_default=list,
        validate=validate.Length(max=200),
        metadata={
            "description": "ids of the photo's boxes (`privacy.boxes`) to drop, the automatic "
            "ones included; only for a photo that went through the privacy pass"
        },
    )


class CitizenNoteIn(Schema):
    """The reporter's note when they reopen a report ("it is not fixed")."""

    note = fields.String(required=True, validate=validate.Length(min=1, max=2000))


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


QUEUE_DESCRIPTION = (
    "`published` filters by moderation (citizen content published or not); `flagged=true` "
    "lists tickets with open 'report abuse' flags (of every state unless `status` is given); "
    "`format` chooses JSON (default), CSV (`text/csv`, a header row) or GeoJSON "
    "(`application/geo+json`) of the same filter, without reporter e-mail. Paged by "
    "`cursor`: each answer names the next page in `next_cursor` (JSON and GeoJSON) and in "
    "the `Link` header; tickets filed between two pages neither repeat nor push others out. "
    f"`limit`: {DEFAULT_LIMIT} by default and at most {MAX_LIMIT} for JSON, "
    f"{EXPORT_DEFAULT_LIMIT:,} and {EXPORT_MAX_LIMIT:,} for a download. `total` counts up to "
    f"{COUNT_CAP:,} (`total_capped` says when it stopped). `offset` (at most {MAX_OFFSET:,}, "
    "not with `cursor`) is kept for older clients."
)

# -- parameters and headers of the document ---------------------------------------------------

PUBLIC_ID = {
    "in": "path",
    "name": "public_id",
    "description": "the report's public id, YEAR-NNNNNN",
    "schema": {"type": "string", "example": "2026-000001", "maxLength": 64},
}
PHOTO_ID = {"in": "path", "name": "photo_id", "description": "the photo's id"}
TOKEN = {
    "in": "path",
    "name": "token",
    "description": "the tracking token from the report's tracking link",
}
IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": True,
    "description": 'the ticket version you saw (its ETag, e.g. `"3"`); `428` without it, '
    "`412` when it is stale",
    "schema": {"type": "string", "example": '"1"'},
}
ETAG = {"ETag": {"description": "the ticket's version", "schema": {"type": "string"}}}
AFTER_PHOTOS = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "photos": {"type": "array", "items": {"type": "string", "format": "binary"}}
                },
                "required": ["photos"],
            }
        }
    },
}
