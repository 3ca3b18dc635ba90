"""Operations of staff work: the ticket queue and a ticket's changes, the SLA board."""

from __future__ import annotations

from typing import Any

from ..sla.routes import BreachArgs, SummaryArgs
from ..tickets.queue import (
    COUNT_CAP,
    DEFAULT_LIMIT,
    EXPORT_DEFAULT_LIMIT,
    EXPORT_MAX_LIMIT,
    MAX_LIMIT,
    MAX_OFFSET,
)
from ..tickets.schemas import QueueArgs
from .fragments import STRING, obj, ref
from .parts import (
    BEARER_OR_SESSION,
    BEARER_OR_SESSION_CSRF,
    ETAG,
    IF_MATCH,
    NEXT_LINK,
    PUBLIC_ID,
    json_response,
    operation,
    path_param,
    request_body,
)


def staff_operations() -> list[tuple[str, str, dict[str, Any]]]:
    ticket = json_response(ref("TicketFull"), "The ticket after the change.")
    ticket["headers"] = ETAG
    staff_write = BEARER_OR_SESSION_CSRF
    return [
        # tickets
        (
            "/api/v1/tickets",
            "get",
            operation(
                "tickets",
                "The queue: open tickets of the caller's departments, soonest deadline first.",
                {
                    "200": {
                        "description": "A page of the queue; with `format=csv` or "
                        "`format=geojson` the page as a download.",
                        "headers": NEXT_LINK,
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
                "not); `flagged=true` lists tickets with open 'report abuse' flags (of every "
                "state unless `status` is given); `format` chooses JSON (default), CSV "
                "(`text/csv`, a header row) or GeoJSON (`application/geo+json`) of the same "
                "filter, without reporter e-mail. Paged by `cursor`: each answer names the next "
                "page in `next_cursor` (JSON and GeoJSON) and in the `Link` header; tickets "
                "filed between two pages neither repeat nor push others out. `limit`: "
                f"{DEFAULT_LIMIT} by default and at most {MAX_LIMIT} for JSON, "
                f"{EXPORT_DEFAULT_LIMIT:,} and {EXPORT_MAX_LIMIT:,} for a download. `total` "
                f"counts up to {COUNT_CAP:,} (`total_capped` says when it stopped). `offset` "
                f"(at most {MAX_OFFSET:,}, not with `cursor`) is kept for older clients.",
            ),
        ),
        (
            "/api/v1/tickets/{public_id}",
            "get",
            operation(
                "tickets",
                "One ticket with history, internal notes and routing.",
                {"200": {**json_response(ref("TicketFull"), "The ticket."), "headers": ETAG}},
                404,
                security=BEARER_OR_SESSION,
                parameters=[PUBLIC_ID],
            ),
        ),
        (
            "/api/v1/tickets/{public_id}/transition",
            "post",
            operation(
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
                requestBody=request_body(ref("TransitionIn")),
            ),
        ),
        (
            "/api/v1/tickets/{public_id}/assign",
            "post",
            operation(
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
                requestBody=request_body(ref("AssignIn")),
            ),
        ),
        (
            "/api/v1/tickets/{public_id}/forward",
            "post",
            operation(
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
                requestBody=request_body(ref("ForwardIn")),
            ),
        ),
        (
            "/api/v1/tickets/{public_id}/notes",
            "post",
            operation(
                "tickets",
                "Add a public and/or internal note.",
                {"201": ticket},
                400,
                404,
                422,
                security=staff_write,
                parameters=[PUBLIC_ID],
                requestBody=request_body(ref("NoteIn")),
            ),
        ),
        (
            "/api/v1/tickets/{public_id}/photos",
            "post",
            operation(
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
                requestBody=request_body(
                    obj(
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
            operation(
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
                requestBody=request_body(ref("PublishIn")),
            ),
        ),
        (
            "/api/v1/tickets/{public_id}/abuse/dismiss",
            "post",
            operation(
                "tickets",
                "Dismiss the citizens' abuse flags; publish again what they had hidden.",
                {"200": ticket},
                400,
                404,
                412,
                428,
                security=staff_write,
                parameters=[PUBLIC_ID, IF_MATCH],
                description="Without open flags and not hidden for abuse it changes nothing.",
            ),
        ),
        (
            "/api/v1/tickets/{public_id}/photos/{photo_id}/redact",
            "post",
            operation(
                "tickets",
                "Black out rectangles ([x, y, width, height], web-size pixels) on a photo.",
                {"200": ticket},
                400,
                404,
                422,
                507,
                security=staff_write,
                parameters=[PUBLIC_ID, path_param("photo_id", "the photo's id", integer=True)],
                requestBody=request_body(ref("RedactIn")),
            ),
        ),
        # sla board
        (
            "/api/v1/sla/summary",
            "get",
            operation(
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
                description="`from` and `to` are days in Europe/Berlin, both included "
                "(`2026-03-01`; a date-time counts as the day it falls on); they select "
                "tickets by the day they were reported. Open, at-risk, breached and paused "
                "are counted now; resolved, within the promise and the hours to resolve come "
                "from figures kept per day and month as tickets change, so the board costs "
                "the same with years of history. Median and 90th percentile hours are "
                "estimated within hour bands (1, 2, 4, 8, 12, 24, 36, 48, 72, 96, 168, 336, "
                "720 h and more).",
            ),
        ),
        (
            "/api/v1/sla/breaches",
            "get",
            operation(
                "sla",
                "Open tickets past their deadline, the oldest deadline first, a page at a time.",
                {"200": json_response(ref("SlaBreaches"), "A page of breaches.")},
                400,
                security=BEARER_OR_SESSION,
                parameters=[{"in": "query", "schema": BreachArgs}],
                description="Keyset paging: `limit` tickets (at most 200) per page; the "
                "answer's `next_cursor`, passed as `cursor`, gives the next page (tickets "
                "breached meanwhile never repeat one already seen). `count` is the number "
                "of all breached tickets of the filter.",
            ),
        ),
        (
            "/api/v1/sla/trend",
            "get",
            operation(
                "sla",
                "The trend: reports created and resolved per day, the promise kept per week.",
                {"200": json_response(ref("SlaTrend"), "Figures for the last `days` days.")},
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
    ]
