"""The privacy pass of a stored photo: faces and number plates found and pixelated in the
public files, the unblurred ones kept for staff; and the moderator's review of the result.

The pass runs in a job after the request that stored the photo committed (`jobs.privacy_pass`),
on the stored web image (upright, stripped): detect (`detect.py`), keep the boxes, render the
public web image from the unblurred one (auto boxes enlarged and pixelated, manual boxes
blacked out) and derive the thumbnail from it, under a new storage key. The unblurred files
stay under `original_key`. It fails closed: without the model, with an altered model, on any
error, or after `PRIVACY_PASS_TRIES` interrupted starts, the photo is "failed" (never public
until a moderator reviewed it) and the moderation list shows it with the reason.

Every step compares state before acting: a pass runs only on a "pending" photo, and its result
is written only if the photo is still pending under the key it read, so two runs of one job,
or a moderator's review meanwhile, never overwrite each other.
"""

from __future__ import annotations

import io
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from flask import current_app
from PIL import Image, ImageDraw
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ..core import photo_privacy as pp
from ..core.events import TicketEvent
from ..core.models import Photo, Report
from ..errors import ApiError, field_error
from ..storage import MediaStorage
from ..tickets import moderation
from ..tickets.service import Change, record
from . import detect

log = logging.getLogger(__name__)

QUALITY = 82  # as the photo pipeline encodes
SWEEP_BATCH = 500


def _setting(name: str, default: int) -> int:
    try:
        return int(current_app.config.get(name, default))
    except RuntimeError:  # outside an app (pure tests)
        return default


def max_tries() -> int:
    return _setting("PRIVACY_PASS_TRIES", pp.DEFAULT_TRIES)


def stale_after() -> timedelta:
    return timedelta(seconds=_setting("PRIVACY_PASS_STALE_SECONDS", pp.DEFAULT_STALE_SECONDS))


# -- rendering ---------------------------------------------------------------------------------


def decode(data: bytes) -> np.ndarray:
    """A stored JPEG as an RGB array."""
    with Image.open(io.BytesIO(data)) as img:
        return np.asarray(img.convert("RGB"))


def _encode(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, "JPEG", quality=QUALITY, optimize=True)
    return out.getvalue()


def render(rgb: np.ndarray, boxes: list[dict], thumb_size: tuple[int, int]) -> tuple[bytes, bytes]:
    """The public web image and thumbnail: auto boxes enlarged by a fifth and pixelated,
    manual boxes blacked out (as the black-out tool always did), the thumbnail derived from
    the rendered web image."""
    height, width = rgb.shape[:2]
    auto = [
        detect.enlarge((b["x"], b["y"], b["w"], b["h"]), width, height)
        for b in boxes
        if b["source"] == "auto"
    ]
    img = Image.fromarray(detect.pixelate(rgb, auto) if auto else rgb)
    draw = ImageDraw.Draw(img)
    for b in boxes:
        if b["source"] == "manual":
            draw.rectangle([b["x"], b["y"], b["x"] + b["w"] + 1, b["y"] + b["h"] + 1], fill=0)
    thumb = img.resize(thumb_size, Image.Resampling.LANCZOS)
    return _encode(img), _encode(thumb)


def auto_boxes(found: list[detect.Box], first_id: int) -> list[dict]:
    return [
        {
            "id": first_id + i,
            "x": b.x,
            "y": b.y,
            "w": b.w,
            "h": b.h,
            "kind": b.kind,
            "source": "auto",
            "score": b.score,
        }
        for i, b in enumerate(found)
    ]


def _store(session: Session, storage: MediaStorage, web: bytes, thumb: bytes) -> str:
    key = secrets.token_hex(16)
    storage.put(session, f"{key}-web.jpg", web)
    storage.put(session, f"{key}-thumb.jpg", thumb)
    return key


def _drop_public_files(session: Session, storage: MediaStorage, key: str, original: str) -> None:
    if key != original:
        storage.delete_on_commit(session, f"{key}-web.jpg")
        storage.delete_on_commit(session, f"{key}-thumb.jpg")


# -- the pass ----------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one run of the pass did."""

    photo_id: int
    state: str | None  # the photo's state afterwards; None: nothing to do
    reason: str | None = None
    faces: int = 0
    plates: int = 0


def _event(session: Session, photo: Photo, now: datetime, data: dict) -> None:
    status = session.scalar(select(Report.status).where(Report.id == photo.report_id))
    session.add(
        TicketEvent(
            report_id=photo.report_id,
            created_at=now,
            actor="system",
            kind="privacy_pass",
            from_status=status,
            to_status=status,
            data={"photo_id": photo.id, **data},
        )
    )


