"""The native API described as OpenAPI 3.1: `/api/v1/openapi.json` and a readable `/api/v1/docs`.

Built with apispec from the marshmallow schemas the routes load and dump with; shapes the
routes build by hand (the error, the staff view of a ticket, pages, GeoJSON, SLA figures) are
written out here. Only operations whose route is registered in the app are described, and a
test checks the other direction: every `/api/v1` rule of the app is in the document.
"""

from __future__ import annotations

import json
import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, current_app, jsonify, render_template

from .accounts.models import ROLES
from .accounts.routes import LoginIn, PasswordIn, TokenIn, UserIn
from .catalog.admin import CategoryIn, CategoryPatch, DepartmentIn
from .reports.schemas import (
    UTC,
    CategoryOut,
    EventPublic,
    ListQuery,
    NearbyQuery,
    ReportForReporter,
    ReportIn,
    ReportPublic,
    SupportIn,
)
from .sla.routes import SummaryArgs
from .tickets import states
from .tickets.queue import SLA_STATES
from .tickets.routes import CitizenNoteIn
from .tickets.schemas import (
    AssignIn,
    ForwardIn,
    NoteIn,
    PublishIn,
    QueueArgs,
    RedactIn,
    TransitionIn,
)
from .zoning.routes import ExplainIn, ZoneImportArgs

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1"
DOC_PATH = "/api/v1/openapi.json"

bp = Blueprint("openapi", __name__)


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


STRING = {"type": "string"}
NSTRING = {"type": ["string", "null"]}
TIME = {"type": "string", "format": "date-time"}
NTIME = {"type": ["string", "null"], "format": "date-time"}
NINT = {"type": ["integer", "null"]}
NNUMBER = {"type": ["number", "null"]}
STRINGS = {"type": "array", "items": STRING}


