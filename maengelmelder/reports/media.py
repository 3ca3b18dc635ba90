"""Who may load a stored photo file, and the URLs each audience gets.

A photo file is served while the photo is public (the same rule as every public read: an
approved photo of a published report, or a crew's "after" photo, of a report not held from
the public, whose privacy pass let it through), to staff whose departments cover the report,
and to the reporter through a key derived from their report's tracking token. Everyone else
gets the 404 of an unknown name. The unblurred original a privacy pass keeps (`original_key`)
is never public and opens for staff of the report's departments only, not the reporter's key.

The reporter's links are handed out when the report is filed, before the pass ran: they name
the file the pass then keeps as the original. Such a link (with its valid key) leads to the
photo's current public file instead (`moved_for_reporter`): the link keeps working, and it
never opens the unblurred original.

The decision is made on every request from one indexed lookup by storage key, so hiding,
holding, flagging and unpublishing take effect on the very next request.
"""

from __future__ import annotations

import base64
import hmac
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..core.models import HELD_FROM_PUBLIC, Photo, Report
from ..core.photo_privacy import cleared, cleared_clause

# Public photos may be cached by browsers and proxies; their names never change content
# (redaction writes new names). Anything else must not be kept by any cache.
PUBLIC_CACHE = "public, max-age=86400, immutable"
PRIVATE_CACHE = "private, no-store"


def photo_is_public(
    kind: str,
    approved: bool,
    published: bool,
    held_reason: str | None,
    privacy_state: str | None = None,
) -> bool:
    """Whether the public may see a photo: the rule of the report list, page and Open311.

    Its privacy pass must have let it through too (`core.photo_privacy.cleared`): an
    auto-published report's photos become public once their pass ran.
    """
    if held_reason in HELD_FROM_PUBLIC or not approved or not cleared(privacy_state):
        return False
    return published or kind == "after"


def is_public(photo: Photo, report: Report) -> bool:
    """`photo_is_public` for loaded objects."""
    return photo_is_public(
        photo.kind, photo.approved, report.published, report.held_reason, photo.privacy_state
    )


def listed_photos(report: Report) -> list[Photo]:
    """The report's photos the public sees, in order (the report need not be public itself:
    the caller decides that, as the public reads and Open311 do)."""
    return [
        p
        for p in report.photos
        if p.approved and cleared(p.privacy_state) and (report.published or p.kind == "after")
    ]


# `photo_is_public`'s photo part in SQL (the report's part is each read's own filter).
PHOTO_CLEARED = cleared_clause(Photo.privacy_state)


@dataclass(frozen=True)
class PhotoAccess:
    """What deciding access to one stored photo needs."""

    public: bool
    department_id: int
    tracking_token_hash: str
    original: bool = False  # the unblurred original: staff of the department only
    current_key: str = ""  # the photo's public files now (its storage key)
    photo_public: bool = False  # whether the photo's public files are public now


def photo_access(session: Session, storage_key: str) -> PhotoAccess | None:
    """The access facts of the photo stored under `storage_key` (its public files or its
    unblurred original), or None for an unknown key."""
    row = session.execute(
        select(
            Photo.kind,
            Photo.approved,
            Photo.privacy_state,
            Photo.original_key,
            Photo.storage_key,
            Report.published,
            Report.held_reason,
            Report.department_id,
            Report.tracking_token_hash,
        )
        .join(Report, Report.id == Photo.report_id)
        .where(or_(Photo.storage_key == storage_key, Photo.original_key == storage_key))
    ).first()
    if row is None:
        return None
    original = row.original_key == storage_key
    photo_public = photo_is_public(
        row.kind, row.approved, row.published, row.held_reason, row.privacy_state
    )
    return PhotoAccess(
        public=photo_public and not original,
        department_id=row.department_id,
        tracking_token_hash=row.tracking_token_hash,
        original=original,
        current_key=row.storage_key,
        photo_public=photo_public,
    )


def moved_for_reporter(
    secret_key: str, name: str, access: PhotoAccess, given: str | None
) -> tuple[str, str | None] | None:
    """The file name and key (`?k=`, None while public) a reporter's link to what is now the
    photo's unblurred original leads to: the same file of the photo's current public files.
    None unless `name` is an original and `given` is the reporter's key for it."""
    if not access.original or given is None:
        return None
    if not reporter_key_matches(secret_key, name, access.tracking_token_hash, given):
        return None
    current = access.current_key + name[32:]  # "-web.jpg" or "-thumb.jpg"
    if access.photo_public:
        return current, None
    return current, reporter_key(secret_key, current, access.tracking_token_hash)


def reporter_key(secret_key: str, name: str, tracking_token_hash: str) -> str:
    """The key that lets a report's reporter load one of its photo files (`?k=`).

    Derived from the tracking token (through its stored hash) and the file name, so it opens
    that one file only, and it does not spread the token itself into image URLs and logs.
    """
    message = f"media:{name}:{tracking_token_hash}".encode()
    digest = hmac.new(secret_key.encode(), message, "sha256").digest()[:18]
    return base64.urlsafe_b64encode(digest).decode()


def reporter_key_matches(secret_key: str, name: str, tracking_token_hash: str, given: str) -> bool:
    expected = reporter_key(secret_key, name, tracking_token_hash)
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))