def _settle(session: Session, photo_id: int, key: str, values: dict) -> bool:
    """Write the pass's result if the photo is still pending under `key`; whether it was."""
    result = session.execute(
        update(Photo)
        .where(
            Photo.id == photo_id,
            Photo.privacy_state == pp.PENDING,
            Photo.storage_key == key,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _fail(session: Session, photo: Photo, key: str, reason: str, now: datetime) -> Outcome:
    done = _settle(
        session,
        photo.id,
        key,
        {"privacy_state": pp.FAILED, "privacy_reason": reason, "privacy_at": now},
    )
    if not done:
        session.rollback()
        return Outcome(photo.id, None)
    _event(session, photo, now, {"failed": reason})
    session.commit()
    log.warning("privacy pass of photo %s failed: %s", photo.id, reason)
    return Outcome(photo.id, pp.FAILED, reason=reason)


def run_pass(session: Session, photo_id: int, *, storage: MediaStorage, now: datetime) -> Outcome:
    """Run the privacy pass of one pending photo; commits. Safe to run twice."""
    photo = session.get(Photo, photo_id)
    if photo is None or photo.privacy_state != pp.PENDING:
        session.rollback()
        return Outcome(photo_id, None)
    key = photo.storage_key
    if photo.privacy_tries >= max_tries():
        return _fail(session, photo, key, "timeout", now)
    # Count the start before the work: a pass killed midway is seen by the sweep as a try.
    photo.privacy_tries += 1
    photo.privacy_at = now
    session.commit()
    original = photo.original_key or key
    try:
        reason = detect.unavailable()
        if reason is not None:
            raise detect.Unavailable(reason)
        rgb = decode(storage.read(f"{original}-web.jpg"))
        found = detect.detect(rgb)
        manual = [b for b in photo.privacy_boxes or [] if b["source"] == "manual"]
        first = max((b["id"] for b in manual), default=0) + 1
        boxes = manual + auto_boxes(found, first)
        web, thumb = render(rgb, boxes, (photo.thumb_width, photo.thumb_height))
    except detect.Unavailable as exc:
        return _fail(session, photo, key, exc.code, now)
    except Exception:
        log.exception("privacy pass of photo %s", photo_id)
        session.rollback()
        return _fail(session, photo, key, "error", now)
    new = _store(session, storage, web, thumb)
    values = {
        "storage_key": new,
        "original_key": original,
        "privacy_state": pp.DONE,
        "privacy_reason": None,
        "privacy_boxes": boxes,
        "privacy_at": now,
        "web_bytes": len(web),
    }
    if not _settle(session, photo.id, key, values):
        session.rollback()  # reviewed or run meanwhile: the files just written go again
        return Outcome(photo_id, None)
    _drop_public_files(session, storage, key, original)
    faces = sum(1 for b in found if b.kind == "face")
    plates = sum(1 for b in found if b.kind == "plate")
    _event(session, photo, now, {"faces": faces, "plates": plates})
    session.commit()
    return Outcome(photo_id, pp.DONE, faces=faces, plates=plates)


def request_pass(photo: Photo, now: datetime) -> None:
    """Have the pass run (again) on a photo: pending from now, queued by the caller after
    the commit."""
    photo.privacy_state = pp.PENDING
    photo.privacy_reason = None
    photo.privacy_tries = 0
    photo.privacy_at = now


# -- the sweep: lost and interrupted passes ------------------------------------------------------


@dataclass
class Swept:
    requeued: list[int] = field(default_factory=list)
    timed_out: int = 0


def sweep(session: Session, *, now: datetime) -> Swept:
    """Pending photos untouched for `stale_after()`: queued again (by the caller, after the
    commit), or failed ("timeout") once their passes started `max_tries()` times. Reads the
    pending photos' partial index only."""
    rows = session.execute(
        select(Photo.id, Photo.privacy_tries)
        .where(Photo.privacy_state == pp.PENDING, Photo.privacy_at <= now - stale_after())
        .order_by(Photo.privacy_at)
        .limit(SWEEP_BATCH)
    ).all()
    swept = Swept()
    tries = max_tries()
    for photo_id, started in rows:
        photo = session.get(Photo, photo_id)
        if started >= tries:
            photo.privacy_state = pp.FAILED
            photo.privacy_reason = "timeout"
            photo.privacy_at = now
            _event(session, photo, now, {"failed": "timeout"})
            swept.timed_out += 1
        else:
            photo.privacy_at = now  # not again before another stale period
            swept.requeued.append(photo_id)
    session.commit()
    return swept


# -- the moderator's review ----------------------------------------------------------------------


def _check_rects(photo: Photo, rects: list[tuple[int, int, int, int]]) -> None:
    width, height = photo.web_width, photo.web_height
    for index, (x, y, w, h) in enumerate(rects, start=1):
        if x < 0 or y < 0 or w <= 0 or h <= 0 or x + w > width or y + h > height:
            raise field_error(
                "rects",
                "rect_outside",
                index=index,
                width=photo.web_width,
                height=photo.web_height,
            )


def review(
    session: Session,
    report: Report,
    change: Change,
    *,
    photo_id: int,
    rects: list[tuple[int, int, int, int]],
    remove: list[int],
    storage: MediaStorage,
) -> Photo:
    """The moderator's last word on a photo: `rects` added as manual boxes (blacked out), the
    boxes named in `remove` dropped, the public files rendered anew from the unblurred image.

    A photo whose pass failed or is still pending becomes "reviewed" like a passed one: the
    moderator looked at it (its unblurred image is kept as the original from now on). A photo
    from before the pass keeps the black-out tool's old way (rects blacken its current files).
    """
    photo = next((p for p in report.photos if p.id == photo_id), None)
    if photo is None:
        raise ApiError(404, "photo_not_found")
    if photo.privacy_state is None:
        if remove:
            raise field_error("remove", "no_original")
        if not rects:
            raise field_error("rects", "blank")
        return moderation.redact(
            session, report, change, photo_id=photo_id, rects=rects, storage=storage
        )
    _check_rects(photo, rects)
    boxes = list(photo.privacy_boxes or [])
    known = {b["id"] for b in boxes}
    for box_id in remove:
        if box_id not in known:
            raise field_error("remove", "box_not_found", box=box_id)
    boxes = [b for b in boxes if b["id"] not in set(remove)]
    next_id = max(known, default=0) + 1
    for offset, (x, y, w, h) in enumerate(rects):
        boxes.append(
            {
                "id": next_id + offset,
                "x": x,
                "y": y,
                "w": w,
                "h": h,
                "kind": "manual",
                "source": "manual",
                "score": None,
            }
        )
    old = photo.storage_key
    original = photo.original_key or old
    rgb = decode(storage.read(f"{original}-web.jpg"))
    web, thumb = render(rgb, boxes, (photo.thumb_width, photo.thumb_height))
    photo.storage_key = _store(session, storage, web, thumb)
    _drop_public_files(session, storage, old, original)
    photo.original_key = original
    photo.web_bytes = len(web)
    photo.privacy_boxes = boxes
    photo.privacy_state = pp.REVIEWED
    photo.privacy_reason = None
    photo.privacy_at = change.now
    data = {"photo_id": photo.id, "rects": [list(r) for r in rects], "removed": list(remove)}
    record(report, change, "redacted", data=data)
    session.flush()
    return photo


# -- old photos: `maengelmelder privacy scan` ----------------------------------------------------


@dataclass
class Scanned:
    """What a scan did (counts only), in German and English as the command prints it."""

    photos: int = 0
    faces: int = 0
    plates: int = 0
    failed: int = 0

    def add(self, outcome: Outcome) -> None:
        if outcome.state is None:
            return
        self.photos += 1
        self.faces += outcome.faces
        self.plates += outcome.plates
        self.failed += outcome.state == pp.FAILED

    def lines(self) -> dict[str, str]:
        return {
            "de": f"{self.photos} Fotos geprüft: {self.faces} Gesichter und {self.plates} "
            f"Kennzeichen unkenntlich gemacht; {self.failed} fehlgeschlagen "
            "(in der Moderation).",
            "en": f"{self.photos} photos checked: {self.faces} faces and {self.plates} "
            f"number plates blurred; {self.failed} failed (in moderation).",
        }


def unscanned(session: Session, after_id: int, limit: int) -> list[int]:
    """Ids of photos without a finished pass (from before it, or failed), by id."""
    return list(
        session.scalars(
            select(Photo.id)
            .where(
                Photo.id > after_id,
                or_(Photo.privacy_state.is_(None), Photo.privacy_state == pp.FAILED),
            )
            .order_by(Photo.id)
            .limit(limit)
        )
    )


def scan(
    session: Session, photo_ids: list[int], *, storage: MediaStorage, now: datetime
) -> Scanned:
    """Run the pass over these photos now, one after the other (each committed on its own)."""
    scanned = Scanned()
    for photo_id in photo_ids:
        photo = session.get(Photo, photo_id)
        if photo is None:
            continue
        request_pass(photo, now)
        session.commit()
        scanned.add(run_pass(session, photo_id, storage=storage, now=now))
    return scanned
