"""'Me too': citizens support an open report instead of filing a duplicate, once per device,
and may ask to hear about it by e-mail, which the address's owner confirms first.

A supporter may add a comment and a photo for the crew. Both wait for staff like a new
report's content: the comment is an internal note of a `supported` event, the photo a photo
of the report of kind `support`, not approved (so public only once a moderator publishes it).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..abuse.confirmation import ask_supporter
from ..core import states
from ..core.events import TicketEvent
from ..core.links import Links
from ..core.models import Photo, Report, Support
from ..errors import ApiError
from ..storage import MediaStorage
from .photos import ProcessedPhoto
from .service import IntakeLimits, photo_row, process_photos

# The kind of a supporter's photo (besides a reporter's "report" and a crew's "after").
SUPPORT_PHOTO = "support"
COMMENT_MAX = 500


def supporter_id(secret_key: str, device: str) -> str:
    """Who supports, as HMAC-SHA256(secret key, "support:" + device key): a device is
    recognised on a report without its id or address being kept (and without matching the
    same device's abuse flags, which are keyed apart)."""
    message = f"support:{device}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Supported:
    """The outcome of a support."""

    report: Report
    counted: bool  # False: this supporter had supported the report before
    asked: bool  # a confirmation mail went to the given address
    photo: Photo | None = None  # the supporter's photo, stored for moderation


def support(
    session: Session,
    report: Report,
    *,
    supporter: str,
    email: str | None,
    lang: str,
    now: datetime,
    links: Links,
    confirm_days: int,
    comment: str | None = None,
    photo_blobs: Sequence[bytes] = (),
    storage: MediaStorage | None = None,
    limits: IntakeLimits | None = None,
) -> Supported:
    """Count a supporter once per report; with an e-mail address, ask its owner first whether
    they want news about the report (abuse/confirmation.py): a third party's address gets that
    one mail and nothing else.

    A comment and one photo (checked like intake's, before anything is written) are kept for
    staff with the first support of a supporter only: a repeated support, like a retried one,
    adds nothing.
    """
    if report.status not in states.OPEN:
        raise ApiError(409, "support_closed")
    comment = (comment or "").strip() or None
    processed = _process(photo_blobs, limits)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    new_id = session.execute(
        insert(Support)
        .values(report_id=report.id, supporter=supporter, created_at=now)
        .on_conflict_do_nothing(index_elements=["report_id", "supporter"])
        .returning(Support.id)
    ).scalar()
    if new_id is not None:
        # One statement: supports arriving together each count, and none fails the ticket's
        # version check; the version still moves, as for any change of the ticket.
        values = {"supporters": Report.supporters + 1, "version": Report.version + 1}
        if comment or processed:
            values["updated_at"] = now
        session.execute(
            update(Report)
            .where(Report.id == report.id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        session.expire(report, list(values))
    photo = None
    if new_id is not None and (comment or processed):
        photo = _keep_evidence(session, report, comment, processed, now=now, storage=storage)
    email = (email or "").strip().lower() or None
    asked = False
    if email:
        known = {f.email.strip().lower() for f in report.followers}
        known.add((report.reporter_email or "").strip().lower())
        if email not in known:
            asked = ask_supporter(
                session, report, email=email, lang=lang, links=links, now=now, days=confirm_days
            )
    session.flush()
    return Supported(report, counted=new_id is not None, asked=asked, photo=photo)


def _process(blobs: Sequence[bytes], limits: IntakeLimits | None) -> ProcessedPhoto | None:
    """The supporter's one photo, decoded and stripped like intake's; None without one."""
    if not blobs:
        return None
    [processed] = process_photos(list(blobs), replace(limits or IntakeLimits(), max_photos=1))
    return processed


def _keep_evidence(
    session: Session,
    report: Report,
    comment: str | None,
    processed: ProcessedPhoto | None,
    *,
    now: datetime,
    storage: MediaStorage | None,
) -> Photo | None:
    """Store the supporter's comment and photo for staff, with a `supported` event.

    Rows are added beside the report, not through it: the support's one statement already
    moved the report's version, and supports arriving together must not fail each other.
    """
    photo = None
    if processed is not None:
        assert storage is not None, "a photo needs the media storage"
        key = secrets.token_hex(16)
        storage.put(session, f"{key}-web.jpg", processed.web.data)
        storage.put(session, f"{key}-thumb.jpg", processed.thumb.data)
        # A supporter's photo is public only once staff publish it.
        position = max((p.position for p in report.photos), default=-1) + 1
        photo = photo_row(processed, key, SUPPORT_PHOTO, False, position, now)
        photo.report_id = report.id
        session.add(photo)
    session.flush()
    session.add(
        TicketEvent(
            report_id=report.id,
            created_at=now,
            actor="citizen",
            kind="supported",
            from_status=report.status,
            to_status=report.status,
            # The supporter's words are not moderated: staff read them, the public does not.
            internal_note=comment,
            data={"photo_id": photo.id if photo else None, "comment": comment is not None},
        )
    )
    session.expire(report, ["photos", "events"])
    return photo