def _obj(properties: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict:
    out: dict[str, Any] = {"type": "object", "properties": properties}
    if required is None:
        required = list(properties)
    if required:
        out["required"] = required
    out.update(extra)
    return out


# -- hand-written shapes ----------------------------------------------------------------------

GEOMETRY = _obj(
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
    "sla": _obj(
        {
            "state": {"type": "string", "enum": list(SLA_STATES)},
            "deadline": NTIME,
            "at_risk_at": NTIME,
        }
    ),
    "assignee": _nullable(_obj({"id": {"type": "integer"}, "name": STRING})),
    "zones": STRINGS,
    "routing": {"type": ["object", "null"], "description": "the stored routing explanation"},
    "ruleset_version": NINT,
    "lang": NSTRING,
    "reporter_email": {
        "type": ["string", "null"],
        "description": "only for staff of the ticket's own department",
    },
}

FIGURES = _obj(
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

USER = _obj(
    {
        "id": {"type": "integer"},
        "email": STRING,
        "name": STRING,
        "role": {"type": "string", "enum": list(ROLES)},
        "citywide": {"type": "boolean"},
        "lang": STRING,
        "active": {"type": "boolean"},
        "departments": STRINGS,
        "last_login_at": NTIME,
    }
)

API_TOKEN = _obj(
    {
        "id": {"type": "integer"},
        "name": STRING,
        "prefix": STRING,
        "role": {"type": "string", "enum": list(ROLES)},
        "citywide": {"type": "boolean"},
        "departments": STRINGS,
        "created_at": TIME,
        "revoked_at": NTIME,
    }
)

RULE = _obj(
    {
        "id": STRING,
        "department": STRING,
        "category": STRING,
        "category_group": STRING,
        "zone": STRING,
        "zone_kind": STRING,
        "priority": {"type": "integer"},
        "sla_hours": {"type": "number"},
    },
    required=["id", "department"],
)

RULE_VERSION = _obj(
    {
        "version": NINT,
        "created_at": NTIME,
        "created_by": NSTRING,
        "note": NSTRING,
    }
)

DEPARTMENT = _obj(
    {
        "code": STRING,
        "name": ref("Message"),
        "email": NSTRING,
        "sla_hours": {
            "type": ["integer", "null"],
            "description": "the department's own promise; null: the category's",
        },
        "sla_calendar": {"type": ["string", "null"], "enum": ["wall", "business", None]},
    }
)

CATEGORY_ADMIN = _obj(
    {
        "code": STRING,
        "name": ref("Message"),
        "group": STRING,
        "default_department": {"type": "string", "description": "the department's code"},
        "sla_hours": {"type": "integer"},
        "icon": STRING,
        "auto_publish": {"type": "boolean"},
        "active": {"type": "boolean"},
    }
)

SLA_TREND = _obj(
    {
        "days": {
            "type": "array",
            "description": "one entry per day (Europe/Berlin), the oldest first",
            "items": _obj(
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
            "items": _obj(
                {
                    "week": {"type": "string", "pattern": r"^\d{4}-W\d{2}$"},
                    "resolved": {"type": "integer"},
                    "within_promise_pct": {"type": "number"},
                }
            ),
        },
    }
)

TICKET_FEATURE = _obj(
    {
        "type": {"const": "Feature"},
        "id": STRING,
        "geometry": _obj({"type": {"const": "Point"}, "coordinates": {"type": "array"}}),
        "properties": _obj(
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

MOVE = _obj(
    {
        "public_id": STRING,
        "category": STRING,
        "from_department": STRING,
        "to_department": STRING,
        "rule_id": NSTRING,
    }
)

HAND_WRITTEN: dict[str, dict[str, Any]] = {
    "Message": _obj({"de": STRING, "en": STRING}, description="German first, English second."),
    "Error": _obj(
        {
            "error": _obj(
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
    "ReportPage": _obj(
        {"items": {"type": "array", "items": ref("ReportPublic")}, "next_cursor": NSTRING}
    ),
    "ReportFeature": _obj(
        {
            "type": {"const": "Feature"},
            "id": STRING,
            "geometry": _obj({"type": {"const": "Point"}, "coordinates": {"type": "array"}}),
            "properties": {"type": "object", "description": "the public report without lat/lon"},
        }
    ),
    "ReportFeatureCollection": _obj(
        {
            "type": {"const": "FeatureCollection"},
            "features": {"type": "array", "items": ref("ReportFeature")},
            "next_cursor": NSTRING,
        }
    ),
    "NearbyReport": {
        "allOf": [ref("ReportPublic"), _obj({"distance_m": {"type": "number"}})],
    },
    "NearbyPage": _obj({"items": {"type": "array", "items": ref("NearbyReport")}}),
    "ReportCreated": _obj(
        {
            "report": ref("ReportForReporter"),
            "tracking_url": {"type": "string", "format": "uri"},
            "tracking_token": STRING,
        }
    ),
    "TrackedReport": {
        "allOf": [
            ref("ReportForReporter"),
            _obj({"history": {"type": "array", "items": ref("EventPublic")}}),
        ]
    },
    "City": _obj(
        {
            "name": STRING,
            "boundary": ref("Geometry"),
            "centre": _obj({"lat": {"type": "number"}, "lon": {"type": "number"}}),
            "bbox": {
                "type": "array",
                "items": {"type": "number"},
                "minItems": 4,
                "maxItems": 4,
                "description": "min lon, min lat, max lon, max lat",
            },
            "tiles": _obj({"url": STRING, "attribution": STRING}),
        }
    ),
    "RoutingExplanation": _obj(
        {
            "department": STRING,
            "rule_id": NSTRING,
            "rule": _nullable(RULE),
            "priority": NINT,
            "sla_hours": NNUMBER,
            "zones": {
                "type": "array",
                "items": _obj({"key": STRING, "name": STRING, "kind": STRING}),
            },
            "ruleset_version": NINT,
            "fallback": {"type": "boolean"},
            "text": ref("Message"),
            "inside_city": {"type": "boolean"},
        }
    ),
    "TicketPhoto": {
        "allOf": [
            ref("PhotoOut"),
            _obj({"id": {"type": "integer"}, "approved": {"type": "boolean"}}),
        ]
    },
    "StaffEvent": _obj(
        {
            "id": {"type": "integer"},
            "at": TIME,
            "actor": STRING,
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
            _obj(
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
            _obj(
                {
                    "photos": {"type": "array", "items": ref("TicketPhoto")},
                    "history": {"type": "array", "items": ref("StaffEvent")},
                    "duplicate_of": NSTRING,
                    "followers": {"type": "integer"},
                }
            ),
        ],
    },
    "TicketQueue": _obj(
        {
            "items": {"type": "array", "items": ref("Ticket")},
            "total": {"type": "integer"},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
        }
    ),
    "TicketFeatureCollection": _obj(
        {
            "type": {"const": "FeatureCollection"},
            "features": {"type": "array", "items": TICKET_FEATURE},
        },
        description="The queue's current filter as GeoJSON (no reporter e-mail).",
    ),
    "SlaFigures": FIGURES,
    "SlaSummary": _obj(
        {
            "at": TIME,
            "total": ref("SlaFigures"),
            "by_department": {"type": "object", "additionalProperties": ref("SlaFigures")},
            "by_category": {"type": "object", "additionalProperties": ref("SlaFigures")},
        }
    ),
    "SlaBreaches": _obj(
        {
            "items": {
                "type": "array",
                "items": {"allOf": [ref("Ticket"), _obj({"overdue_hours": {"type": "number"}})]},
            },
            "count": {"type": "integer"},
        }
    ),
    "Transparency": _obj(
        {
            "items": {
                "type": "array",
                "items": _obj(
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
    "Department": DEPARTMENT,
    "CategoryAdmin": CATEGORY_ADMIN,
    "User": USER,
    "Login": _obj({"user": ref("User"), "csrf_token": STRING}),
    "CsrfToken": _obj({"csrf_token": STRING}),
    "Me": _obj(
        {
            "kind": {"type": "string", "enum": ["user", "token"]},
            "role": {"type": "string", "enum": list(ROLES)},
            "name": STRING,
            "user": ref("User"),
            "csrf_token": STRING,
        },
        required=["kind", "role", "name"],
        description="`user` and `csrf_token` only for a session login.",
    ),
    "ApiToken": API_TOKEN,
    "ApiTokenCreated": {
        "allOf": [
            ref("ApiToken"),
            _obj({"token": {"type": "string", "description": "shown this one time only"}}),
        ]
    },
    "ZoneFeatureCollection": _obj(
        {
            "type": {"const": "FeatureCollection"},
            "features": {
                "type": "array",
                "items": _obj(
                    {
                        "type": {"const": "Feature"},
                        "id": STRING,
                        "properties": _obj({"name": NSTRING, "kind": STRING, "updated_at": NTIME}),
                        "geometry": ref("Geometry"),
                    }
                ),
            },
        }
    ),
    "FeatureCollectionIn": _obj(
        {
            "type": {"const": "FeatureCollection"},
            "features": {"type": "array", "items": {"type": "object"}},
        },
        description="GeoJSON in WGS84; each feature a (Multi)Polygon with an id property.",
    ),
    "ZoneImportResult": _obj(
        {
            "kind": STRING,
            "summary": _obj(
                {k: {"type": "integer"} for k in ("added", "changed", "removed", "unchanged")}
            ),
            "added": STRINGS,
            "changed": STRINGS,
            "removed": STRINGS,
            "unchanged": STRINGS,
        }
    ),
    "Rule": RULE,
    "RuleSetIn": _obj(
        {
            "fallback_department": STRING,
            "rules": {"type": "array", "items": ref("Rule")},
            "version": {"description": "ignored (the server numbers versions)"},
            "note": {"type": "string", "description": "only when applying"},
        },
        required=["fallback_department"],
    ),
    "RuleSet": _obj(
        {
            "fallback_department": STRING,
            "rules": {"type": "array", "items": ref("Rule")},
            "version": NINT,
        },
        required=["fallback_department", "rules"],
    ),
    "RuleSetVersion": {
        "allOf": [
            RULE_VERSION,
            _obj({"implicit": {"type": "boolean"}, "rules": ref("RuleSet")}),
        ]
    },
    "RuleSetApplied": {
        "allOf": [
            ref("RuleSetVersion"),
            _obj({"moves": {"type": "array", "items": ref("Move")}}),
        ]
    },
    "RuleVersionInfo": RULE_VERSION,
    "Move": MOVE,
    "DryRun": _obj(
        {"moves": {"type": "array", "items": ref("Move")}, "count": {"type": "integer"}}
    ),
    "Health": _obj(
        {
            "status": {"type": "string", "enum": ["ok", "unavailable"]},
            "checks": _obj(
                {
                    "database": {"type": "string", "enum": ["ok", "unavailable"]},
                    "redis": {"type": "string", "enum": ["ok", "unavailable", "not_configured"]},
                }
            ),
        }
    ),
    "OpenDataFeatureCollection": _obj(
        {
            "type": {"const": "FeatureCollection"},
            "name": STRING,
            "license": _obj({"name": STRING, "url": STRING}),
            "features": {"type": "array", "items": {"type": "object"}},
        }
    ),
}

# Marshmallow schemas the routes use, by component name.
MARSHMALLOW: dict[str, type] = {
    "ReportIn": ReportIn,
    "ReportPublic": ReportPublic,
    "ReportForReporter": ReportForReporter,
    "EventPublic": EventPublic,
    "CategoryOut": CategoryOut,
    "SupportIn": SupportIn,
    "TransitionIn": TransitionIn,
    "AssignIn": AssignIn,
    "ForwardIn": ForwardIn,
    "NoteIn": NoteIn,
    "PublishIn": PublishIn,
    "RedactIn": RedactIn,
    "CitizenNoteIn": CitizenNoteIn,
    "LoginIn": LoginIn,
    "PasswordIn": PasswordIn,
    "UserIn": UserIn,
    "TokenIn": TokenIn,
    "ExplainIn": ExplainIn,
    "DepartmentIn": DepartmentIn,
    "CategoryIn": CategoryIn,
    "CategoryPatch": CategoryPatch,
}
# Output schemas may grow fields; their components do not forbid unknown properties.
OUTPUTS = (
    "ReportPublic",
    "ReportForReporter",
    "EventPublic",
    "CategoryOut",
    "PhotoOut",
    "CategoryRef",
    "DepartmentRef",
)


def _patch_outputs(schemas: dict[str, dict]) -> None:
    """Types of the fields marshmallow computes (Function fields say nothing about theirs)."""
    for name in OUTPUTS:
        schemas[name].pop("additionalProperties", None)
        # marshmallow dumps every declared field, so each one is always there
        schemas[name]["required"] = list(schemas[name]["properties"])
    for name in ("CategoryRef", "DepartmentRef", "CategoryOut"):
        schemas[name]["properties"]["name"] = ref("Message")
    photo = schemas["PhotoOut"]["properties"]
    photo["url"] = {"type": "string", "description": "web size, long side ≤ 1600 px"}
    photo["thumbnail_url"] = {"type": "string", "description": "long side ≤ 320 px"}
    public = schemas["ReportPublic"]["properties"]
    public["status_label"] = ref("Message")
    public["description"] = {
        "type": ["string", "null"],
        "description": "the citizen's text, null until staff published it",
    }
    public["photos"] = {"type": "array", "items": ref("PhotoOut")}


# -- operations -------------------------------------------------------------------------------

BEARER_OR_SESSION = [{"bearerAuth": []}, {"sessionCookie": []}]
BEARER_OR_SESSION_CSRF = [{"bearerAuth": []}, {"sessionCookie": [], "csrfHeader": []}]

ERROR_DESCRIPTIONS = {
    400: "Malformed request: not JSON, an invalid query parameter, or a value the database "
    "cannot hold (such as a NUL character).",
    401: "Not logged in, or the API token is invalid or revoked.",
    403: "Role, department or CSRF check failed.",
    404: "No such resource.",
    409: "The current state does not allow this.",
    412: "If-Match names an older version.",
    413: "The body is too large.",
    415: "Unsupported content type.",
    422: "Invalid input; `fields` names each offending field.",
    428: "If-Match is missing.",
    429: "Too many failed logins; see Retry-After.",
    507: "Photos could not be stored; see Retry-After.",
}


def _json(schema: Any, description: str, media: str = "application/json") -> dict:
    return {"description": description, "content": {media: {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(s): {"$ref": f"#/components/responses/Error{s}"} for s in statuses}


def _body(schema: Any, *, required: bool = True, media: str = "application/json") -> dict:
    return {"required": required, "content": {media: {"schema": schema}}}


def _op(
    tag: str,
    summary: str,
    responses: dict[str, Any],
    *errors: int,
    security: list | None = None,
    **more: Any,
) -> dict[str, Any]:
    errs = set(errors)
    if "parameters" in more or "requestBody" in more:
        errs.add(400)  # any input can carry a value the database refuses
    if security is not None:
        errs |= {401, 403}
    out: dict[str, Any] = {
        "tags": [tag],
        "summary": summary,
        "responses": {**responses, **_errors(*sorted(errs))},
    }
    if security is not None:
        out["security"] = security
    out.update(more)
    return out


def _path_param(name: str, description: str, *, integer: bool = False, **schema: Any) -> dict:
    return {
        "in": "path",
        "name": name,
        "required": True,
        "description": description,
        # Flask's int converter takes no sign
        "schema": (
            {"type": "integer", "minimum": 0, **schema} if integer else {"type": "string", **schema}
        ),
    }


PUBLIC_ID = _path_param(
    "public_id", "the report's public id, YEAR-NNNNNN", example="2026-000001", maxLength=64
)
TOKEN = _path_param("token", "the tracking token from the report's tracking link")
IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": True,
    "description": 'the ticket version you saw (its ETag, e.g. `"3"`); `428` without it, '
    "`412` when it is stale",
    "schema": {"type": "string", "example": '"1"'},
}
ETAG = {"ETag": {"description": "the ticket's version", "schema": STRING}}


def _csv_query(name: str, description: str) -> dict:
    return {"in": "query", "name": name, "description": description, "schema": STRING}


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    ticket = _json(ref("TicketFull"), "The ticket after the change.")
    ticket["headers"] = ETAG
    staff_write = BEARER_OR_SESSION_CSRF
    tracked = _json(ref("TrackedReport"), "The report and its public history.")
    multipart_report = {
        "allOf": [
            ref("ReportIn"),
            _obj(
                {
                    "photos": {
                        "type": "array",
                        "maxItems": 5,
                        "items": {"type": "string", "format": "binary"},
                    }
                },
                required=[],
            ),
        ]
    }
    return [
        (
            "/healthz",
            "get",
            {
                "tags": ["service"],
                "summary": "Health: the database (and Redis, if configured) answer.",
                "responses": {
                    "200": _json(ref("Health"), "Healthy."),
                    "503": _json(ref("Health"), "Not healthy; see Retry-After."),
                },
            },
        ),
        (
            "/api/v1/openapi.json",
            "get",
            _op("service", "This document.", {"200": _json({"type": "object"}, "OpenAPI 3.1.")}),
        ),
        # reports
        (
            "/api/v1/reports",
            "post",
            _op(
                "reports",
                "File a report (multipart with photos, or JSON).",
                {
                    "201": {
                        **_json(ref("ReportCreated"), "Filed (or, with a known key, replayed)."),
                        "headers": {
                            "Location": {"schema": STRING},
                            "Idempotent-Replayed": {
                                "description": "`true` when this answers a retry",
                                "schema": STRING,
                            },
                        },
                    }
                },
                400,
                413,
                415,
                422,
                507,
                parameters=[
                    {
                        "in": "header",
                        "name": "Idempotency-Key",
                        "description": "1–255 printable ASCII characters; a retry with the "
                        "same key returns the first report, a different report is `422`",
                        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                    }
                ],
                requestBody={
                    "required": True,
                    "content": {
                        "multipart/form-data": {"schema": multipart_report},
                        "application/json": {"schema": ref("ReportIn")},
                    },
                },
                description="Without `lat`/`lon` the GPS position in a photo's EXIF is used.",
            ),
        ),
        (
            "/api/v1/reports",
            "get",
            _op(
                "reports",
                "Public reports, newest first; JSON or GeoJSON.",
                {
                    "200": {
                        "description": "A page; pass `next_cursor` as `cursor` for the next.",
                        "content": {
                            "application/json": {"schema": ref("ReportPage")},
                            "application/geo+json": {"schema": ref("ReportFeatureCollection")},
                        },
                    }
                },
                400,
                parameters=[
                    {"in": "query", "schema": ListQuery},
                ],
            ),
        ),
        (
            "/api/v1/reports/nearby",
            "get",
            _op(
                "reports",
                "Open reports near a place, nearest first (support instead of a duplicate).",
                {"200": _json(ref("NearbyPage"), "Up to the nearest few.")},
                400,
                parameters=[{"in": "query", "schema": NearbyQuery}],
            ),
        ),
        (
            "/api/v1/reports/{public_id}",
            "get",
            _op(
                "reports",
                "One public report (no e-mail, no token).",
                {"200": _json(ref("ReportPublic"), "The report.")},
                404,
                parameters=[PUBLIC_ID],
            ),
        ),
        (
            "/api/v1/reports/{public_id}/support",
            "post",
            _op(
                "reports",
                "Support an open report (optionally to hear when it is resolved).",
                {"200": _json(ref("ReportPublic"), "The report, one supporter more.")},
                400,
                404,
                409,
                422,
                parameters=[PUBLIC_ID],
                requestBody=_body(ref("SupportIn"), required=False),
            ),
        ),
        (
            "/api/v1/track/{token}",
            "get",
            _op(
                "tracking",
                "The reporter's view: the report and its public history.",
                {"200": tracked},
                404,
                parameters=[TOKEN],
            ),
        ),
        (
            "/api/v1/track/{token}/reopen",
            "post",
            _op(
                "tracking",
                "It is not fixed: reopen a resolved report (within 14 days) with a note.",
                {"200": tracked},
                400,
                404,
                409,
                422,
                parameters=[TOKEN],
                requestBody=_body(ref("CitizenNoteIn")),
            ),
        ),
        (
            "/api/v1/track/{token}/confirm",
            "post",
            _op(
                "tracking",
                "It is fixed: the reporter confirms and the ticket closes.",
                {"200": tracked},
                404,
                409,
                parameters=[TOKEN],
            ),
        ),
        (
            "/api/v1/categories",
            "get",
            _op(
                "catalog",
                "Active categories in display order.",
                {"200": _json({"type": "array", "items": ref("CategoryOut")}, "Categories.")},
            ),
        ),
        (
            "/api/v1/city",
            "get",
            _op(
                "catalog",
                "The city: name, boundary, centre, bbox, tiles.",
                {"200": _json(ref("City"), "The city.")},
            ),
        ),
        (
            "/api/v1/routing/explain",
            "post",
            _op(
                "routing",
                "Which department a report here would go to, and why.",
                {"200": _json(ref("RoutingExplanation"), "The decision.")},
                400,
                422,
                requestBody=_body(ref("ExplainIn")),
            ),
        ),
        (
            "/api/v1/sla/transparency",
            "get",
            _op(
                "sla",
                "Public: share of reports resolved within the promise, by month and category.",
                {"200": _json(ref("Transparency"), "Figures.")},
            ),
        ),
        (
            "/api/v1/export/reports.geojson",
            "get",
            _op(
                "open data",
                "Every report (filtered) as GeoJSON, without personal data.",
                {
                    "200": _json(
                        ref("OpenDataFeatureCollection"), "Streamed.", "application/geo+json"
                    )
                },
                400,
                parameters=_export_params(),
            ),
        ),
        (
            "/api/v1/export/reports.csv",
            "get",
            _op(
                "open data",
                "Every report (filtered) as CSV, without personal data.",
                {"200": _json(STRING, "Streamed, with a header row.", "text/csv")},
                400,
                parameters=_export_params(),
            ),
        ),
        # accounts
        (
            "/api/v1/auth/login",
            "post",
            _op(
                "accounts",
                "Log in: sets the session cookie and returns the CSRF token.",
                {"200": _json(ref("Login"), "Logged in.")},
                400,
                401,
                422,
                429,
                requestBody=_body(ref("LoginIn")),
            ),
        ),
        (
            "/api/v1/auth/logout",
            "post",
            _op(
                "accounts",
                "Log out.",
                {"204": {"description": "Logged out."}},
                security=staff_write,
            ),
        ),
        (
            "/api/v1/auth/me",
            "get",
            _op(
                "accounts",
                "Who is calling.",
                {"200": _json(ref("Me"), "The caller.")},
                security=BEARER_OR_SESSION,
            ),
        ),
        (
            "/api/v1/auth/password",
            "post",
            _op(
                "accounts",
                "Change one's own password (sessions only); other sessions end.",
                {"200": _json(ref("CsrfToken"), "Changed; the new session's CSRF token.")},
                400,
                422,
                security=staff_write,
                requestBody=_body(ref("PasswordIn")),
            ),
        ),
        (
            "/api/v1/admin/users",
            "get",
            _op(
                "admin",
                "Staff accounts.",
                {"200": _json({"type": "array", "items": ref("User")}, "Accounts by e-mail.")},
                security=BEARER_OR_SESSION,
            ),
        ),
        (
            "/api/v1/admin/users",
            "post",
            _op(
                "admin",
                "Create a staff account.",
                {"201": _json(ref("User"), "Created.")},
                400,
                409,
                422,
                security=staff_write,
                requestBody=_body(ref("UserIn")),
            ),
        ),
        (
            "/api/v1/admin/tokens",
            "get",
            _op(
                "admin",
                "API tokens (never the secret).",
                {"200": _json({"type": "array", "items": ref("ApiToken")}, "Tokens.")},
                security=BEARER_OR_SESSION,
            ),
        ),
        (
            "/api/v1/admin/tokens",
            "post",
            _op(
                "admin",
                "Create an API token; the answer is the only time it is shown.",
                {"201": _json(ref("ApiTokenCreated"), "Created.")},
                400,
                422,
                security=staff_write,
                requestBody=_body(ref("TokenIn")),
            ),
        ),
        (
            "/api/v1/admin/tokens/{token_id}",
            "delete",
            _op(
                "admin",
                "Revoke an API token.",
                {"200": _json(ref("ApiToken"), "Revoked.")},
                404,
                security=staff_write,
                parameters=[_path_param("token_id", "the token's id", integer=True)],
            ),
        ),
        # catalog admin
        (
            "/api/v1/admin/departments",
            "get",
            _op(
                "admin",
                "Departments by code.",
                {"200": _json({"type": "array", "items": ref("Department")}, "Departments.")},
                security=BEARER_OR_SESSION,
            ),
        ),
        (
            "/api/v1/admin/departments",
            "post",
            _op(
                "admin",
                "Create a department; `409` when the code exists.",
                {"201": _json(ref("Department"), "Created.")},
                400,
                409,
                422,
                security=staff_write,
                requestBody=_body(ref("DepartmentIn")),
            ),
        ),
        (
            "/api/v1/admin/categories",
            "get",
            _op(
                "admin",
                "Every category (inactive ones too) in display order.",
                {"200": _json({"type": "array", "items": ref("CategoryAdmin")}, "Categories.")},
                security=BEARER_OR_SESSION,
            ),
        ),
        (
            "/api/v1/admin/categories",
            "post",
            _op(
                "admin",
                "Create a category (placed last); `409` when the code exists.",
                {"201": _json(ref("CategoryAdmin"), "Created.")},
                400,
                409,
                422,
                security=staff_write,
                requestBody=_body(ref("CategoryIn")),
            ),
        ),
        (
            "/api/v1/admin/categories/{code}",
            "patch",
            _op(
                "admin",
                "Change a category; the code itself cannot change.",
                {"200": _json(ref("CategoryAdmin"), "The category after the change.")},
                400,
                404,
                422,
                security=staff_write,
                parameters=[_path_param("code", "the category's code")],
                requestBody=_body(ref("CategoryPatch")),
            ),
        ),
        # zoning
        (
            "/api/v1/admin/zones",
            "get",
            _op(
                "admin",
                "Zones as GeoJSON.",
                {"200": _json(ref("ZoneFeatureCollection"), "Zones.", "application/geo+json")},
                security=BEARER_OR_SESSION,
                parameters=[{"in": "query", "name": "kind", "schema": STRING}],
            ),
        ),
        (
            "/api/v1/admin/zones/import",
            "post",
            _op(
                "admin",
                "Make the zones of one kind exactly the posted FeatureCollection.",
                {"200": _json(ref("ZoneImportResult"), "What changed.")},
                400,
                409,
                422,
                security=staff_write,
                parameters=[{"in": "query", "schema": ZoneImportArgs}],
                requestBody=_body(ref("FeatureCollectionIn")),
            ),
        ),
        (
            "/api/v1/admin/rules",
            "get",
            _op(
                "admin",
                "The rule set in force.",
                {"200": _json(ref("RuleSetVersion"), "The rule set.")},
                security=BEARER_OR_SESSION,
            ),
        ),
        (
            "/api/v1/admin/rules",
            "post",
            _op(
                "admin",
                "Put a rule set in force (a new version) and move open tickets.",
                {"201": _json(ref("RuleSetApplied"), "In force.")},
                400,
                409,
                422,
                security=staff_write,
                requestBody=_body(ref("RuleSetIn")),
            ),
        ),
        (
            "/api/v1/admin/rules/versions",
            "get",
            _op(
                "admin",
                "Every stored rule set version, newest first.",
                {"200": _json({"type": "array", "items": ref("RuleVersionInfo")}, "Versions.")},
                security=BEARER_OR_SESSION,
            ),
        ),
        (
            "/api/v1/admin/rules/dry-run",
            "post",
            _op(
                "admin",
                "Which open tickets a rule set would move; changes nothing.",
                {"200": _json(ref("DryRun"), "The moves.")},
                400,
                409,
                422,
                security=staff_write,
                requestBody=_body(ref("RuleSetIn")),
            ),
        ),
        # tickets
        (
            "/api/v1/tickets",
            "get",
            _op(
                "tickets",
                "The queue: open tickets of the caller's departments, soonest deadline first.",
                {
                    "200": {
                        "description": "A page of the queue; with `format=csv` or "
                        "`format=geojson` the page as a download.",
                        "content": {
                            "application/json": {"schema": ref("TicketQueue")},
                            "text/csv": {"schema": STRING},
                            "application/geo+json": {"schema": ref("TicketFeatureCollection")},
                        },
                    }
                },
                400,
                security=BEARER_OR_SESSION,
                parameters=[{"in": "query", "schema": QueueArgs}],
                description="`published` filters by moderation (citizen content published or "
                "not); `format` chooses JSON (default), CSV (`text/csv`, a header row) or "
                "GeoJSON (`application/geo+json`) of the same filter, without reporter e-mail.",
            ),
        ),
        (
            "/api/v1/tickets/{public_id}",
            "get",
            _op(
                "tickets",
                "One ticket with history, internal notes and routing.",
                {"200": {**_json(ref("TicketFull"), "The ticket."), "headers": ETAG}},
                404,
                security=BEARER_OR_SESSION,
                parameters=[PUBLIC_ID],
            ),
        ),
        (
            "/api/v1/tickets/{public_id}/transition",
            "post",
            _op(
                "tickets",
                "Move the ticket to another state.",
                {"200": ticket},
                400,
                404,
                409,
                412,
                422,
                428,
                security=staff_write,
                parameters=[PUBLIC_ID, IF_MATCH],
                requestBody=_body(ref("TransitionIn")),
            ),
        ),
        (
            "/api/v1/tickets/{public_id}/assign",
            "post",
            _op(
                "tickets",
                "Assign the ticket to a person of its department, or to nobody (null).",
                {"200": ticket},
                400,
                404,
                412,
                422,
                428,
                security=staff_write,
                parameters=[PUBLIC_ID, IF_MATCH],
                requestBody=_body(ref("AssignIn")),
            ),
        ),
        (
            "/api/v1/tickets/{public_id}/forward",
            "post",
            _op(
                "tickets",
                "Forward the ticket to another department, with a reason.",
                {"200": ticket},
                400,
                404,
                412,
                422,
                428,
                security=staff_write,
                parameters=[PUBLIC_ID, IF_MATCH],
                requestBody=_body(ref("ForwardIn")),
            ),
        ),
        (
            "/api/v1/tickets/{public_id}/notes",
            "post",
            _op(
                "tickets",
                "Add a public and/or internal note.",
                {"201": ticket},
                400,
                404,
                422,
                security=staff_write,
                parameters=[PUBLIC_ID],
                requestBody=_body(ref("NoteIn")),
            ),
        ),
        (
            "/api/v1/tickets/{public_id}/photos",
            "post",
            _op(
                "tickets",
                "Attach 'after' photos.",
                {"201": ticket},
                404,
                413,
                415,
                422,
                507,
                security=staff_write,
                parameters=[PUBLIC_ID],
                requestBody=_body(
                    _obj(
                        {
                            "photos": {
                                "type": "array",
                                "items": {"type": "string", "format": "binary"},
                            }
                        }
                    ),
                    media="multipart/form-data",
                ),
            ),
        ),
        (
            "/api/v1/tickets/{public_id}/publication",
            "post",
            _op(
                "tickets",
                "Publish the citizen's content (optionally edited) or hide it.",
                {"200": ticket},
                400,
                404,
                412,
                422,
                428,
                security=staff_write,
                parameters=[PUBLIC_ID, IF_MATCH],
                requestBody=_body(ref("PublishIn")),
            ),
        ),
        (
            "/api/v1/tickets/{public_id}/photos/{photo_id}/redact",
            "post",
            _op(
                "tickets",
                "Black out rectangles ([x, y, width, height], web-size pixels) on a photo.",
                {"200": ticket},
                400,
                404,
                422,
                507,
                security=staff_write,
                parameters=[PUBLIC_ID, _path_param("photo_id", "the photo's id", integer=True)],
                requestBody=_body(ref("RedactIn")),
            ),
        ),
        # sla board
        (
            "/api/v1/sla/summary",
            "get",
            _op(
                "sla",
                "The SLA board: open, at risk, breached; resolved within the promise.",
                {
                    "200": {
                        "description": "Figures in total, per department and per category.",
                        "content": {
                            "application/json": {"schema": ref("SlaSummary")},
                            "text/csv": {"schema": STRING},
                        },
                    }
                },
                400,
                security=BEARER_OR_SESSION,
                parameters=[{"in": "query", "schema": SummaryArgs}],
            ),
        ),
        (
            "/api/v1/sla/breaches",
            "get",
            _op(
                "sla",
                "Open tickets past their deadline, the oldest deadline first.",
                {"200": _json(ref("SlaBreaches"), "Breaches.")},
                security=BEARER_OR_SESSION,
            ),
        ),
        (
            "/api/v1/sla/trend",
            "get",
            _op(
                "sla",
                "The trend: reports created and resolved per day, the promise kept per week.",
                {"200": _json(ref("SlaTrend"), "Figures for the last `days` days.")},
                400,
                security=BEARER_OR_SESSION,
                parameters=[
                    {
                        "in": "query",
                        "name": "days",
                        "description": "how many days back, today included",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 366, "default": 30},
                    }
                ],
                description="Supervisors and admins; others see `403`.",
            ),
        ),
        (
            "/api/v1/docs",
            "get",
            _op(
                "service",
                "This document as a readable page.",
                {"200": {"description": "HTML.", "content": {"text/html": {"schema": STRING}}}},
            ),
        ),
    ]


def _export_params() -> list[dict]:
    return [
        {"in": "query", "name": "from", "schema": TIME},
        {"in": "query", "name": "to", "schema": TIME},
        _csv_query("category", "category codes, comma-separated"),
        _csv_query("status", "states, comma-separated"),
    ]


# -- building ---------------------------------------------------------------------------------

_RULE_ARG = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def openapi_path(rule: str) -> str:
    """A Flask rule as an OpenAPI path: `<int:photo_id>` becomes `{photo_id}`."""
    return _RULE_ARG.sub(r"{\1}", rule)


def registered_operations(app: Flask) -> set[tuple[str, str]]:
    """(path, method) of every route of the app, as OpenAPI paths and lower-case methods."""
    out = set()
    for rule in app.url_map.iter_rules():
        for method in rule.methods or ():
            if method not in {"HEAD", "OPTIONS"}:
                out.add((openapi_path(rule.rule), method.lower()))
    return out


def build_spec(app: Flask) -> dict[str, Any]:
    """The OpenAPI document of the app's registered API routes."""
    plugin = MarshmallowPlugin()
    spec = APISpec(
        title=f"Mängelmelder API – {app.config.get('CITY_NAME', '')}".rstrip(" –"),
        version=API_VERSION,
        openapi_version=OPENAPI_VERSION,
        plugins=[plugin],
        info={
            "description": "Native JSON API of the Mängelmelder. Every error has one shape "
            "(`Error`), messages German first, English second. Times are UTC ISO 8601 with "
            "`Z`; coordinates WGS84 as `lat`/`lon` (GeoJSON: `[lon, lat]`). Staff calls "
            "authenticate with `Authorization: Bearer <API token>` or with the session "
            "cookie from `POST /api/v1/auth/login`; unsafe requests of a session also need "
            "the `X-CSRF-Token` header.",
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        },
    )
    plugin.map_to_openapi_type(UTC, "string", "date-time")
    spec.components.security_scheme(
        "bearerAuth",
        {"type": "http", "scheme": "bearer", "description": "an API token (admin creates it)"},
    )
    spec.components.security_scheme(
        "sessionCookie",
        {
            "type": "apiKey",
            "in": "cookie",
            "name": app.config.get("SESSION_COOKIE_NAME") or "session",
            "description": "set by POST /api/v1/auth/login",
        },
    )
    spec.components.security_scheme(
        "csrfHeader",
        {
            "type": "apiKey",
            "in": "header",
            "name": "X-CSRF-Token",
            "description": "the csrf_token from login; unsafe methods of a session",
        },
    )
    for status, description in ERROR_DESCRIPTIONS.items():
        spec.components.response(f"Error{status}", _json(ref("Error"), description))
    for name, schema in MARSHMALLOW.items():
        spec.components.schema(name, schema=schema)
    for name, schema in HAND_WRITTEN.items():
        spec.components.schema(name, schema)
    _patch_outputs(spec.components.schemas)

    present = registered_operations(app)
    by_path: dict[str, dict[str, Any]] = {}
    for path, method, operation in _operations():
        if (path, method) in present:
            by_path.setdefault(path, {})[method] = operation
    for path, operations in by_path.items():
        spec.path(path=path, operations=operations)
    doc = spec.to_dict()
    # Round-trip through JSON: plain data only (no tuples, no schema objects).
    return json.loads(json.dumps(doc))


def document() -> dict[str, Any]:
    """The current app's document, built once."""
    ext = current_app.extensions
    if "openapi" not in ext:
        ext["openapi"] = build_spec(current_app)
    return ext["openapi"]


@bp.get(DOC_PATH)
def openapi_json():
    return jsonify(document())


def _resolve(doc: dict, node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        _, *parts = node["$ref"].split("/")
        node = doc
        for part in parts:
            node = node[part]
    return node


def _schema_text(doc: dict, schema: Any, depth: int = 0) -> str:
    """A short readable rendering of a schema: a component name, a type, or the fields."""
    if not isinstance(schema, dict):
        return ""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "allOf" in schema:
        return " + ".join(_schema_text(doc, s, depth) for s in schema["allOf"])
    if "anyOf" in schema:
        return " | ".join(_schema_text(doc, s, depth) for s in schema["anyOf"])
    kind = schema.get("type", "")
    if isinstance(kind, list):
        kind = " | ".join(kind)
    if "const" in schema:
        return json.dumps(schema["const"])
    if "enum" in schema:
        return " | ".join(json.dumps(v) for v in schema["enum"])
    if kind == "array":
        return f"array of {_schema_text(doc, schema.get('items', {}), depth) or 'any'}"
    if schema.get("format"):
        kind = f"{kind} ({schema['format']})"
    return kind or "any"


def _fields(doc: dict, schema: Any) -> list[dict[str, str]]:
    """The fields of an object schema (following one $ref and allOf), for the docs page."""
    schema = _resolve(doc, schema)
    if not isinstance(schema, dict):
        return []
    if "allOf" in schema:
        return [f for part in schema["allOf"] for f in _fields(doc, part)]
    required = set(schema.get("required", []))
    rows = []
    for name, prop in schema.get("properties", {}).items():
        limits = [
            f"{k} {prop[k]}"
            for k in ("minimum", "maximum", "minLength", "maxLength", "maxItems", "default")
            if k in prop
        ]
        rows.append(
            {
                "name": name,
                "type": _schema_text(doc, prop),
                "required": "yes" if name in required else "",
                "notes": "; ".join(
                    [*([prop["description"]] if prop.get("description") else []), *limits]
                ),
            }
        )
    return rows


def _docs_view(doc: dict) -> list[dict[str, Any]]:
    """Operations grouped by tag, each with its parameters, body and responses."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            params = []
            for p in op.get("parameters", []):
                p = _resolve(doc, p)
                params.append(
                    {
                        "name": p["name"],
                        "in": p["in"],
                        "type": _schema_text(doc, p.get("schema", {})),
                        "required": "yes" if p.get("required") else "",
                        "notes": p.get("description", ""),
                    }
                )
            bodies = []
            for media, content in op.get("requestBody", {}).get("content", {}).items():
                schema = content.get("schema", {})
                bodies.append(
                    {
                        "media": media,
                        "schema": _schema_text(doc, schema),
                        "fields": _fields(doc, schema),
                    }
                )
            responses = []
            for status, resp in op["responses"].items():
                resp = _resolve(doc, resp)
                media = [
                    {"media": m, "schema": _schema_text(doc, c.get("schema", {}))}
                    for m, c in resp.get("content", {}).items()
                ]
                responses.append(
                    {"status": status, "description": resp.get("description", ""), "media": media}
                )
            security = op.get("security")
            groups.setdefault(op["tags"][0], []).append(
                {
                    "id": f"{method}-{path}".replace("/", "-").strip("-"),
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "auth": (
                        "bearer token, or session cookie"
                        + (" + X-CSRF-Token" if method != "get" else "")
                        if security
                        else "none (public)"
                    ),
                    "parameters": params,
                    "bodies": bodies,
                    "responses": responses,
                }
            )
    components = [
        {"name": name, "fields": _fields(doc, schema), "text": _schema_text(doc, schema)}
        for name, schema in sorted(doc["components"]["schemas"].items())
    ]
    return [{"tag": tag, "operations": ops} for tag, ops in groups.items()], components


@bp.get("/api/v1/docs")
def api_docs():
    doc = document()
    groups, components = _docs_view(doc)
    return render_template("api_docs.html", doc=doc, groups=groups, components=components)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
