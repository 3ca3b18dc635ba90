"""What the public sees of a ticket: publishing text and photos, blacking out, after photos."""

from __future__ import annotations

import io
import secrets

from PIL import Image, ImageDraw
from sqlalchemy.orm import Session

from ..abuse.flags import resolve_open_flags
from ..core import photo_privacy
from ..core.models import Photo, Report
from ..errors import ApiError, field_error
from ..reports.service import IntakeLimits, process_photos
from ..storage import MediaStorage
from .service import Change, record


def publish(
    session: Session,
    report: Report,
    change: Change,
    *,
    public_description: str | None = None,
    photo_ids: list[int] | None = None,
) -> None:
    """Make the text (as edited) and the chosen photos public; the original stays internal."""
    if photo_ids is not None:
        unknown = set(photo_ids) - {p.id for p in report.photos}
        if unknown:
            raise field_error("photo_ids", "photo_not_found", status=422)
    data = {"photo_ids": photo_ids}
    internal = None
    if public_description is not None and public_description != report.description:
        data["edited"] = True
        internal = f"Originaltext / original text:\n{report.description}"
    if report.held_reason:
        data["held_reason"] = report.held_reason
    # Staff looked at the report: citizens' abuse flags on it are dealt with.
    resolved = resolve_open_flags(session, report, actor=change.actor, now=change.now)
    if resolved:
        data["flags_resolved"] = resolved
    record(report, change, "published", internal_note=internal, data=data)
    # A moderation decision ends any hold (block list, unconfirmed address, abuse flags).
    report.held_reason = None
    report.published = True
    report.public_description = public_description
    for photo in _citizen_photos(report):
        photo.approved = photo_ids is None or photo.id in photo_ids
    session.flush()


def hide(session: Session, report: Report, change: Change, *, reason: str | None = None) -> None:
    """Take the citizen's text and photos out of public view."""
    resolved = resolve_open_flags(session, report, actor=change.actor, now=change.now)
    data = {"flags_resolved": resolved} if resolved else None
    record(report, change, "hidden", internal_note=reason, data=data)
    report.held_reason = None  # staff decided; a later confirmation must not publish it
    report.published = False
    for photo in _citizen_photos(report):
        photo.approved = False
    session.flush()


def _citizen_photos(report: Report) -> list[Photo]:
    """The citizen's photos; moderation leaves the crew's 'after' photos public."""
    return [p for p in report.photos if p.kind != "after"]


def _photo(report: Report, photo_id: int) -> Photo:
    photo = next((p for p in report.photos if p.id == photo_id), None)
    if photo is None:
        raise ApiError(404, "photo_not_found")
    return photo


def _blacken(data: bytes, rects: list[tuple[int, int, int, int]], scale: float) -> bytes:
    with Image.open(io.BytesIO(data)) as img:
        img = img.convert("RGB")
        draw = ImageDraw.Draw(img)
        for x, y, w, h in rects:
            box = [x * scale, y * scale, (x + w) * scale, (y + h) * scale]
            draw.rectangle([int(box[0]), int(box[1]), int(box[2]) + 1, int(box[3]) + 1], fill=0)
        out = io.BytesIO()
        img.save(out, "JPEG", quality=85)
        return out.getvalue()


def redact(
    session: Session,
    report: Report,
    change: Change,
    *,
    photo_id: int,
    rects: list[tuple[int, int, int, int]],
    storage: MediaStorage,
) -> Photo:
    """Black out rectangles (web-size pixel coordinates) on both stored sizes of a photo.

    The redacted files get a new name, so no cache keeps serving the old pixels, and the
    old files are removed once the change has committed.
    """
    photo = _photo(report, photo_id)
    for index, (x, y, w, h) in enumerate(rects, start=1):
        if (
            x < 0
            or y < 0
            or w <= 0
            or h <= 0
            or x + w > photo.web_width
            or y + h > photo.web_height
        ):
            raise field_error(
                "rects",
                "rect_outside",
                index=index,
                width=photo.web_width,
                height=photo.web_height,
            )
    old = photo.storage_key
    web = _blacken(storage.read(f"{old}-web.jpg"), rects, 1.0)
    thumb = _blacken(storage.read(f"{old}-thumb.jpg"), rects, photo.thumb_width / photo.web_width)
    new = secrets.token_hex(16)
    storage.put(session, f"{new}-web.jpg", web)
    storage.put(session, f"{new}-thumb.jpg", thumb)
    storage.delete_on_commit(session, f"{old}-web.jpg")
    storage.delete_on_commit(session, f"{old}-thumb.jpg")
    photo.storage_key = new
    photo.web_bytes = len(web)
    data = {"photo_id": photo.id, "rects": [list(r) for r in rects], "removed": []}
    record(report, change, "redacted", data=data)
    session.flush()
    return photo


def add_after_photos(
    session: Session,
    report: Report,
    change: Change,
    blobs: list[bytes],
    *,
    storage: MediaStorage,
    limits: IntakeLimits,
) -> list[Photo]:
    """Attach the crew's 'after' photos, through the same pipeline as citizens' photos."""
    if not blobs:
        raise field_error("photos", "blank")
    processed = process_photos(blobs, limits)
    start = max((p.position for p in report.photos), default=-1) + 1
    added = []
    for offset, item in enumerate(processed):
        key = secrets.token_hex(16)
        storage.put(session, f"{key}-web.jpg", item.web.data)
        storage.put(session, f"{key}-thumb.jpg", item.thumb.data)
        photo = Photo(
            kind="after",
            approved=True,  # taken by staff, so no citizen's privacy is at stake
            position=start + offset,
            storage_key=key,
            web_width=item.web.width,
            web_height=item.web.height,
            thumb_width=item.thumb.width,
            thumb_height=item.thumb.height,
            web_bytes=len(item.web.data),
            source_sha256=item.sha256,
            created_at=change.now,
            privacy_state=photo_privacy.PENDING,  # public once its privacy pass ran
            privacy_at=change.now,
        )
        report.photos.append(photo)
        added.append(photo)
    record(report, change, "photo", data={"kind": "after", "count": len(added)})
    session.flush()
    return added
