"""Answers from bodies without Open311: signed webhook updates.

A body reached by webhook posts `{"delivery": key, "status": …, "note": …}` back, signed like
our outbound requests (HMAC-SHA256 with the destination's secret over `timestamp + "." +
body`). Each update is an `external_update` event on the ticket; `resolved` resolves a ticket
that waits for the body (the reporter is told, as for the department's own resolution),
`returned` gives it back to its department with the reason. The same update sent again
(same delivery, timestamp and body) is recognised by its digest and changes nothing.

A `resolved` update may carry one photo inline, `"photo": {"content_type": "image/jpeg",
"data": <base64>}` (the server fetches no URLs). Only such a body may exceed 16 KB, by one
photo's worth of base64 (`body_cap`); the cap is checked on the declared length before
reading and while reading. The photo is decoded only after the signature is verified and goes
through the same pipeline as the secret link page's photo (`photo_attacher`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Request

from ..core import states
from ..core.events import Change, TicketEvent, record
from ..core.models import Report
from ..errors import ApiError, field_error
from ..reports.limits import intake_limits
from ..storage import storage
from ..tickets import moderation
from ..tickets import service as tickets
from .answers import RESOLVED_NOTE
from .channels import signature
from .models import WEBHOOK, Delivery

MAX_AGE = 300  # seconds a signed update stays acceptable
MAX_BODY = 16 * 1024
MAX_NOTE = 2000
ACKNOWLEDGED, RESOLVED, RETURNED = "acknowledged", "resolved", "returned"
UPDATE_STATUSES = (ACKNOWLEDGED, RESOLVED, RETURNED)
KEY = re.compile(r"[0-9a-f]{1,64}")
PHOTO_FIELDS = frozenset({"content_type", "data"})
CONTENT_TYPE = re.compile(r"image/[a-z0-9.+-]{1,60}")
_MB = 1024 * 1024


def body_cap(config: Mapping[str, Any]) -> int:
    """The most bytes an update's body may have: 16 KB plus one photo of the app's largest
    size in base64 (4 characters for every 3 bytes), never more than any upload may have."""
    cap = -(-config["MAX_PHOTO_BYTES"] // 3) * 4 + MAX_BODY
    upload = config.get("MAX_CONTENT_LENGTH")
    return min(cap, upload) if upload else cap


def read(request: Request, cap: int) -> bytes:
    """The body, never more than `cap` bytes of it read: a larger declared Content-Length is
    refused before reading anything, and a body without one (chunked) is cut off at `cap`
    (one longer than it declared is read only as far as declared); 413."""
    limit = f"{cap // _MB} MB" if cap >= _MB else f"{cap // 1024} KB"
    too_large = ApiError(413, "update_body_too_large", limit=limit)
    if request.content_length is not None and request.content_length > cap:
        raise too_large
    # One byte more than the cap, so that a body cut off there is told from one that fits.
    request.max_content_length = cap + 1
    try:
        body = request.get_data(cache=False)
    except RequestEntityTooLarge:
        raise too_large from None
    if len(body) > cap:
        raise too_large
    return body


class _TwoPhotos(Exception):
    """The body names `photo` twice (a JSON parser would keep only the last)."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict:
    data = dict(pairs)
    if len(data) < len(pairs) and sum(key == "photo" for key, _ in pairs) > 1:
        raise _TwoPhotos
    return data


def parse(body: bytes, loads: Callable[..., object] = json.loads) -> dict:
    """The update's fields, checked before anything is looked up; 400/413/422 with a message.

    `loads` is the app's JSON parser (it refuses invalid Unicode and deep nesting). A photo's
    shape is checked here, its content only after the signature (`photo_bytes`)."""
    try:
        data = loads(body, object_pairs_hook=_pairs)
    except (ValueError, RecursionError) as exc:
        raise ApiError(400, "invalid_json") from exc
    except _TwoPhotos:
        raise field_error("photo", "update_photo_one") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json")
    key = data.get("delivery")
    if not isinstance(key, str) or not KEY.fullmatch(key):
        raise field_error("delivery", "update_delivery_invalid")
    status = data.get("status")
    if status not in UPDATE_STATUSES:
        raise field_error("status", "update_status_invalid")
    note = data.get("note")
    if note is not None and not isinstance(note, str):
        raise field_error("note", "update_note_invalid")
    note = (note or "").strip()
    if not note_ok(note):
        raise field_error("note", "update_note_invalid")
    if status == RETURNED and not note:
        raise field_error("note", "update_reason_required")
    photo = _photo(data, status)
    if photo is None and len(body) > MAX_BODY:
        raise ApiError(413, "update_too_large")
    return {"delivery": key, "status": status, "note": note or None, "photo": photo}


