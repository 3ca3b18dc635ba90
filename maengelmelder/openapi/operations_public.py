"""Operations anyone may call: service, reports, tracking, catalog, routing, open data."""

from __future__ import annotations

from typing import Any

from ..abuse.routes import AbuseIn, ConfirmIn
from ..reports.schemas import ListQuery, NearbyQuery
from .fragments import STRING, obj, ref
from .parts import (
    IF_NONE_MATCH,
    NEXT_LINK,
    PUBLIC_CACHE_HEADERS,
    PUBLIC_ID,
    TOKEN,
    export_params,
    json_response,
    operation,
    request_body,
)


def public_operations() -> list[tuple[str, str, dict[str, Any]]]:
    tracked = json_response(ref("TrackedReport"), "The report and its public history.")
    multipart_report = {
        "allOf": [
            ref("ReportIn"),
            obj(
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
        # reports
        (
            "/api/v1/reports",
            "post",
            operation(
                "reports",
                "File a report (multipart with photos, or JSON).",
                {
                    "201": {
                        **json_response(
                            ref("ReportCreated"), "Filed (or, with a known key, replayed)."
                        ),
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
                description="Without `lat`/`lon` the GPS position in a photo's EXIF is used. "
                "The citizen app also sends `website` (a honeypot: anything in it is `422` "
                "`spam_suspected`) and `fill_ms` (milliseconds spent in the form: below the "
                "configured minimum it is `422` `too_fast`); neither is stored, and a request "
                "without them is not checked.",
            ),
        ),
        (
            "/api/v1/reports",
            "get",
            operation(
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
            operation(
                "reports",
                "Open reports near a place, nearest first (support instead of a duplicate).",
                {"200": json_response(ref("NearbyPage"), "Up to the nearest few.")},
                400,
                parameters=[{"in": "query", "schema": NearbyQuery}],
            ),
        ),
        (
            "/api/v1/reports/{public_id}",
            "get",
            operation(
                "reports",
                "One public report (no e-mail, no token).",
                {"200": json_response(ref("ReportPublic"), "The report.")},
                404,
                parameters=[PUBLIC_ID],
            ),
        ),
        (
            "/api/v1/reports/{public_id}/support",
            "post",
            operation(
                "reports",
                "Support an open report (optionally to hear when it is resolved).",
                {
                    "200": json_response(
                        ref("ReportPublic"),
                        "The report: one supporter more, or as before when this caller had "
                        "supported it already.",
                    )
                },
                400,
                404,
                409,
                422,
                429,
                parameters=[PUBLIC_ID],
                requestBody=request_body(ref("SupportIn"), required=False),
                description="One support per caller (device id from `X-Device-Id`, or else "
                "address) and report. Rate limited like filing a report, per address and per "
                "device (`429` with Retry-After). An `email` gets one mail with a "
                "confirmation link (`/confirm/<token>`, then `POST /api/v1/reports/confirm`) "
                "and nothing else until it is used; the link is valid "
                "`MAENGELMELDER_CONFIRM_EMAIL_DAYS` days. The reporter's own address, an "
                "address already following and a blocked address get no mail.",
            ),
        ),
        (
            "/api/v1/reports/{public_id}/abuse",
            "post",
            operation(
                "reports",
                "Report abuse: flag a published report's text or photos for staff to check.",
                {
                    "202": json_response(
                        obj({"received": {"const": True}, "message": ref("Message")}),
                        "Received (also when this caller had flagged it before).",
                    )
                },
                400,
                404,
                422,
                429,
                parameters=[PUBLIC_ID],
                requestBody=request_body(AbuseIn),
                description="One flag per caller (device id, or else address) and report; "
                "when the open flags reach the configured threshold the citizen text and "
                "photos leave public view until staff decide. An unknown or unpublished "
                "report is `404`. Rate limited per address (`429` with Retry-After).",
            ),
        ),
        (
            "/api/v1/reports/confirm",
            "post",
            operation(
                "reports",
                "Confirm the reporter's e-mail address with the token from the mail's link.",
                {
                    "200": json_response(
                        obj(
                            {
                                "public_id": STRING,
                                "published": {
                                    "type": "boolean",
                                    "description": "whether the report is public now (or "
                                    "waits for moderation)",
                                },
                                "following": {
                                    "type": "boolean",
                                    "description": "a supporter's link: the address now "
                                    "hears about the report",
                                },
                                "message": ref("Message"),
                            }
                        ),
                        "Confirmed (also when it was before).",
                    )
                },
                400,
                410,
                422,
                requestBody=request_body(ConfirmIn),
                description="Releases every report from the address held until it is "
                "confirmed (`MAENGELMELDER_CONFIRM_UNKNOWN_EMAILS`); later reports from it are "
                "not held. A supporter's link (`following: true`) lets the address follow the "
                "report. An expired link is `410` `confirmation_expired`, a bad one `400` "
                "`confirmation_invalid`.",
            ),
        ),
        (
            "/api/v1/track/{token}",
            "get",
            operation(
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
            "/api/v1/categories",
            "get",
            operation(
                "catalog",
                "Active categories in display order.",
                {
                    "200": json_response(
                        {"type": "array", "items": ref("CategoryOut")}, "Categories."
                    )
                },
            ),
        ),
        (
            "/api/v1/city",
            "get",
            operation(
                "catalog",
                "The city: name, boundary, centre, bbox, tiles.",
                {"200": json_response(ref("City"), "The city.")},
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
        (
            "/api/v1/export/reports.geojson",
            "get",
            operation(
                "open data",
                "A page of the reports (filtered), oldest first, as GeoJSON, without personal "
                "data.",
                {
                    "200": {
                        **json_response(
                            ref("OpenDataFeatureCollection"),
                            "Streamed; the next page in `next_cursor`, `links` and `Link`.",
                            "application/geo+json",
                        ),
                        "headers": NEXT_LINK,
                    }
                },
                400,
                parameters=export_params(),
            ),
        ),
        (
            "/api/v1/export/reports.csv",
            "get",
            operation(
                "open data",
                "A page of the reports (filtered), oldest first, as CSV, without personal data.",
                {
                    "200": {
                        **json_response(STRING, "Streamed, with a header row.", "text/csv"),
                        "headers": {
                            "Link": {
                                "description": 'the next page, `<URL>; rel="next"` (absent '
                                'on the last page), and the license, `<URL>; rel="license"`',
                                "schema": STRING,
                            }
                        },
                    }
                },
                400,
                parameters=export_params(),
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
