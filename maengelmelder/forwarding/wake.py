"""Enqueue the delivery job for each hand-over once the transaction that wrote it commits.

A lost enqueue (Redis down, a process that runs no jobs) is caught by the recurring sweep.
"""

from __future__ import annotations

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..jobs import Call, enqueue_all, runner_started

DUE = "maengelmelder.forwarding.due"


def mark(session: Session, delivery_id: int) -> None:
    """The session's transaction made a delivery due."""
    session.info.setdefault(DUE, set()).add(delivery_id)


@event.listens_for(Session, "after_commit")
def _wake_sender(session: Session) -> None:
    due = session.info.pop(DUE, None)
    if not (due and has_app_context()):
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config.get("REDIS_URL") or runner_started(app):
        enqueue_all([Call("maengelmelder.forwarding.jobs.deliver", (i,)) for i in sorted(due)])


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(DUE, None)
