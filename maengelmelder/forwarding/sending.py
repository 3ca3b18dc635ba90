"""Deliver due hand-overs: claim a row, send it outside any transaction, record the outcome.

As the outbox does (notify/sending.py): no network I/O inside a transaction. A claim (a short
committed transaction, maengelmelder/claim.py: PostgreSQL ``FOR UPDATE SKIP LOCKED``, SQLite
one conditional UPDATE) counts the attempt and moves ``next_attempt_at`` to the end of the
claim; the send runs with no transaction open; the outcome is written in a new short
transaction, only onto that one row (a delivery to one body never marks another done). After
a failed attempt the next one waits an exponential backoff with jitter; after the last, the
delivery is failed, shown on its ticket and counted on the board, and staff can retry it.

If the process dies after the other side accepted but before the outcome is recorded, the
row is sent again once its claim ran out, with the same idempotency key: a receiver that
deduplicates by it (a maengelmelder's Open311 POST does) files it once; any other receiver
gets at most one duplicate carrying the same key.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from ..claim import claim_oldest_due
from .channels import Answer, Refused, Trouble
from .models import DELIVERED, FAILED, PENDING, Delivery

log = logging.getLogger("maengelmelder.forwarding")

MAX_ERROR = 2000
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=2)
# Longer than any send may take (timeouts); a dead sender's row is due again after this.
CLAIM = timedelta(minutes=5)
MAX_ATTEMPTS = 8


def backoff(attempts: int, rand: Callable[[], float] = random.random) -> timedelta:
    """Wait after the n-th failed attempt: 1, 2, 4 … minutes (at most two hours), each
    between half and the whole of it, so deliveries that failed together spread out."""
    full = min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP)
    return full * (0.5 + rand() / 2)


Send = Callable[[Delivery], Answer]


@dataclass
class Counts:
    delivered: int = 0
    retry: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"delivered": self.delivered, "retry": self.retry, "failed": self.failed}


def deliver_due(
    session_factory: Callable[[], Session],
    send: Send,
    clock: Callable[[], datetime],
    *,
    only: int | None = None,
    batch: int = 50,
    max_attempts: int = MAX_ATTEMPTS,
    rand: Callable[[], float] = random.random,
) -> dict[str, int]:
    """Deliver up to `batch` due deliveries (only the one with id `only`, when given)."""
    counts = Counts()
    for _ in range(batch if only is None else 1):
        delivery = claim(session_factory, clock(), only=only)
        if delivery is None:
            break
        outcome = _attempt(send, delivery)
        _count(counts, record(session_factory, delivery, outcome, clock(), max_attempts, rand))
    return counts.as_dict()


def _count(counts: Counts, name: str) -> None:
    setattr(counts, name, getattr(counts, name) + 1)


def claim(
    session_factory: Callable[[], Session], now: datetime, *, only: int | None = None
) -> Delivery | None:
    """Claim the oldest due delivery (or `only`) until now + CLAIM, counting the attempt."""
    with session_factory() as session, session.begin():
        delivery = claim_oldest_due(
            session,
            Delivery,
            now=now,
            hold=CLAIM,
            pending=PENDING,
            narrow=None if only is None else lambda row: [row.id == only],
        )
        if delivery is None:
            return None
        delivery.destination  # loaded before the session ends  # noqa: B018
        session.expunge(delivery.destination)
        session.expunge(delivery)
        return delivery


@dataclass(frozen=True)
class Outcome:
    answer: Answer | None = None
    error: str | None = None
    permanent: bool = False


def _attempt(send: Send, delivery: Delivery) -> Outcome:
    try:
        return Outcome(answer=send(delivery))
    except Refused as exc:
        return Outcome(error=f"refused: {exc}"[:MAX_ERROR], permanent=True)
    except Trouble as exc:
        return Outcome(error=str(exc)[:MAX_ERROR])
    except Exception as exc:  # a bug or an odd answer must not stop the other deliveries
        log.exception("delivery %s: unexpected error", delivery.id)
        return Outcome(error=f"{type(exc).__name__}: {exc}"[:MAX_ERROR])


def record(
    session_factory: Callable[[], Session],
    delivery: Delivery,
    outcome: Outcome,
    now: datetime,
    max_attempts: int,
    rand: Callable[[], float] = random.random,
) -> str:
    """Write one attempt's outcome onto its own row; the counter's name."""
    if outcome.answer is not None:
        name = "delivered"
        values = {
            "status": DELIVERED,
            "delivered_at": now,
            "last_error": None,
            "remote_id": outcome.answer.remote_id,
            "remote_token": outcome.answer.remote_token,
        }
    elif outcome.permanent or delivery.attempts >= max_attempts:
        name = "failed"
        values = {"status": FAILED, "failed_at": now, "last_error": outcome.error}
    else:
        name = "retry"
        values = {
            "next_attempt_at": now + backoff(delivery.attempts, rand),
            "last_error": outcome.error,
        }
    with session_factory() as session, session.begin():
        session.execute(
            update(Delivery)
            .where(Delivery.id == delivery.id, Delivery.status == PENDING)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    if outcome.error:
        log.warning(
            "delivery %s to destination %s, attempt %d: %s (%s)",
            delivery.id,
            delivery.destination_id,
            delivery.attempts,
            outcome.error,
            name,
        )
    return name
