"""The columns the history writes, per table, in the order of its rows."""

REPORT_COLUMNS = (
    *("id", "public_id", "category_id", "description", "lat", "lon", "location_source"),
    *("address", "status", "department_id", "priority", "created_at", "updated_at"),
    *("deadline", "resolved_at", "closed_at", "reporter_email", "notify_reporter", "lang"),
    *("tracking_salt", "tracking_token_hash", "idempotency_key", "request_fingerprint"),
    *("routing", "zone_keys", "assignee_id", "duplicate_of_id", "published", "held_reason"),
    *("supporters", "public_description", "at_risk_at", "sla_hours", "sla_calendar"),
    *("pauses", "paused_since", "at_risk_warned", "breach_escalated", "ruleset_version"),
    *("version", "reporter_email_key"),
)
EVENT_COLUMNS = (
    *("id", "report_id", "created_at", "actor", "kind", "from_status", "to_status"),
    *("public_note", "internal_note", "data"),
)
FOLLOWER_COLUMNS = ("id", "report_id", "email", "lang", "source", "created_at", "email_key")
ESCALATION_COLUMNS = ("id", "report_id", "kind", "deadline", "created_at")
OUTBOX_COLUMNS = (
    *("id", "created_at", "report_id", "kind", "dedupe_key", "recipient", "lang", "subject"),
    *("body", "status", "attempts", "next_attempt_at", "sent_at", "last_error", "recipient_key"),
)
