"""Wake the mail sender when a transaction that queued mail commits.

`queue_mail` marks the session; after its COMMIT the sender is enqueued once, whoever queued
the mail (a status change, a confirmation, an escalation). A rolled-back transaction queued
nothing and wakes nobody; the recurring `outbox-send` job catches any wake-up that was lost
(and sends what a command or script queued in a process that runs no jobs).
"""

from __future__ import annotations

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..jobs import enqueue, runner_started
from .jobs import send_pending

QUEUED = "maengelmelder.notify.queued"


def mark(session: Session) -> None:
    """The session's transaction added an outbox row."""
    session.info[QUEUED] = True


@event.listens_for(Session, "after_commit")
def _wake_sender(session: Session) -> None:
    if not (session.info.pop(QUEUED, False) and has_app_context()):
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    # With Redis the worker takes it; without, only a process that already runs jobs (a
    # serving one) does: a command or script that queued mail must not start a runner of its
    # own, whose thread would send with its settings and die with it.
    if app.config.get("REDIS_URL") or runner_started(app):
        enqueue(send_pending)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(QUEUED, None)
