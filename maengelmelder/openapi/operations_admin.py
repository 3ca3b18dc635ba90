"""Operations of administration: catalog, zones, rules, block list."""

from __future__ import annotations

from typing import Any

from ..abuse.routes import BlockedSenderIn, BlocklistPageArgs
from .fragments import NEXT_CURSOR, NSTRING, TIME, obj
from .parts import (
    BEARER_OR_SESSION,
    BEARER_OR_SESSION_CSRF,
    NEXT_LINK,
    json_response,
    operation,
    path_param,
    request_body,
)


def admin_operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        # catalog admin
        *blocklist_operations(),
    ]


BLOCKED_SENDER = obj(
    {
        "id": {"type": "integer"},
        "pattern": {
            "type": "string",
            "description": "`name@example.org`, or `@example.org` (the domain and its subdomains)",
        },
        "reason": NSTRING,
        "created_at": TIME,
        "created_by": {"type": "string", "description": "who added it (`user:ID`, `cli`, …)"},
        "created_by_name": {
            "type": ["string", "null"],
            "description": "the name of that user or API token; null for the command line",
        },
    }
)


def blocklist_operations() -> list[tuple[str, str, dict[str, Any]]]:
    """The block list of sender addresses and domains (docs/abuse.md)."""
    return [
        (
            "/api/v1/admin/blocklist",
            "get",
            operation(
                "admin",
                "The block list: reports from these senders are accepted but held.",
                {
                    "200": {
                        **json_response(
                            obj(
                                {
                                    "items": {"type": "array", "items": BLOCKED_SENDER},
                                    "next_cursor": NEXT_CURSOR,
                                }
                            ),
                            "Entries by pattern, a page at a time.",
                        ),
                        "headers": NEXT_LINK,
                    }
                },
                400,
                security=BEARER_OR_SESSION,
                parameters=[{"in": "query", "schema": BlocklistPageArgs}],
            ),
        ),
        (
            "/api/v1/admin/blocklist",
            "post",
            operation(
                "admin",
                "Block an address or a domain.",
                {"201": json_response(BLOCKED_SENDER, "Added.")},
                400,
                409,
                422,
                security=BEARER_OR_SESSION_CSRF,
                requestBody=request_body(BlockedSenderIn),
                description="A malformed pattern is `422` naming `pattern`; one already on "
                "the list is `409` `blocklist_duplicate`.",
            ),
        ),
        (
            "/api/v1/admin/blocklist/{entry_id}",
            "delete",
            operation(
                "admin",
                "Take an entry off the block list (reports already held stay held).",
                {"204": {"description": "Removed."}},
                404,
                security=BEARER_OR_SESSION_CSRF,
                parameters=[path_param("entry_id", "the entry's id", integer=True)],
            ),
        ),
    ]
