"""Operations anyone may call: service, reports, tracking, catalog, routing, open data."""

from __future__ import annotations

from typing import Any

from .fragments import STRING, ref
from .parts import json_response, operation


def public_operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (
            "/healthz",
            "get",
            {
                "tags": ["service"],
                "summary": "Health: the database (and Redis, if configured) answer.",
                "responses": {
                    "200": json_response(ref("Health"), "Healthy."),
                    "503": json_response(ref("Health"), "Not healthy; see Retry-After."),
                },
            },
        ),
        (
            "/api/v1/openapi.json",
            "get",
            operation(
                "service",
                "This document.",
                {"200": json_response({"type": "object"}, "OpenAPI 3.1.")},
            ),
        ),
    ]


def docs_operation() -> tuple[str, str, dict[str, Any]]:
    return (
        "/api/v1/docs",
        "get",
        operation(
            "service",
            "This document as a readable page.",
            {"200": {"description": "HTML.", "content": {"text/html": {"schema": STRING}}}},
        ),
    )
