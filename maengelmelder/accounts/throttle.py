"""Login throttling per (e-mail address as typed, client network), with growing delays.

There is no account lock that a stranger could trigger: failures from one network slow down
only further tries from that network for that address. Addresses that are no account are
counted exactly like accounts, and a refused try answers exactly like a wrong password, so
neither the answers nor their timing tell which accounts exist.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .models import LoginThrottle, User
from .sessions import network_of

# Failures are forgotten this long after the last one (and their row deleted).
FORGET_AFTER = timedelta(hours=24)


@dataclass(frozen=True)
class Rules:
    """Tries without delay, the first delay (doubled with each further failure), the longest."""

    free_failures: int
    first_delay: timedelta
    longest_delay: timedelta

    def delay(self, failures: int) -> timedelta | None:
        """The wait after this many failures in a row, or None while tries are free."""
        beyond = failures - self.free_failures
        if beyond < 0:
            return None
        # 2**beyond grows past any sane cap quickly; stop doubling before it overflows.
        factor = 2 ** min(beyond, 32)
        return min(self.first_delay * factor, self.longest_delay)


def network_key(address: str | None) -> str:
    """Where a try comes from: the IPv4 address, or the IPv6 /64 (one household or host)."""
    return network_of(address, v4_prefix=32, v6_prefix=64)


def key_of(email: str, network: str, secret_key: str) -> str:
    """The row's key: a keyed hash, so the table holds no address anyone typed."""
    message = f"{email.strip().lower()}\n{network}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def blocked(session: Session, key: str, *, now: datetime) -> bool:
    """Whether tries for this key must wait now."""
    until = session.scalar(select(LoginThrottle.blocked_until).where(LoginThrottle.key_hash == key))
    return until is not None and until > now


def record_failure(
    session: Session,
    key: str,
    *,
    user_id: int | None,
    network: str,
    now: datetime,
    rules: Rules,
) -> int:
    """Count a failed try (one statement, safe against concurrent tries); returns the count."""
    table = LoginThrottle.__table__
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table).values(
        key_hash=key,
        user_id=user_id,
        network=network,
        failures=1,
        first_failure_at=now,
        last_failure_at=now,
    )
    stale = table.c.last_failure_at <= now - FORGET_AFTER
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.key_hash],
        set_={
            "failures": case((stale, 1), else_=table.c.failures + 1),
            "first_failure_at": case((stale, now), else_=table.c.first_failure_at),
            "last_failure_at": now,
            "user_id": user_id,
        },
    ).returning(table.c.id, table.c.failures)
    row_id, failures = session.execute(stmt).one()
    wait = rules.delay(failures)
    if wait is not None:
        session.execute(update(table).where(table.c.id == row_id).values(blocked_until=now + wait))
    return failures


@dataclass(frozen=True)
class Account:
    """The account a throttle counts the failures of."""

    id: int
    email: str
    name: str


@dataclass(frozen=True)
class Entry:
    """A throttle as the admins' list shows it."""

    id: int
    user: Account | None  # None: the address typed is no account (it is not stored)
    network: str
    failures: int
    first_failure_at: datetime
    last_failure_at: datetime
    blocked_until: datetime | None  # None when tries need not wait (any more)

    @classmethod
    def of(cls, row: LoginThrottle, email: str | None, name: str | None, now: datetime):
        waiting = row.blocked_until is not None and row.blocked_until > now
        return cls(
            id=row.id,
            user=None if row.user_id is None else Account(row.user_id, email, name),
            network=row.network,
            failures=row.failures,
            first_failure_at=row.first_failure_at,
            last_failure_at=row.last_failure_at,
            blocked_until=row.blocked_until if waiting else None,
        )


def current(
    session: Session, *, now: datetime, limit: int, before_id: int | None = None
) -> list[Entry]:
    """Throttles with failures in the last FORGET_AFTER, newest first, with the account's
    e-mail address and name; `limit` of them past the id `before_id`."""
    query = (
        select(LoginThrottle, User.email, User.name)
        .outerjoin(User, User.id == LoginThrottle.user_id)
        .where(
            (LoginThrottle.last_failure_at > now - FORGET_AFTER)
            | (LoginThrottle.blocked_until > now)
        )
        .order_by(LoginThrottle.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(LoginThrottle.id < before_id)
    return [Entry.of(row, email, name, now) for row, email, name in session.execute(query)]


def forget(session: Session, key: str) -> None:
    """A successful login from this network clears its count."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.key_hash == key))


def clear(session: Session, throttle_id: int) -> bool:
    """An admin lifts a throttle; False when there is none with this id."""
    if not 0 < throttle_id < 2**31:
        return False
    result = session.execute(delete(LoginThrottle).where(LoginThrottle.id == throttle_id))
    return bool(result.rowcount)


def purge(session: Session, *, now: datetime) -> int:
    """Delete the rows whose last failure is older than FORGET_AFTER and that wait no more."""
    result = session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.last_failure_at <= now - FORGET_AFTER,
            (LoginThrottle.blocked_until.is_(None)) | (LoginThrottle.blocked_until <= now),
        )
    )
    return result.rowcount or 0
