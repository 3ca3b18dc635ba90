"""The abuse defences' API shapes: a citizen's flag and confirmation, the admin's block list."""

from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates

from .. import paging
from ..web.schemas import Message, Out, Time
from .models import ABUSE_REASONS

BlocklistPageArgs = paging.page_args("BlocklistPageArgs", 500, 1000)


def _no_nul(value: str | None) -> None:
    if value and "\x00" in value:
        raise ValidationError("Not a valid string.")


class AbuseIn(Schema):
    """Why a citizen thinks a public report should not be public."""

    class Meta:
        unknown = RAISE

    reason = fields.String(required=True, validate=validate.OneOf(ABUSE_REASONS))
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))

    @validates("comment")
    def _text_only(self, value: str | None, **_: object) -> None:
        _no_nul(value)


class AbuseReceived(Out):
    """A flag was received."""

    received = fields.Boolean(validate=validate.Equal(True))
    message = fields.Nested(Message)


class ConfirmIn(Schema):
    """The token from a confirmation link."""

    class Meta:
        unknown = RAISE

    token = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class Confirmed(Out):
    """An e-mail address confirmed through its link."""

    public_id = fields.String()
    published = fields.Boolean(
        metadata={"description": "whether the report is public now (or waits for moderation)"}
    )
    following = fields.Boolean(
        metadata={"description": "a supporter's link: the address now hears about the report"}
    )
    message = fields.Nested(Message)


class BlockedSenderIn(Schema):
    """An address (`name@example.org`) or a domain (`@example.org`) to block."""

    class Meta:
        unknown = RAISE

    pattern = fields.String(required=True, validate=validate.Length(min=1, max=254))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))

    @validates("pattern", "reason")
    def _text_only(self, value: str | None, **_: object) -> None:
        _no_nul(value)


class BlockedSender(Out):
    """A block-list entry, with who added it (`created_by_name`: the `Augmented` entry's)."""

    id = fields.Integer()
    pattern = fields.String(
        metadata={
            "description": "`name@example.org`, or `@example.org` (the domain and its subdomains)"
        }
    )
    reason = fields.String(allow_none=True)
    created_at = Time()
    created_by = fields.String(metadata={"description": "who added it (`user:ID`, `cli`, …)"})
    created_by_name = fields.String(
        allow_none=True,
        metadata={"description": "the name of that user or API token; null for the command line"},
    )


class BlocklistPage(Out):
    """A page of the block list, by pattern."""

    items = fields.List(fields.Nested(BlockedSender))
    next_cursor = fields.String(
        allow_none=True,
        metadata={"description": "pass it as `cursor` for the next page; null on the last page"},
    )
