"""The admin's list of undeliverable mails, and sending one again."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, jsonify, request
from sqlalchemy import select

from .. import paging
from ..accounts.auth import admin_required
from ..clock import isoformat, now
from ..extensions import db
from ..i18n import msg
from ..jobs import enqueue
from ..reports.models import Report
from .models import FAILED, OutboxMessage
from .service import retry_failed, undeliverable

bp = Blueprint("notify", __name__)
FailedMailsPageArgs = paging.page_args("FailedMailsPageArgs", 100, 500)


@bp.get("/api/v1/admin/mails/failed")
@admin_required
def list_failed_mails():
    """Mails that could not be delivered, newest first, a page at a time."""
    args = paging.load_args(FailedMailsPageArgs(), request.args.to_dict())
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
            **undeliverable(message, reporter_key).as_json(),
            "report": public_id,
            "created_at": isoformat(message.created_at),
        }
        for message, public_id, reporter_key in page
    ]
    resp = jsonify({"items": items, "next_cursor": cursor})
    link = paging.link_header(paging.next_link(cursor))
    if link:
        resp.headers["Link"] = link
    return resp


@bp.post("/api/v1/admin/mails/<int:mail_id>/retry")
@admin_required
def retry_mail(mail_id: int):
    """Queue an undeliverable mail again (after the address or the mail server was fixed)."""
    message = retry_failed(db.session, mail_id, now())
    db.session.commit()
    enqueue("maengelmelder.notify.jobs.send_pending")
    return jsonify({"id": message.id, "status": message.status, "message": msg("mail_retried")})
