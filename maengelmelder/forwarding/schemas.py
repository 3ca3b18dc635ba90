"""The forwarding API's shapes: destinations (without their secrets), hand-overs, deliveries."""

from __future__ import annotations

from urllib.parse import urlsplit

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from .. import paging
from ..i18n import MESSAGES
from ..web.schemas import Message, Out, Time
from .models import CHANNELS, STATUSES

DestinationsPageArgs = paging.page_args("DestinationsPageArgs", 50, 200)

_TEXT = validate.Length(min=1, max=200)


def _english(code: str) -> str:
    return MESSAGES[code][1]


def _http_url(value: str) -> None:
    parts = urlsplit(value)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() for c in value)
    ):
        raise ValidationError(_english("destination_url_invalid"))


def _address(value: str) -> None:
    local, at, domain = value.partition("@")
    if not (local and at and "." in domain) or any(c.isspace() or c in "<>,;" for c in value):
        raise ValidationError(_english("destination_email_invalid"))


def _codes(value: dict) -> None:
    ok = len(value) <= 500 and all(
        isinstance(k, str) and isinstance(v, str) and 0 < len(k) <= 64 and 0 < len(v) <= 255
        for k, v in value.items()
    )
    if not ok:
        raise ValidationError(_english("destination_codes_invalid"))


class DestinationIn(Schema):
    """A new external body and its channel: `open311` needs `url` (the endpoint's root, e.g.
    `https://stadtwerke.example/open311/v2`) and `api_key`, optionally `jurisdiction_id` and
    `service_codes` (our category code → their service_code); `email` needs `email`;
    `webhook` needs `url` (its signing secret is made by the server and answered once)."""

    class Meta:
        unknown = RAISE

    name_de = fields.String(required=True, validate=_TEXT)
    name_en = fields.String(required=True, validate=_TEXT)
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    url = fields.String(
        load_default=None, allow_none=True, validate=[_http_url, validate.Length(max=2000)]
    )
    api_key = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=255))
    jurisdiction_id = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=255)
    )
    service_codes = fields.Dict(load_default=None, allow_none=True, validate=_codes)
    email = fields.String(
        load_default=None, allow_none=True, validate=[_address, validate.Length(max=254)]
    )
    active = fields.Boolean(load_default=True)


class DestinationChange(Schema):
    """Any of a destination's fields; the channel stays (a new body for another channel)."""

    class Meta:
        unknown = RAISE

    name_de = fields.String(validate=_TEXT)
    name_en = fields.String(validate=_TEXT)
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    url = fields.String(allow_none=True, validate=[_http_url, validate.Length(max=2000)])
    api_key = fields.String(allow_none=True, validate=validate.Length(max=255))
    jurisdiction_id = fields.String(allow_none=True, validate=validate.Length(max=255))
    service_codes = fields.Dict(allow_none=True, validate=_codes)
    email = fields.String(allow_none=True, validate=[_address, validate.Length(max=254)])
    active = fields.Boolean()


class DestinationOut(Out):
    """A destination as admins read it: never its api_key or webhook secret."""

    id = fields.Integer()
    name = fields.Nested(Message, metadata={"description": "German and English"})
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    url = fields.String(allow_none=True)
    jurisdiction_id = fields.String(allow_none=True)
    service_codes = fields.Dict(allow_none=True)
    email = fields.String(allow_none=True)
    has_api_key = fields.Boolean()
    active = fields.Boolean()
    created_at = Time()
    updated_at = Time()


class DestinationCreated(DestinationOut):
    secret = fields.String(
        allow_none=True,
        metadata={
            "description": "a webhook's signing secret, answered this once and never again; "
            "null for other channels"
        },
    )


class Destinations(Out):
    items = fields.List(fields.Nested(DestinationOut))
    next_cursor = fields.String(allow_none=True)


class DestinationChoice(Out):
    """A switched-on destination as every staff member reads it, to hand a ticket over."""

    id = fields.Integer()
    name = fields.Nested(Message, metadata={"description": "German and English"})
    channel = fields.String(validate=validate.OneOf(CHANNELS))


class DestinationChoices(Out):
    items = fields.List(fields.Nested(DestinationChoice))
    next_cursor = fields.String(allow_none=True)


