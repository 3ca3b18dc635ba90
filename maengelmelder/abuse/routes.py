"""HTTP routes of the abuse defences: "report abuse" and e-mail confirmation for citizens,
the admin's block list."""

from __future__ import annotations

import flask
from flask import current_app, render_template, request
from flask_limiter.util import get_remote_address
from sqlalchemy.exc import IntegrityError

from .. import paging
from ..accounts.auth import admin_required, authenticated
from ..accounts.service import actor_names
from ..clock import now
from ..core.settings import abuse_settings
from ..errors import ApiError
from ..extensions import db, limiter
from ..i18n import msg
from ..web.api import Blueprint
from ..web.augmented import Augmented
from ..web.shell import frontend_index, page
from . import confirmation, flags, schemas, service
from .models import BlockedSender

bp = Blueprint(
    "abuse",
    __name__,
    template_folder="templates",
    description="Report abuse, e-mail confirmation, the block list.",
)


@bp.post("/api/v1/reports/<public_id>/abuse")
@limiter.limit(lambda: current_app.config["ABUSE_LIMIT_IP"])
@bp.arguments(schemas.AbuseIn)
@bp.response(
    202,
    schemas.AbuseReceived,
    description="Received (also when this caller had flagged it before).",
)
@bp.errors(404, 429)
def report_abuse(args: dict, public_id: str):
    """Report abuse: flag a published report's text or photos for staff to check.

    One flag per caller (device id, or else address) and report; when the open flags reach
    the configured threshold the citizen text and photos leave public view until staff
    decide. An unknown or unpublished report is `404`. Rate limited per address (`429` with
    Retry-After).
    """
    report = flags.flaggable(db.session, public_id)
    cfg = current_app.config
    flagger = flags.flagger_id(
        cfg["SECRET_KEY"],
        request.headers.get("X-Device-Id", "").strip()[:64] or None,
        get_remote_address(),
    )
    # A repeated flag from the same flagger gets the same answer and adds nothing.
    flags.flag(
        db.session,
        report,
        reason=args["reason"],
        comment=args["comment"],
        flagger=flagger,
        now=now(),
        threshold=abuse_settings().hide_threshold,
    )
    db.session.commit()
    return {"received": True, "message": msg("abuse_received")}


def _confirm(token: str):
    cfg = current_app.config

    def confirm():
        result = confirmation.confirm(
            db.session,
            token,
            secret_key=cfg["SECRET_KEY"],
            now=now(),
            days=abuse_settings().confirm_email_days,
        )
        db.session.commit()
        return result

    try:
        result = confirm()
    except IntegrityError:
        # The same link followed twice at once; the other request did it: confirming again
        # changes nothing and answers alike.
        db.session.rollback()
        result = confirm()
    if result.following:
        return result, msg("email_confirmed_following", public_id=result.report.public_id)
    code = "email_confirmed_published" if result.report.published else "email_confirmed_review"
    return result, msg(code)


@bp.post("/api/v1/reports/confirm")
@bp.arguments(schemas.ConfirmIn)
@bp.response(200, schemas.Confirmed, description="Confirmed (also when it was before).")
@bp.errors(410)
def confirm_email(args: dict):
    """Confirm the reporter's e-mail address with the token from the mail's link.

    A reporter (or supporter) followed the confirmation link. Releases every report from the
    address held until it is confirmed (`MAENGELMELDER_CONFIRM_UNKNOWN_EMAILS`); later reports
    from it are not held. A supporter's link (`following: true`) lets the address follow the
    report. An expired link is `410` `confirmation_expired`, a bad one `400`
    `confirmation_invalid`.
    """
    result, message = _confirm(args["token"])
    return {
        "public_id": result.report.public_id,
        "published": result.report.published,
        "following": result.following,
        "message": message,
    }


@page(bp, "/confirm/<token>", methods=["GET"])
def confirm_page(token: str):
    """The confirmation link's page: the citizen app (it reads the token from the path and
    confirms), or without a built app a page with a button (confirming takes a click, so a
    mail scanner that opens links confirms nothing)."""
    return frontend_index() or render_template("abuse_confirm.html", message=None)


@page(bp, "/confirm/<token>", methods=["POST"])
def confirm_page_submit(token: str):
    """The button of the page without JavaScript."""
    try:
        result, message = _confirm(token)
    except ApiError as exc:
        return render_template("abuse_confirm.html", message=exc.message), exc.status
    return render_template("abuse_confirm.html", message=message, public_id=result.report.public_id)


def _with_names(entries: list[BlockedSender]) -> list[Augmented]:
    """Entries with `created_by_name`, who added each, readably."""
    names = actor_names(db.session, (e.created_by for e in entries))
    return [Augmented(e, created_by_name=names.get(e.created_by)) for e in entries]


@bp.get("/api/v1/admin/blocklist")
@admin_required
@bp.arguments(schemas.BlocklistPageArgs, location="query")
@bp.response(
    200,
    schemas.BlocklistPage,
    description="Entries by pattern, a page at a time.",
    headers=paging.LINK_HEADER,
)
def list_blocklist(args: dict):
    """The block list: reports from these senders are accepted but held.

    Blocked addresses and domains by pattern, a page at a time.
    """
    after = paging.decode_cursor(args["cursor"], (str,), tag="b")[0] if "cursor" in args else None
    entries = service.list_blocked(db.session, limit=args["limit"] + 1, after=after)
    shown, cursor = paging.split_page(entries, args["limit"], lambda e: (e.pattern,), tag="b")
    return {"items": _with_names(shown), "next_cursor": cursor}, paging.next_page_headers(cursor)


@bp.post("/api/v1/admin/blocklist")
@admin_required
@bp.arguments(schemas.BlockedSenderIn)
@bp.response(201, schemas.BlockedSender, description="Added.")
@bp.errors(409)
def add_blocklist(args: dict):
    """Block an address or a domain.

    Its subdomains too. A malformed pattern is `422` naming `pattern`; one already on the
    list is `409` `blocklist_duplicate`.
    """
    actor = authenticated().actor
    try:
        entry = service.add_blocked(
            db.session, args["pattern"], reason=args["reason"], actor=actor, now=now()
        )
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise service.duplicate_on_commit(service.normalize_pattern(args["pattern"])) from exc
    return _with_names([entry])[0]


@bp.delete("/api/v1/admin/blocklist/<int:entry_id>")
@admin_required
@bp.response(204, description="Removed.")
@bp.errors(404)
def remove_blocklist(entry_id: int):
    """Take an entry off the block list (reports already held stay held)."""
    service.remove_blocked(db.session, entry_id)
    db.session.commit()
    return flask.Response(status=204)
