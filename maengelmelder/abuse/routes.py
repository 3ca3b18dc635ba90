"""HTTP routes of the abuse defences: "report abuse" and e-mail confirmation for citizens,
the admin's block list."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request
from flask_limiter.util import get_remote_address
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates
from sqlalchemy.exc import IntegrityError

from .. import paging
from ..accounts.auth import admin_required, authenticated
from ..accounts.routes import body
from ..accounts.service import actor_names
from ..clock import isoformat, now
from ..errors import ApiError
from ..extensions import db, limiter
from ..i18n import msg
from ..reports.routes import frontend_index
from . import confirmation, flags, service
from .models import ABUSE_REASONS, BlockedSender

bp = Blueprint("abuse", __name__, template_folder="templates")
BlocklistPageArgs = paging.page_args("BlocklistPageArgs", 500, 1000)


class BlockedSenderIn(Schema):
    """An address (`name@example.org`) or a domain (`@example.org`) to block."""

    class Meta:
        unknown = RAISE

    pattern = fields.String(required=True, validate=validate.Length(min=1, max=254))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))

    @validates("pattern", "reason")
    def _text_only(self, value: str | None, **_: object) -> None:
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
        if value and "\x00" in value:
            raise ValidationError("Not a valid string.")


@bp.post("/api/v1/reports/<public_id>/abuse")
@limiter.limit(lambda: current_app.config["ABUSE_LIMIT_IP"])
def report_abuse(public_id: str):
    """A citizen flags a published report; enough distinct flags take its content offline."""
    args = body(AbuseIn())
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
        threshold=cfg["ABUSE_HIDE_THRESHOLD"],
    )
    db.session.commit()
    resp = jsonify({"received": True, "message": msg("abuse_received")})
    resp.status_code = 202
    return resp


class ConfirmIn(Schema):
    """The token from a confirmation link."""

    class Meta:
        unknown = RAISE

    token = fields.String(required=True, validate=validate.Length(min=1, max=1000))


def _confirm(token: str):
    cfg = current_app.config

    def confirm():
        result = confirmation.confirm(
            db.session,
            token,
            secret_key=cfg["SECRET_KEY"],
            now=now(),
            days=cfg["CONFIRM_EMAIL_DAYS"],
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
def confirm_email():
    """A reporter (or supporter) followed the confirmation link: the address is confirmed."""
    result, message = _confirm(body(ConfirmIn())["token"])
    return jsonify(
        {
            "public_id": result.report.public_id,
            "published": result.report.published,
            "following": result.following,
            "message": message,
        }
    )


@bp.get("/confirm/<token>")
def confirm_page(token: str):
    """The confirmation link's page: the citizen app (it reads the token from the path and
    confirms), or without a built app a page with a button (confirming takes a click, so a
    mail scanner that opens links confirms nothing)."""
    return frontend_index() or render_template("abuse_confirm.html", message=None)


@bp.post("/confirm/<token>")
def confirm_page_submit(token: str):
    """The button of the page without JavaScript."""
    try:
        result, message = _confirm(token)
    except ApiError as exc:
        return render_template("abuse_confirm.html", message=exc.message), exc.status
    return render_template("abuse_confirm.html", message=message, public_id=result.report.public_id)


def blocked_out(entry: BlockedSender, names: dict[str, str] | None = None) -> dict:
    """A block-list entry; `names` (from `actor_names`) says readably who added it."""
    if names is None:
        names = actor_names(db.session, [entry.created_by])
    return {
        "id": entry.id,
        "pattern": entry.pattern,
        "reason": entry.reason,
        "created_at": isoformat(entry.created_at),
        "created_by": entry.created_by,
        "created_by_name": names.get(entry.created_by),
    }


@bp.get("/api/v1/admin/blocklist")
@admin_required
def list_blocklist():
    """Blocked addresses and domains by pattern, a page at a time."""
    args = paging.load_args(BlocklistPageArgs(), request.args.to_dict())
    after = paging.decode_cursor(args["cursor"], (str,), tag="b")[0] if "cursor" in args else None
    entries = service.list_blocked(db.session, limit=args["limit"] + 1, after=after)
    page, cursor = paging.split_page(entries, args["limit"], lambda e: (e.pattern,), tag="b")
    names = actor_names(db.session, (e.created_by for e in page))
    resp = jsonify({"items": [blocked_out(e, names) for e in page], "next_cursor": cursor})
    link = paging.link_header(paging.next_link(cursor))
    if link:
        resp.headers["Link"] = link
    return resp


@bp.post("/api/v1/admin/blocklist")
@admin_required
def add_blocklist():
    """Block an address or a domain (its subdomains too)."""
    args = body(BlockedSenderIn())
    actor = authenticated().actor
    try:
        entry = service.add_blocked(
            db.session, args["pattern"], reason=args["reason"], actor=actor, now=now()
        )
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise service.duplicate_on_commit(service.normalize_pattern(args["pattern"])) from exc
    resp = jsonify(blocked_out(entry))
    resp.status_code = 201
    return resp


@bp.delete("/api/v1/admin/blocklist/<int:entry_id>")
@admin_required
def remove_blocklist(entry_id: int):
    """Take an entry off the block list (reports already held stay held)."""
    service.remove_blocked(db.session, entry_id)
    db.session.commit()
    return "", 204
