"""HTTP routes of the abuse defences: the admin's block list."""

from __future__ import annotations

from flask import Blueprint, jsonify
from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy.exc import IntegrityError

from ..accounts.auth import admin_required, authenticated
from ..accounts.routes import body
from ..clock import isoformat, now
from ..extensions import db
from . import service
from .models import BlockedSender

bp = Blueprint("abuse", __name__)


class BlockedSenderIn(Schema):
    """An address (`name@example.org`) or a domain (`@example.org`) to block."""

    class Meta:
        unknown = RAISE

    pattern = fields.String(required=True, validate=validate.Length(min=1, max=254))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


def blocked_out(entry: BlockedSender) -> dict:
    return {
        "id": entry.id,
        "pattern": entry.pattern,
        "reason": entry.reason,
        "created_at": isoformat(entry.created_at),
        "created_by": entry.created_by,
    }


@bp.get("/api/v1/admin/blocklist")
@admin_required
def list_blocklist():
    """Every blocked address and domain, by pattern."""
    return jsonify({"items": [blocked_out(e) for e in service.list_blocked(db.session)]})


@bp.post("/api/v1/admin/blocklist")
@admin_required
def add_blocklist():
    """Block an address or a domain (its subdomains too)."""
    args = body(BlockedSenderIn())
    entry = service.add_blocked(
        db.session,
        args["pattern"],
        reason=args["reason"],
        actor=authenticated().actor,
        now=now(),
    )
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise service.duplicate_on_commit(entry.pattern) from exc
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
