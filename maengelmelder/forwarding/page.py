"""The secret link page (`/extern/<token>`): a body without a system of its own answers here.

The page shows the one report handed over (its public details and photos, the place) and three
forms: acknowledge, resolve with a note, give back to the city with a reason. No account: the
token in the path is the secret. Each form carries a nonce bound to the ticket's version: a
form from a page that is out of date is refused, and the same form sent twice is recorded
once. Each action is
an `external_update` event, as a webhook body's signed update is (`inbound.apply`).

"Erledigt" takes an optional photo (multipart field `photo`): checked and stored like a
crew's "after" photo (the same pipeline, its privacy pass queued after the commit), named by
the resolution's event, shown to staff and, once its pass ran, to the public. A bad photo
writes nothing: no event, no file.
"""

from __future__ import annotations

import hashlib
import hmac

import flask
from flask import current_app, render_template, request
from sqlalchemy import select

from ..clock import now
from ..core import states
from ..core.events import Change
from ..core.links import links
from ..core.models import Report
from ..core.settings import sla_settings
from ..core.tokens import token_hash
from ..errors import ApiError
from ..extensions import db
from ..i18n import Message, msg
from ..reports.media import listed_photos
from ..reports.passes import queue_passes
from . import inbound
from .link import form_nonce
from .models import Delivery

page_bp = flask.Blueprint("forwarding_page", __name__, template_folder="templates")

EXPIRED = frozenset({states.CLOSED, states.REJECTED, states.DUPLICATE})


def _find(token: str) -> tuple[Delivery, Report] | None:
    """The delivery and its report, while the link is valid (until the ticket closes)."""
    if not 0 < len(token) <= 64:
        return None
    delivery = db.session.scalar(select(Delivery).where(Delivery.link_hash == token_hash(token)))
    report = db.session.get(Report, delivery.report_id) if delivery is not None else None
    if report is None or report.status in EXPIRED:
        return None
    return delivery, report


def _render(delivery: Delivery, report: Report, *, message=None, status: int = 200):
    secret = current_app.config["SECRET_KEY"]
    photos = [f"/media/{p.storage_key}-web.jpg" for p in listed_photos(report)]
    body = render_template(
        "extern.html",
        report=report,
        destination=delivery.destination,
        photos=photos,
        state=states.LABELS.get(report.status, {"de": report.status, "en": report.status}),
        open=report.status in states.OPEN,
        nonce=form_nonce(secret, delivery.key, report.version),
        message=message,
    )
    return body, status, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _not_found():
    body = render_template("extern_not_found.html")
    return body, 404, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@page_bp.get("/extern/<token>")
def extern_page(token: str):
    found = _find(token)
    if found is None:
        return _not_found()
    return _render(*found)


@page_bp.post("/extern/<token>")
def extern_action(token: str):
    found = _find(token)
    if found is None:
        return _not_found()
    delivery, report = found
    secret = current_app.config["SECRET_KEY"]
    nonce = request.form.get("nonce", "")
    expected = form_nonce(secret, delivery.key, report.version)
    if not hmac.compare_digest(expected.encode(), nonce.encode()):
        return _render(delivery, report, message=msg("extern_page_outdated"), status=409)
    at = now()
    change = Change(principal=None, now=at, links=links(), sla=sla_settings(), by_system=True)
    update = {"delivery": delivery.key, "status": request.form.get("action"), "note": None}
    note = request.form.get("note", "").strip()
    added: list[int] = []
    try:
        if update["status"] not in inbound.UPDATE_STATUSES:
            raise ApiError(422, "update_status_invalid")
        if not inbound.note_ok(note):
            raise ApiError(422, "update_note_invalid")
        if update["status"] == inbound.RETURNED and not note:
            raise ApiError(422, "update_reason_required")
        blobs = _photo_blobs(update["status"])
        update["note"] = note or None
        photo_digest = "".join(hashlib.sha256(b).hexdigest() for b in blobs)
        form = f"{nonce}\n{update['status']}\n{note}\n{photo_digest}".encode()
        seen = inbound.digest(delivery.key, "form", form)

        attach = inbound.photo_attacher(db.session, change, blobs, added) if blobs else None
        outcome = inbound.apply(db.session, delivery, update, change, seen, attach)
        db.session.commit()
    except ApiError as exc:
        db.session.rollback()
        found = _find(token)
        if found is None:
            return _not_found()
        return _render(*found, message=_page_message(exc), status=exc.status)
    if added:
        queue_passes(added)
    code = "update_recorded" if outcome else "update_replayed"
    return _render(delivery, db.session.get(Report, report.id), message=msg(code))


def _photo_blobs(status: str) -> list[bytes]:
    """The form's photo, if one was chosen: at most one, and only with "resolved"."""
    for name in request.files:
        if name != "photo":
            raise ApiError(422, "extern_file_unexpected")
    blobs = []
    for upload in request.files.getlist("photo"):
        blob = upload.read()
        if blob or upload.filename:  # browsers send an empty part for "no file chosen"
            blobs.append(blob)
    if len(blobs) > 1:
        raise ApiError(422, "extern_photo_one")
    if blobs and status != inbound.RESOLVED:
        raise ApiError(422, "extern_photo_only_resolved")
    return blobs


def _page_message(exc: ApiError) -> Message:
    """What the page says about an error: a field's own message (a photo's) where there is
    one, else the error's."""
    found = exc.fields or {}
    while isinstance(found, dict) and found:
        found = next(iter(found.values()))
    if isinstance(found, list) and found and isinstance(found[0], dict) and "de" in found[0]:
        return found[0]
    return exc.message
