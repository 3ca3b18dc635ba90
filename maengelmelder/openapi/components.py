"""The component schemas: written out by hand, or taken from the routes' marshmallow schemas."""

from __future__ import annotations

from typing import Any

from ..tickets.queue import COUNT_CAP
from ..tickets.routes import CitizenNoteIn
from ..tickets.schemas import AssignIn, ForwardIn, NoteIn, PublishIn, RedactIn, TransitionIn
from .fragments import (
    FIGURES,
    GEOJSON_LINKS,
    GEOMETRY,
    NEXT_CURSOR,
    NSTRING,
    SLA_TREND,
    STRING,
    TICKET_EXTRA,
    TICKET_FEATURE,
    TIME,
    UNDELIVERABLE,
    obj,
    ref,
)

HAND_WRITTEN: dict[str, dict[str, Any]] = {
    "Error": obj(
        {
            "error": obj(
                {
                    "status": {"type": "integer", "description": "the HTTP status again"},
                    "code": {"type": "string", "description": "stable, machine-readable"},
                    "message": ref("Message"),
                    "fields": {
                        "type": "object",
                        "description": "per input field: a list of messages (nested for "
                        "nested input)",
                    },
                    "allowed_next": {"type": "array", "items": STRING},
                    "current": {"type": "object"},
                    "item": {"description": "the offending zone, rule or key"},
                },
                required=["status", "code", "message"],
            )
        },
        description="The one error shape of the API.",
    ),
    "Geometry": GEOMETRY,
    "TicketPhoto": {
        "allOf": [
            ref("PhotoOut"),
            obj({"id": {"type": "integer"}, "approved": {"type": "boolean"}}),
        ]
    },
    "StaffEvent": obj(
        {
            "id": {"type": "integer"},
            "at": TIME,
            "actor": STRING,
            "actor_name": {
                "type": ["string", "null"],
                "description": "the staff member's or API token's name; null for the citizen "
                "and the system",
            },
            "kind": STRING,
            "from_status": NSTRING,
            "to_status": NSTRING,
            "public_note": NSTRING,
            "internal_note": NSTRING,
            "data": {"type": ["object", "null"]},
        }
    ),
    "Ticket": {
        "description": "A ticket as staff see it in lists: the public report plus the "
        "citizen's own text, SLA, assignee, routing and version.",
        "allOf": [
            ref("ReportPublic"),
            obj(
                {"description": NSTRING, **TICKET_EXTRA},
                required=[k for k in TICKET_EXTRA if k != "reporter_email"],
            ),
        ],
    },
    "TicketFull": {
        "description": "The single-ticket view: all photos, the whole history, duplicate "
        "and followers.",
        "allOf": [
            ref("Ticket"),
            obj(
                {
                    "photos": {"type": "array", "items": ref("TicketPhoto")},
                    "history": {"type": "array", "items": ref("StaffEvent")},
                    "duplicate_of": NSTRING,
                    "followers": {"type": "integer"},
                    "mail_failures": {
                        "type": "array",
                        "items": UNDELIVERABLE,
                        "description": "the ticket's mails that could not be delivered (the "
                        "staff app: „Mail an den Meldenden nicht zustellbar“), oldest first; "
                        "an admin sends one again from the list of undeliverable mails",
                    },
                }
            ),
        ],
    },
    "TicketQueue": obj(
        {
            "items": {"type": "array", "items": ref("Ticket")},
            "total": {
                "type": "integer",
                "description": f"how many tickets match the filter, counted up to {COUNT_CAP:,}",
            },
            "total_capped": {
                "type": "boolean",
                "description": f"true: more than {COUNT_CAP:,} match and `total` stopped there",
            },
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
            "next_cursor": NEXT_CURSOR,
        }
    ),
    "TicketFeatureCollection": obj(
        {
            "type": {"const": "FeatureCollection"},
            "features": {"type": "array", "items": TICKET_FEATURE},
            "next_cursor": NEXT_CURSOR,
            "links": GEOJSON_LINKS,
        },
        description="A page of the queue's current filter as GeoJSON (no reporter e-mail).",
    ),
    "SlaFigures": FIGURES,
    "SlaSummary": obj(
        {
            "at": TIME,
            "from": {"type": ["string", "null"], "format": "date"},
            "to": {"type": ["string", "null"], "format": "date"},
            "total": ref("SlaFigures"),
            "by_department": {"type": "object", "additionalProperties": ref("SlaFigures")},
            "by_category": {"type": "object", "additionalProperties": ref("SlaFigures")},
        }
    ),
    "SlaBreaches": obj(
        {
            "items": {
                "type": "array",
                "items": {"allOf": [ref("Ticket"), obj({"overdue_hours": {"type": "number"}})]},
            },
            "count": {
                "type": "integer",
                "description": "all breached tickets of the filter, not only this page",
            },
            "next_cursor": {
                "type": ["string", "null"],
                "description": "pass as `cursor` for the next page; null on the last page",
            },
        }
    ),
    "Transparency": obj(
        {
            "items": {
                "type": "array",
                "items": obj(
                    {
                        "month": {"type": "string", "pattern": r"^\d{4}-\d{2}$"},
                        "category": STRING,
                        "resolved": {"type": "integer"},
                        "within_promise": {"type": "integer"},
                        "within_promise_pct": {"type": "number"},
                    }
                ),
            }
        }
    ),
    "SlaTrend": SLA_TREND,
    "Health": obj(
        {
            "status": {"type": "string", "enum": ["ok", "unavailable"]},
            "checks": obj(
                {
                    "database": {"type": "string", "enum": ["ok", "unavailable"]},
                    "redis": {"type": "string", "enum": ["ok", "unavailable", "not_configured"]},
                }
            ),
        }
    ),
}

# Marshmallow schemas the routes use, by component name.
MARSHMALLOW: dict[str, type] = {
    "TransitionIn": TransitionIn,
    "AssignIn": AssignIn,
    "ForwardIn": ForwardIn,
    "NoteIn": NoteIn,
    "PublishIn": PublishIn,
    "RedactIn": RedactIn,
    "CitizenNoteIn": CitizenNoteIn,
}


def patch_outputs(schemas: dict[str, dict]) -> None:
    """Nothing to patch: output schemas (`web.schemas.Out`) document their computed fields."""
