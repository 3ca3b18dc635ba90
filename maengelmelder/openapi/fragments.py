"""Schema fragments the components and operations share: small types, objects, named shapes."""

from __future__ import annotations

from typing import Any

from ..tickets import states
from ..tickets.queue import SLA_STATES


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


STRING = {"type": "string"}
NSTRING = {"type": ["string", "null"]}
TIME = {"type": "string", "format": "date-time"}
NTIME = {"type": ["string", "null"], "format": "date-time"}
NINT = {"type": ["integer", "null"]}
NNUMBER = {"type": ["number", "null"]}
STRINGS = {"type": "array", "items": STRING}
# The `links` member of a GeoJSON page (as OGC API - Features writes it): the next page, if any.
GEOJSON_LINKS = {
    "type": "array",
    "description": '`[{href, rel: "next", type}]` naming the next page; empty on the last',
    "items": {
        "type": "object",
        "properties": {"href": STRING, "rel": {"const": "next"}, "type": STRING},
        "required": ["href", "rel"],
    },
}
NEXT_CURSOR = {
    "type": ["string", "null"],
    "description": "pass it as `cursor` for the next page; null on the last page",
}


def obj(properties: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict:
    out: dict[str, Any] = {"type": "object", "properties": properties}
    if required is None:
        required = list(properties)
    if required:
        out["required"] = required
    out.update(extra)
    return out


# -- hand-written shapes ----------------------------------------------------------------------

GEOMETRY = obj(
    {
        "type": {
            "type": "string",
            "enum": [
                "Point",
                "MultiPoint",
                "LineString",
                "MultiLineString",
                "Polygon",
                "MultiPolygon",
                "GeometryCollection",
            ],
        },
        "coordinates": {"type": "array"},
    },
    required=["type"],
    description="A GeoJSON geometry (RFC 7946): WGS84, positions as [lon, lat].",
)

TICKET_EXTRA = {
    "public_description": NSTRING,
    "priority": NINT,
    "version": {"type": "integer", "description": "also sent as ETag; send it back in If-Match"},
    "allowed_next": {"type": "array", "items": {"type": "string", "enum": list(states.ALL)}},
    "sla": obj(
        {
            "state": {"type": "string", "enum": list(SLA_STATES)},
            "deadline": NTIME,
            "at_risk_at": NTIME,
        }
    ),
    "assignee": nullable(obj({"id": {"type": "integer"}, "name": STRING})),
    "zones": STRINGS,
    "routing": {"type": ["object", "null"], "description": "the stored routing explanation"},
    "ruleset_version": NINT,
    "lang": NSTRING,
    "held_reason": {
        "type": ["string", "null"],
        "enum": ["blocklist", "email_unconfirmed", "abuse", None],
        "description": "why the citizen content waits for staff (docs/abuse.md); null if not",
    },
    "abuse_flag_count": {"type": "integer", "description": "open 'report abuse' flags"},
    "abuse_flags": {
        "type": "array",
        "description": "the open 'report abuse' flags, oldest first (never who flagged)",
        "items": obj(
            {
                "id": {"type": "integer"},
                "reason": {
                    "type": "string",
                    "enum": ["offensive", "personal_data", "spam", "wrong_place", "other"],
                },
                "comment": NSTRING,
                "created_at": TIME,
            }
        ),
    },
    "reporter_email": {
        "type": ["string", "null"],
        "description": "only for staff of the ticket's own department",
    },
}

# A failed mail as staff see it: on its ticket (`mail_failures`) and in the admin's list.
UNDELIVERABLE = obj(
    {
        "id": {"type": "integer", "description": "the outbox row"},
        "kind": {
            "type": "string",
            "description": "which mail: `acknowledged`, `resolved`, `rejected`, `followup`, "
            "`confirm_email`, `escalation`, `digest`, …",
        },
        "to": {
            "type": "string",
            "enum": ["reporter", "follower", "staff"],
            "description": "to whom, never the address itself",
        },
        "failed_at": TIME,
        "attempts": {"type": "integer"},
        "error": {
            "type": ["string", "null"],
            "description": "the mail server's reply (`recipient refused: 550 5.1.1 …`), any "
            "address in it replaced by `<address>`",
        },
    }
)

FIGURES = obj(
    {
        "open": {"type": "integer"},
        "at_risk": {"type": "integer"},
        "breached": {"type": "integer"},
        "paused": {"type": "integer"},
        "resolved": {"type": "integer"},
        "resolved_within_sla": {"type": "integer"},
        "resolved_within_sla_pct": NNUMBER,
        "median_hours_to_resolve": NNUMBER,
        "p90_hours_to_resolve": NNUMBER,
    }
)

SLA_TREND = obj(
    {
        "days": {
            "type": "array",
            "description": "one entry per day (Europe/Berlin), the oldest first",
            "items": obj(
                {
                    "date": {"type": "string", "format": "date"},
                    "created": {"type": "integer"},
                    "resolved": {"type": "integer"},
                }
            ),
        },
        "weeks": {
            "type": "array",
            "description": "per ISO week with resolved tickets: the share within the promise",
            "items": obj(
                {
                    "week": {"type": "string", "pattern": r"^\d{4}-W\d{2}$"},
                    "resolved": {"type": "integer"},
                    "within_promise_pct": {"type": "number"},
                }
            ),
        },
    }
)

TICKET_FEATURE = obj(
    {
        "type": {"const": "Feature"},
        "id": STRING,
        "geometry": obj({"type": {"const": "Point"}, "coordinates": {"type": "array"}}),
        "properties": obj(
            {
                "public_id": STRING,
                "status": {"type": "string", "enum": list(states.ALL)},
                "category": STRING,
                "department": STRING,
                "created_at": TIME,
                "deadline": NTIME,
                "sla_state": {"type": "string", "enum": list(SLA_STATES)},
                "assignee": {"type": "string", "description": "the name, or empty"},
                "zones": {"type": "string", "description": "zone keys, space-separated"},
            }
        ),
    }
)
