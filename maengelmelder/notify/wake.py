"""Wake the mail sender when a transaction that queued mail commits.

`queue_mail` marks the session; after its COMMIT the sender is enqueued once, whoever queued
the mail (a status change, a confirmation, an escalation). A rolled-back transaction queued
nothing and wakes nobody; the recurring `outbox-send` job catches any wake-up that was lost.
"""

from __future__ import annotations

from flask import has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..jobs import enqueue
from .jobs import send_pending

QUEUED = "maengelmelder.notify.queued"


def mark(session: Session) -> None:
    """The session's transaction added an outbox row."""
    session.info[QUEUED] = True


@event.listens_for(Session, "after_commit")
def _wake_sender(session: Session) -> None:
    if session.info.pop(QUEUED, False) and has_app_context():
        enqueue(send_pending)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(QUEUED, None)