class HandOverIn(Schema):
    class Meta:
        unknown = RAISE

    destination = fields.Integer(required=True, strict=True, metadata={"description": "its id"})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    copy_only = fields.Boolean(
        load_default=False,
        metadata={"description": "the body gets a copy; the ticket stays with its department"},
    )


class DeliveryOut(Out):
    """One hand-over to an external body and how its delivery stands."""

    id = fields.Integer()
    key = fields.String(metadata={"description": "the idempotency key sent with it"})
    destination = fields.Integer()
    destination_name = fields.Nested(Message)
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    status = fields.String(validate=validate.OneOf(STATUSES))
    attempts = fields.Integer()
    created_at = Time()
    next_attempt_at = Time(allow_none=True)
    delivered_at = Time(allow_none=True)
    failed_at = Time(allow_none=True)
    error = fields.String(allow_none=True, metadata={"description": "the last attempt's error"})
    remote_id = fields.String(allow_none=True, metadata={"description": "their request id"})
    remote_token = fields.String(allow_none=True)
    remote_status = fields.String(
        allow_none=True,
        metadata={"description": "Open311: their status as last polled, `open` or `closed`"},
    )


class Deliveries(Out):
    items = fields.List(fields.Nested(DeliveryOut))


class Forwarded(Out):
    delivery = fields.Nested(DeliveryOut)
    status = fields.String(metadata={"description": "the ticket's state now"})
    version = fields.Integer(metadata={"description": "the ticket's version now (its ETag)"})


class DeliveryRetried(Out):
    delivery = fields.Nested(DeliveryOut)
    message = fields.Nested(Message)


class FailedDeliveries(Out):
    failed = fields.Integer(metadata={"description": "deliveries that failed for good"})


class DeliveriesPageArgs(Schema):
    """The list of deliveries: only the failed ones are listed (`status=failed`)."""

    class Meta:
        unknown = RAISE

    status = fields.String(
        required=True,
        validate=validate.OneOf(("failed",)),
        metadata={"description": "`failed`: the deliveries that failed for good"},
    )
    limit = paging.limit_field(50, 200)
    cursor = paging.cursor_field()


class FailedDelivery(Out):
    """A delivery that failed for good, with its ticket: what a supervisor retries."""

    id = fields.Integer()
    report = fields.String(metadata={"description": "the ticket's public id"})
    destination = fields.Integer()
    destination_name = fields.Nested(Message)
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    attempts = fields.Integer()
    error = fields.String(allow_none=True, metadata={"description": "the last attempt's error"})
    failed_at = Time()
    created_at = Time()


class FailedDeliveryPage(Out):
    items = fields.List(fields.Nested(FailedDelivery))
    next_cursor = fields.String(allow_none=True)


class DestinationTested(Out):
    ok = fields.Boolean()
    detail = fields.String()


class UpdatePhotoIn(Schema):
    """A photo sent inline with a signed update."""

    content_type = fields.String(
        metadata={
            "description": "optional, `image/…`; the bytes decide the format",
            "example": "image/jpeg",
        }
    )
    data = fields.String(
        required=True,
        metadata={"description": "the image file in base64 (RFC 4648, padded, no line breaks)"},
    )


class UpdateIn(Schema):
    """A body's signed update (read as posted: the signature covers the raw bytes)."""

    delivery = fields.String(
        required=True, metadata={"description": "the delivery's key, as it came with the report"}
    )
    status = fields.String(
        required=True,
        validate=validate.OneOf(("acknowledged", "resolved", "returned")),
        metadata={"description": "`returned` gives the ticket back to the city (note: why)"},
    )
    note = fields.String(
        allow_none=True, metadata={"description": "at most 2000 characters; the reason to return"}
    )
    photo = fields.Nested(
        UpdatePhotoIn,
        allow_none=True,
        metadata={
            "description": (
                "one photo, only with `resolved` (the server fetches no URLs): stored like a"
                " crew's after photo, public once its privacy pass ran. With it the body may"
                " exceed 16 KB by the largest photo's base64 (`MAX_PHOTO_BYTES` × 4/3)"
            )
        },
    )


class UpdateRecorded(Out):
    recorded = fields.Boolean(metadata={"description": "false: this update was seen before"})
    status = fields.String(metadata={"description": "the ticket's state now"})
    message = fields.Nested(Message)
