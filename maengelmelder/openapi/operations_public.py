"""Operations anyone may call: service, reports, tracking, catalog, routing, open data."""

from __future__ import annotations

from typing import Any

from .fragments import STRING, ref
from .parts import (
    IF_NONE_MATCH,
    PUBLIC_CACHE_HEADERS,
    TOKEN,
    json_response,
    operation,
    request_body,
)


def public_operations() -> list[tuple[str, str, dict[str, Any]]]:
    tracked = json_response(ref("TrackedReport"), "The report and its public history.")
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
        (
            "/api/v1/track/{token}/reopen",
            "post",
            operation(
                "tracking",
                "It is not fixed: reopen a resolved report (within 14 days) with a note.",
                {"200": tracked},
                400,
                404,
                409,
                422,
                parameters=[TOKEN],
                requestBody=request_body(ref("CitizenNoteIn")),
            ),
        ),
        (
            "/api/v1/track/{token}/confirm",
            "post",
            operation(
                "tracking",
                "It is fixed: the reporter confirms and the ticket closes.",
                {"200": tracked},
                404,
                409,
                parameters=[TOKEN],
            ),
        ),
        (
            "/api/v1/sla/transparency",
            "get",
            operation(
                "sla",
                "Public: share of reports resolved within the promise, by month and category.",
                {
                    "200": {
                        **json_response(ref("Transparency"), "Figures."),
                        "headers": PUBLIC_CACHE_HEADERS,
                    },
                    "304": {
                        "description": "The client's copy (`If-None-Match`) is current.",
                        "headers": PUBLIC_CACHE_HEADERS,
                    },
                },
                parameters=[IF_NONE_MATCH],
                description="Months are those the reports were made in (Europe/Berlin). "
                "The answer is computed at most once per `MAENGELMELDER_PUBLIC_FIGURES_MAX_AGE` "
                "seconds (default 300) per server process and may be cached as long.",
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
