"""Server-side staff sessions: the cookie carries a random secret, the database its hash.

A session ends when its owner logs out (here or "everywhere"), when an admin ends it or
changes the account (password, role, departments, deactivation), after `idle` without a
request, and at the latest `lifetime` after login, however busy. Every app host reads the
same rows, so a session ended on one host is ended on all at once.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from .models import StaffSession

# "Last seen" is written at most this often per session: a write per read request would cost
# more than the idle timeout's precision is worth.
TOUCH_EVERY = timedelta(minutes=1)
# Logins beyond this many live sessions of one account end its least recently used ones, so
# the list of one's sessions stays short.
MAX_PER_USER = 20


@dataclass(frozen=True)
class Policy:
    """How long a session lives: without a request (idle) and at most (lifetime)."""

    idle: timedelta
    lifetime: timedelta


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def csrf_for(secret: str, key: str) -> str:
    """The CSRF token of the session with this secret: bound to it, never stored."""
    return hmac.new(key.encode(), b"csrf:" + secret.encode(), hashlib.sha256).hexdigest()


def ends_at(row: StaffSession, policy: Policy) -> datetime:
    """When the session ends unless it is used before: idle timeout or absolute end."""
    return min(row.expires_at, row.last_seen_at + policy.idle)


def start(
    session: Session,
    user_id: int,
    *,
    now: datetime,
    policy: Policy,
    device: str,
    network: str,
) -> tuple[StaffSession, str]:
    """A new session for the user; returns the row and the secret for the cookie."""
    secret = secrets.token_urlsafe(32)
    row = StaffSession(
        secret_hash=secret_hash(secret),
        user_id=user_id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + policy.lifetime,
        device=device[:64],
        network=network[:64],
    )
    session.add(row)
    session.flush()
    _trim(session, user_id, now=now, policy=policy)
    return row, secret


def _dead(now: datetime, policy: Policy):
    return or_(StaffSession.expires_at <= now, StaffSession.last_seen_at <= now - policy.idle)


def _trim(session: Session, user_id: int, *, now: datetime, policy: Policy) -> None:
    """Drop the user's dead sessions and the least recently used beyond MAX_PER_USER."""
    session.execute(delete(StaffSession).where(StaffSession.user_id == user_id, _dead(now, policy)))
    keep = (
        select(StaffSession.id)
        .where(StaffSession.user_id == user_id)
        .order_by(StaffSession.last_seen_at.desc(), StaffSession.id.desc())
        .limit(MAX_PER_USER)
    )
    session.execute(
        delete(StaffSession).where(
            StaffSession.user_id == user_id, StaffSession.id.not_in(keep.scalar_subquery())
        )
    )


def find(session: Session, secret: str, *, now: datetime, policy: Policy) -> StaffSession | None:
    """The live session with this secret, or None (unknown, ended, idle too long, too old)."""
    if not secret or len(secret) > 128:
        return None
    row = session.scalar(
        select(StaffSession).where(StaffSession.secret_hash == secret_hash(secret))
    )
    if row is None or now >= ends_at(row, policy):
        return None
    return row


def touch(session: Session, row: StaffSession, *, now: datetime) -> bool:
    """Note that the session was used now, if the last note is older than TOUCH_EVERY."""
    if now - row.last_seen_at < TOUCH_EVERY:
        return False
    # Conditional, so two hosts touching at once write once and never move it backwards.
    session.execute(
        update(StaffSession)
        .where(StaffSession.id == row.id, StaffSession.last_seen_at < now)
        .values(last_seen_at=now)
        .execution_options(synchronize_session=False)
    )
    row.last_seen_at = now
    return True


def end(session: Session, session_id: int, *, user_id: int) -> bool:
    """End one of the user's sessions; False when the user has no such session."""
    if not 0 < session_id < 2**31:
        return False
    result = session.execute(
        delete(StaffSession).where(StaffSession.id == session_id, StaffSession.user_id == user_id)
    )
    return bool(result.rowcount)


def end_by_secret(session: Session, secret: str) -> None:
    """End the session with this secret, if there is one."""
    session.execute(delete(StaffSession).where(StaffSession.secret_hash == secret_hash(secret)))


def end_all(session: Session, user_id: int) -> int:
    """End every session of the user; returns how many there were."""
    result = session.execute(delete(StaffSession).where(StaffSession.user_id == user_id))
    return result.rowcount or 0


def of_user(session: Session, user_id: int, *, now: datetime, policy: Policy) -> list[StaffSession]:
    """The user's live sessions, most recently used first (at most MAX_PER_USER)."""
    rows = session.scalars(
        select(StaffSession)
        .where(StaffSession.user_id == user_id, ~_dead(now, policy))
        .order_by(StaffSession.last_seen_at.desc(), StaffSession.id.desc())
        .limit(MAX_PER_USER)
    )
    return list(rows)


def purge(session: Session, *, now: datetime, policy: Policy) -> int:
    """Delete every dead session; returns how many."""
    result = session.execute(delete(StaffSession).where(_dead(now, policy)))
    return result.rowcount or 0


# -- what the owner sees of a session ------------------------------------------------------

_BROWSERS = (
    ("Edge", re.compile(r"Edg(e|A|iOS)?/")),
    ("Opera", re.compile(r"OPR/|Opera")),
    ("Firefox", re.compile(r"Firefox/|FxiOS/")),
    ("Chrome", re.compile(r"Chrome/|CriOS/|Chromium/")),
    ("Safari", re.compile(r"Safari/")),
)
_SYSTEMS = (
    ("Android", re.compile(r"Android")),
    ("iOS", re.compile(r"iPhone|iPad|iPod")),
    ("Windows", re.compile(r"Windows")),
    ("macOS", re.compile(r"Macintosh|Mac OS X")),
    ("Linux", re.compile(r"Linux|X11")),
)


def device_of(user_agent: str | None) -> str:
    """A coarse summary of a user agent, such as "Firefox, Linux"; the rest is not kept."""
    agent = (user_agent or "")[:512]
    browser = next((name for name, pattern in _BROWSERS if pattern.search(agent)), "")
    system = next((name for name, pattern in _SYSTEMS if pattern.search(agent)), "")
    return ", ".join(part for part in (browser, system) if part) or "?"


def network_of(address: str | None, *, v4_prefix: int = 24, v6_prefix: int = 48) -> str:
    """The client's network, not its address: 203.0.113.0/24, 2001:db8:1::/48."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return "?"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = v4_prefix if ip.version == 4 else v6_prefix
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))
