"""The outbox's API shapes: undeliverable mails as staff see them, and sending one again."""

from __future__ import annotations

from marshmallow import fields, validate

from .. import paging
from ..web.schemas import Message, Out, Time

FailedMailsPageArgs = paging.page_args("FailedMailsPageArgs", 100, 500)


class Undeliverable(Out):
    """A failed mail as staff may see it (a `service.Undeliverable`): what, to whom (a role,
    never the address), why; on its ticket (`mail_failures`) and in the admin's list."""

    id = fields.Integer(metadata={"description": "the outbox row"})
    kind = fields.String(
        metadata={
            "description": "which mail: `acknowledged`, `resolved`, `rejected`, `followup`, "
            "`confirm_email`, `escalation`, `digest`, …"
        }
    )
    to = fields.String(
        validate=validate.OneOf(["reporter", "follower", "staff"]),
        metadata={"description": "to whom, never the address itself"},
    )
    failed_at = Time()
    attempts = fields.Integer()
    error = fields.String(
        allow_none=True,
        metadata={
            "description": "the mail server's reply (`recipient refused: 550 5.1.1 …`), any "
            "address in it replaced by `<address>`"
        },
    )


class FailedMail(Undeliverable):
    """An undeliverable mail in the admin's list: with its report and when it was queued."""

    report = fields.String(
        allow_none=True, metadata={"description": "the report's public id, if any"}
    )
    created_at = Time()


class FailedMails(Out):
    items = fields.List(fields.Nested(FailedMail))
    next_cursor = fields.String(
        allow_none=True,
        metadata={"description": "pass it as `cursor` for the next page; null on the last page"},
    )


class MailRetried(Out):
    id = fields.Integer()
    status = fields.String(validate=validate.OneOf(["pending"]))
    message = fields.Nested(Message)
