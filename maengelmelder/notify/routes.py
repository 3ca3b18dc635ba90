"""The admin's list of undeliverable mails, and sending one again."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from sqlalchemy import select

from .. import paging
from ..accounts.auth import admin_required
from ..clock import now
from ..core.models import Report
from ..extensions import db
from ..i18n import msg
from ..jobs import enqueue
from ..web.api import Blueprint
from . import schemas
from .jobs import send_pending
from .models import FAILED, OutboxMessage
from .service import retry_failed, undeliverable

bp = Blueprint("notify", __name__, description="Undeliverable mails.")


@bp.get("/api/v1/admin/mails/failed")
@admin_required
@bp.arguments(schemas.FailedMailsPageArgs, location="query")
@bp.response(
    200,
    schemas.FailedMails,
    description="A page of undeliverable mails.",
    headers=paging.LINK_HEADER,
)
def list_failed_mails(args: dict):
    """Mails that could not be delivered, newest first.

    A mail fails for good when the receiving server refuses it permanently (a 5xx reply, such
    as 550 for an unknown mailbox) or after 8 attempts that failed temporarily (4xx,
    unreachable server, timeouts), retried with a backoff of 1, 2, 4 … at most 60 minutes.
    """
    query = (
        select(OutboxMessage, Report.public_id, Report.reporter_email_key)
        .outerjoin(Report, Report.id == OutboxMessage.report_id)
        .where(OutboxMessage.status == FAILED)
        .order_by(OutboxMessage.failed_at.desc(), OutboxMessage.id.desc())
        .limit(args["limit"] + 1)
    )
    if "cursor" in args:
        position = paging.decode_cursor(args["cursor"], (datetime, int), tag="m")
        query = query.where(
            paging.after((OutboxMessage.failed_at, OutboxMessage.id), position, descending=True)
        )
    rows = db.session.execute(query).all()
    page, cursor = paging.split_page(
        rows, args["limit"], lambda row: (row[0].failed_at, row[0].id), tag="m"
    )
    items = [
        {
            **asdict(undeliverable(message, reporter_key)),
            "report": public_id,
            "created_at": message.created_at,
        }
        for message, public_id, reporter_key in page
    ]
    return {"items": items, "next_cursor": cursor}, paging.next_page_headers(cursor)


@bp.post(
    "/api/v1/admin/mails/<int:mail_id>/retry",
    parameters=[{"in": "path", "name": "mail_id", "description": "the id in the list"}],
)
@admin_required
@bp.response(200, schemas.MailRetried, description="Queued again, due now, with fresh attempts.")
@bp.errors(404)
def retry_mail(mail_id: int):
    """Send an undeliverable mail again (after the address or the server was fixed).

    `404` `mail_not_failed` when there is no such mail or it has not failed (it is pending or
    was sent).
    """
    message = retry_failed(db.session, mail_id, now())
    db.session.commit()
    enqueue(send_pending)
    return {"id": message.id, "status": message.status, "message": msg("mail_retried")}
