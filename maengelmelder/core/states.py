"""Ticket states, in the domain's words, and which of them count as open."""

NEW = "new"
ACKNOWLEDGED = "acknowledged"
IN_PROGRESS = "in_progress"
WAITING_EXTERNAL = "waiting_external"
RESOLVED = "resolved"
CLOSED = "closed"
REJECTED = "rejected"
DUPLICATE = "duplicate"

ALL = (NEW, ACKNOWLEDGED, IN_PROGRESS, WAITING_EXTERNAL, RESOLVED, CLOSED, REJECTED, DUPLICATE)
OPEN = frozenset({NEW, ACKNOWLEDGED, IN_PROGRESS, WAITING_EXTERNAL})
DONE = frozenset({RESOLVED, CLOSED, REJECTED, DUPLICATE})

LABELS = {
    NEW: {"de": "Neu", "en": "New"},
    ACKNOWLEDGED: {"de": "Angenommen", "en": "Acknowledged"},
    IN_PROGRESS: {"de": "In Bearbeitung", "en": "In progress"},
    WAITING_EXTERNAL: {"de": "Wartet auf Dritte", "en": "Waiting for a third party"},
    RESOLVED: {"de": "Erledigt", "en": "Resolved"},
    CLOSED: {"de": "Abgeschlossen", "en": "Closed"},
    REJECTED: {"de": "Abgelehnt", "en": "Rejected"},
    DUPLICATE: {"de": "Doppelt gemeldet", "en": "Duplicate"},
}
