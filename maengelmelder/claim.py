"""Claiming the oldest due row of a work queue (the mail outbox, the deliveries to external
bodies), so that parallel senders never take the same row and a dead sender's row comes back.

A queue row has ``status``, ``attempts`` and ``next_attempt_at``; it is due while its status
is pending and ``next_attempt_at`` has come. A claim counts the attempt and moves
``next_attempt_at`` to the end of the claim (``now + hold``): until then no other sender takes
the row, and if its sender dies before it records an outcome the row is due again after that.

- PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED``, so a row another sender is claiming right
  now is skipped, not waited for.
- SQLite ignores ``FOR UPDATE``. One UPDATE that picks its own row (a subquery for the oldest
  due id) takes the write lock before it reads, so a second sender waits briefly and then
  takes the next row.

The caller owns the transaction and commits it at once: the claim must be visible to other
senders before any network I/O starts (no I/O ever runs inside these transactions).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session, aliased

Row = TypeVar("Row")

# Conditions that narrow the queue (e.g. one row by its id), written against the entity given:
# the mapped class itself or, for SQLite's picking subquery, an alias of it.
Narrow = Callable[[Any], Iterable[ColumnElement[bool]]]


def claim_oldest_due(
    session: Session,
    model: type[Row],
    *,
    now: datetime,
    hold: timedelta,
    pending: str = "pending",
    narrow: Narrow | None = None,
) -> Row | None:
    """Claim the oldest due row of `model` (by ``next_attempt_at``, then id) until now + hold.

    Counts the attempt. Returns the row, loaded in `session`, or None when nothing is due.
    Runs inside the caller's transaction, which should commit right away.
    """

    def due(entity: Any) -> list[ColumnElement[bool]]:
        extra = list(narrow(entity)) if narrow is not None else []
        return [entity.status == pending, entity.next_attempt_at <= now, *extra]

    entity: Any = model
    if session.get_bind().dialect.name == "postgresql":
        row = session.scalars(
            select(entity)
            .where(*due(entity))
            .order_by(entity.next_attempt_at, entity.id)
            .limit(1)
            .with_for_update(skip_locked=True, of=entity)  # not the rows of joined relations
        ).first()
        if row is None:
            return None
        row.attempts += 1
        row.next_attempt_at = now + hold
        session.flush()
        return row
    pick = aliased(entity)
    oldest_due = (
        select(pick.id)
        .where(*due(pick))
        .order_by(pick.next_attempt_at, pick.id)
        .limit(1)
        .scalar_subquery()
    )
    claimed = session.execute(
        update(entity)
        .where(entity.id == oldest_due, *due(entity))
        .values(attempts=entity.attempts + 1, next_attempt_at=now + hold)
        .returning(entity.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    if claimed is None:
        return None
    return session.get(model, claimed)
