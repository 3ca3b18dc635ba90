"""The ticket state machine: which state may follow which, and what a step needs."""

from __future__ import annotations

from .states import (
    ACKNOWLEDGED,
    CLOSED,
    DUPLICATE,
    IN_PROGRESS,
    NEW,
    REJECTED,
    RESOLVED,
    WAITING_EXTERNAL,
)

# Staff transitions. Closed, rejected and duplicate are final.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    NEW: (ACKNOWLEDGED, IN_PROGRESS, WAITING_EXTERNAL, RESOLVED, REJECTED, DUPLICATE),
    ACKNOWLEDGED: (IN_PROGRESS, WAITING_EXTERNAL, RESOLVED, REJECTED, DUPLICATE),
    IN_PROGRESS: (WAITING_EXTERNAL, RESOLVED, REJECTED, DUPLICATE),
    WAITING_EXTERNAL: (IN_PROGRESS, RESOLVED, REJECTED),
    RESOLVED: (IN_PROGRESS, CLOSED),
    CLOSED: (),
    REJECTED: (),
    DUPLICATE: (),
}

# A citizen's "it is not fixed" sends a resolved ticket back to the crew's queue.
REOPEN_TO = ACKNOWLEDGED
# States whose entry tells the reporter by e-mail.
NOTIFY_ON = frozenset({ACKNOWLEDGED, RESOLVED, REJECTED})


def allowed_next(status: str) -> tuple[str, ...]:
    """The states a ticket in `status` may move to."""
    return TRANSITIONS.get(status, ())


def can_move(status: str, to: str) -> bool:
    return to in allowed_next(status)
