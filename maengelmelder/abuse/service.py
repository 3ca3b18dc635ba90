"""Intake checks, the block list, and the holds put on new reports."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.events import TicketEvent
from ..core.models import Report
from ..core.settings import AbuseSettings
from ..emails import email_key
from ..errors import ApiError, field_error
from .models import BlockedSender

# Form signals the citizen app sends with a report; checked, never stored, never fingerprinted.
FORM_SIGNALS = ("website", "fill_ms")

BLOCKLIST = "blocklist"
EMAIL_UNCONFIRMED = "email_unconfirmed"
ABUSE = "abuse"

_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_LOCAL = re.compile(r"[^@\s\x00-\x1f\x7f\"(),:;<>\[\]\\]{1,64}")


def check_form_signals(data: Mapping, settings: AbuseSettings) -> None:
    """Refuse a filled-in honeypot and a form sent faster than a person fills it in.

    Both are speed bumps for simple bots; clients that do not send the fields (API clients,
    Open311) pass, and rate limits, the block list and moderation do the rest.
    """
    if (data.get("website") or "").strip():
        raise ApiError(422, "spam_suspected")
    fill_ms = data.get("fill_ms")
    minimum = settings.min_fill_seconds
    if fill_ms is not None and minimum > 0 and fill_ms < minimum * 1000:
        raise ApiError(422, "too_fast")


def without_form_signals(data: Mapping) -> dict:
    """The submitted fields without the form signals (what is stored and fingerprinted)."""
    return {k: v for k, v in data.items() if k not in FORM_SIGNALS}


# -- the block list ---------------------------------------------------------------------------


def _domain(raw: str) -> str | None:
    """A domain in lower case ASCII (international names as punycode), or None if malformed."""
    try:
        ascii_ = raw.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    labels = ascii_.split(".")
    if len(ascii_) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        return None
    return ascii_


def normalize_pattern(raw: str) -> str:
    """`name@example.org` or `@example.org`, case-folded (maengelmelder/emails.py: the way
    addresses are compared everywhere); a 422 naming the field otherwise."""
    value = email_key(raw) or ""
    local, at, domain = value.rpartition("@")
    clean = _domain(domain) if at and domain else None
    if clean is None or (local and not _LOCAL.fullmatch(local)) or len(value) > 254:
        raise field_error("pattern", "blocklist_pattern_invalid")
    return f"{local}@{clean}"


def candidates(email: str) -> list[str]:
    """The block-list patterns that would match an address: itself and each parent domain."""
    local, at, domain = (email_key(email) or "").rpartition("@")
    if not at or not domain:
        return []
    domain = _domain(domain) or domain
    labels = domain.split(".")
    parents = [".".join(labels[i:]) for i in range(len(labels))]
    return [f"{local}@{domain}", *(f"@{parent}" for parent in parents)]


def blocked_pattern(session: Session, email: str | None) -> str | None:
    """The block-list entry that matches an address (its own or a domain's), if any."""
    if not email:
        return None
    wanted = candidates(email)
    if not wanted:
        return None
    return session.scalar(
        select(BlockedSender.pattern).where(BlockedSender.pattern.in_(wanted)).limit(1)
    )


def list_blocked(
    session: Session, *, limit: int | None = None, after: str | None = None
) -> list[BlockedSender]:
    """Entries by pattern; with `limit` at most that many, past the pattern `after`."""
    query = select(BlockedSender).order_by(BlockedSender.pattern).limit(limit)
    if after is not None:
        query = query.where(BlockedSender.pattern > after)
    return list(session.scalars(query))


def add_blocked(
    session: Session, pattern: str, *, reason: str | None, actor: str, now: datetime
) -> BlockedSender:
    """Put an address or a domain on the block list; 409 when it is already there."""
    pattern = normalize_pattern(pattern)
    if session.scalar(select(BlockedSender.id).where(BlockedSender.pattern == pattern)):
        raise ApiError(409, "blocklist_duplicate", pattern=pattern)
    entry = BlockedSender(
        pattern=pattern, reason=(reason or "").strip() or None, created_at=now, created_by=actor
    )
    # Two admins adding the same pattern at once: the unique constraint refuses the second
    # (at this flush or the commit), and the caller answers 409 (duplicate_on_commit).
    session.add(entry)
    session.flush()
    return entry


def duplicate_on_commit(pattern: str) -> ApiError:
    """The 409 for a pattern the unique constraint refused."""
    return ApiError(409, "blocklist_duplicate", pattern=pattern)


def remove_blocked(session: Session, entry_id: int) -> BlockedSender:
    """Take an entry off the block list; 404 when there is none."""
    entry = session.get(BlockedSender, entry_id) if 0 < entry_id < 2**31 else None
    if entry is None:
        raise ApiError(404, "blocklist_not_found")
    session.delete(entry)
    session.flush()
    return entry


def find_blocked(session: Session, pattern: str) -> BlockedSender:
    """The entry of a pattern as an admin types it; 404 when there is none."""
    try:
        pattern = normalize_pattern(pattern)
    except ApiError as exc:
        raise ApiError(404, "blocklist_not_found") from exc
    entry = session.scalar(select(BlockedSender).where(BlockedSender.pattern == pattern))
    if entry is None:
        raise ApiError(404, "blocklist_not_found")
    return entry


# -- holds ------------------------------------------------------------------------------------


def hold(report: Report, reason: str, now: datetime) -> None:
    """Keep a report's citizen content from the public until staff decide, with an event.

    The report is routed, scheduled and worked on as usual: the defect may well be real.
    """
    report.held_reason = reason
    report.published = False
    report.updated_at = now
    for photo in report.photos:
        if photo.kind != "after":
            photo.approved = False
    report.events.append(
        TicketEvent(
            created_at=now,
            actor="system",
            kind="held",
            from_status=report.status,
            to_status=report.status,
            data={"reason": reason},
        )
    )
