"""What the routes cannot say themselves: the error shape and its answers, the security
schemes, the GeoJSON geometry."""

from __future__ import annotations

from apispec import APISpec

from ..web.api import error_ref
from ..web.schemas import Message

BEARER_OR_SESSION = [{"bearerAuth": []}, {"sessionCookie": []}]
BEARER_OR_SESSION_CSRF = [{"bearerAuth": []}, {"sessionCookie": [], "csrfHeader": []}]

ERROR_DESCRIPTIONS = {
    400: "Malformed request: not JSON, an invalid query parameter, or a value the database "
    "cannot hold (such as a NUL character).",
    401: "Not logged in, or the API token is invalid or revoked.",
    403: "Role, department or CSRF check failed.",
    404: "No such resource.",
    409: "The current state does not allow this.",
    410: "The link has expired.",
    412: "If-Match names an older version.",
    413: "The body is too large.",
    415: "Unsupported content type.",
    422: "Invalid input; `fields` names each offending field.",
    428: "If-Match is missing.",
    429: "Too many requests (rate limit); see Retry-After.",
    503: "The database is unavailable right now; nothing was written. Retry after Retry-After "
    "seconds (with the same Idempotency-Key for a report).",
    507: "Photos could not be stored; see Retry-After.",
}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


STRING = {"type": "string"}

ERROR = {
    "type": "object",
    "description": "The one error shape of the API.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "status": {"type": "integer", "description": "the HTTP status again"},
                "code": {"type": "string", "description": "stable, machine-readable"},
                "message": ref("Message"),
                "fields": {
                    "type": "object",
                    "description": "per input field: a list of messages (nested for nested input)",
                },
                "allowed_next": {"type": "array", "items": STRING},
                "current": {"type": "object"},
                "item": {"description": "the offending zone, rule or key"},
            },
            "required": ["status", "code", "message"],
        }
    },
    "required": ["error"],
}

GEOMETRY = {
    "type": "object",
    "description": "A GeoJSON geometry (RFC 7946): WGS84, positions as [lon, lat].",
    "properties": {
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
    "required": ["type"],
}


def add_components(spec: APISpec, session_cookie: str) -> None:
    """Security schemes, the error answers and the hand-written shapes."""
    spec.components.security_scheme(
        "bearerAuth",
        {"type": "http", "scheme": "bearer", "description": "an API token (admin creates it)"},
    )
    spec.components.security_scheme(
        "sessionCookie",
        {
            "type": "apiKey",
            "in": "cookie",
            "name": session_cookie,
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
    spec.components.schema("Message", schema=Message)
    spec.components.schema("Error", ERROR)
    spec.components.schema("Geometry", GEOMETRY)
    for status, description in ERROR_DESCRIPTIONS.items():
        spec.components.response(
            error_ref(status),
            {"description": description, "content": {"application/json": {"schema": ref("Error")}}},
        )
