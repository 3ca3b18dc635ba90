"""The component schemas: written out by hand, or taken from the routes' marshmallow schemas."""

from __future__ import annotations

from typing import Any

from .fragments import GEOMETRY, STRING, obj, ref

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
MARSHMALLOW: dict[str, type] = {}


def patch_outputs(schemas: dict[str, dict]) -> None:
    """Nothing to patch: output schemas (`web.schemas.Out`) document their computed fields."""
