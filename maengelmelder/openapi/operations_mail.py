"""Operations of undeliverable mails: the admin's list and sending one again."""

from __future__ import annotations

from typing import Any

from .fragments import NEXT_CURSOR, NSTRING, TIME, UNDELIVERABLE, obj, ref
from .parts import (
    BEARER_OR_SESSION,
    BEARER_OR_SESSION_CSRF,
    NEXT_LINK,
    json_response,
    operation,
    page_params,
    path_param,
)

FAILED_MAIL = {
    "allOf": [
        UNDELIVERABLE,
        obj(
            {
                "report": {**NSTRING, "description": "the report's public id, if any"},
                "created_at": TIME,
            }
        ),
    ]
}


def mail_operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (
            "/api/v1/admin/mails/failed",
            "get",
            operation(
                "admin",
                "Mails that could not be delivered, newest first.",
                {
                    "200": {
                        **json_response(
                            obj(
                                {
                                    "items": {"type": "array", "items": FAILED_MAIL},
                                    "next_cursor": NEXT_CURSOR,
                                }
                            ),
                            "A page of undeliverable mails.",
                        ),
                        "headers": NEXT_LINK,
                    }
                },
                400,
                security=BEARER_OR_SESSION,
                parameters=page_params(100, 500, "mails"),
                description="A mail fails for good when the receiving server refuses it "
                "permanently (a 5xx reply, such as 550 for an unknown mailbox) or after 8 "
                "attempts that failed temporarily (4xx, unreachable server, timeouts), retried "
                "with a backoff of 1, 2, 4 … at most 60 minutes.",
            ),
        ),
        (
            "/api/v1/admin/mails/{mail_id}/retry",
            "post",
            operation(
                "admin",
                "Send an undeliverable mail again (after the address or the server was fixed).",
                {
                    "200": json_response(
                        obj(
                            {
                                "id": {"type": "integer"},
                                "status": {"const": "pending"},
                                "message": ref("Message"),
                            }
                        ),
                        "Queued again, due now, with fresh attempts.",
                    )
                },
                404,
                security=BEARER_OR_SESSION_CSRF,
                parameters=[path_param("mail_id", "the id in the list", integer=True)],
                description="`404` `mail_not_failed` when there is no such mail or it has not "
                "failed (it is pending or was sent).",
            ),
        ),
    ]