def _photo(data: dict, status: str) -> str | None:
    """The photo's base64 text, if the update carries one (only with "resolved", one)."""
    photo = data.get("photo")
    if "photos" in data or isinstance(photo, list):
        raise field_error("photo", "update_photo_one")
    if photo is None:
        return None
    content_type = photo.get("content_type", "image/jpeg") if isinstance(photo, dict) else None
    if (
        not isinstance(photo, dict)
        or not isinstance(photo.get("data"), str)
        or not set(photo) <= PHOTO_FIELDS
        or not isinstance(content_type, str)
        or not CONTENT_TYPE.fullmatch(content_type)
    ):
        raise field_error("photo", "update_photo_invalid")
    if status != RESOLVED:
        raise field_error("photo", "update_photo_only_resolved")
    return photo["data"]


def photo_bytes(text: str) -> bytes:
    """The photo's bytes from its base64 text (RFC 4648, padded, no line breaks); 422."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise field_error("photo", "update_photo_base64") from None


def photo_attacher(
    session: Session, change: Change, blobs: list[bytes], added: list[int]
) -> Callable[[Report], list[int]]:
    """`apply`'s `attach` for an update's photo (the webhook's and the link page's): stored
    like a crew's "after" photo (checked, decoded, stripped, its privacy pass pending); the
    new photos' ids go to `added`, so the caller queues their passes after the commit. A bad
    photo raises (422/413) with its message under the field `photo`."""

    def attach(report: Report) -> list[int]:
        try:
            photos = moderation.add_after_photos(
                session, report, change, blobs, storage=storage(), limits=intake_limits()
            )
        except ApiError as exc:
            found = (exc.fields or {}).get("photos")
            if isinstance(found, dict) and len(found) == 1:
                exc.fields = {"photo": next(iter(found.values()))}
            raise
        added.extend(photo.id for photo in photos)
        return [photo.id for photo in photos]

    return attach


def note_ok(note: str) -> bool:
    """At most MAX_NOTE characters, and no NUL (no database text holds one)."""
    return len(note) <= MAX_NOTE and "\x00" not in note


def verify(
    session: Session, key: str, timestamp: str | None, sig: str | None, body: bytes, now: datetime
) -> Delivery:
    """The delivery the update is about, if the signature and its age are right; else 401.

    An unknown delivery, a destination that is not a webhook and a wrong signature look the
    same to the caller."""
    try:
        stamp = int(timestamp or "")
    except ValueError:
        raise ApiError(401, "update_signature_invalid") from None
    delivery = session.scalar(select(Delivery).where(Delivery.key == key))
    secret = delivery.destination.secret if delivery is not None else None
    if delivery is None or delivery.destination.channel != WEBHOOK or not secret:
        raise ApiError(401, "update_signature_invalid")
    expected = signature(secret, str(stamp), body)
    if not hmac.compare_digest(expected.encode(), (sig or "").encode()):
        raise ApiError(401, "update_signature_invalid")
    if abs(now.timestamp() - stamp) > MAX_AGE:
        raise ApiError(401, "update_too_old")
    return delivery


def digest(key: str, timestamp: str, body: bytes) -> str:
    return hashlib.sha256(key.encode() + b"\n" + timestamp.encode() + b"\n" + body).hexdigest()


def apply(
    session: Session,
    delivery: Delivery,
    update: dict,
    change: Change,
    seen: str,
    attach: Callable[[Report], list[int]] | None = None,
) -> str | None:
    """Record one update; None when it was seen before (a replay: nothing written).

    `attach` adds the update's photos to the report (after the replay check, before the
    event, which names the photos' ids); it raises to write nothing."""
    # One update of a delivery at a time (SQLite serialises writers anyway).
    session.execute(select(Delivery.id).where(Delivery.id == delivery.id).with_for_update()).all()
    report = session.get(Report, delivery.report_id)
    earlier = session.scalars(
        select(TicketEvent.data).where(
            TicketEvent.report_id == report.id, TicketEvent.kind == "external_update"
        )
    ).all()
    if any(isinstance(data, dict) and data.get("update") == seen for data in earlier):
        return None
    if report.status not in states.OPEN:
        raise ApiError(409, "update_ticket_closed")
    destination = delivery.destination
    status, note = update["status"], update["note"]
    photos = attach(report) if attach is not None else []
    record(
        report,
        change,
        "external_update",
        internal_note=note,
        data={
            "destination": destination.id,
            "name": {"de": destination.name_de, "en": destination.name_en},
            "status": status,
            "delivery": delivery.key,
            "update": seen,
            **({"photos": photos} if photos else {}),
        },
    )
    delivery.remote_status = status
    delivery.remote_checked_at = change.now
    waiting = report.status == states.WAITING_EXTERNAL
    if status == RESOLVED and waiting:
        public = note or RESOLVED_NOTE["de"].format(name=destination.name_de)
        tickets.transition(session, report, change, to=states.RESOLVED, public_note=public)
    elif status == RETURNED and waiting:
        tickets.transition(session, report, change, to=states.IN_PROGRESS, internal_note=note)
    session.flush()
    return status
