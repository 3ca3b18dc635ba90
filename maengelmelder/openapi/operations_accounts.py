"""Operations on sessions and accounts beyond login: one's own sessions, an admin's changes
to an account, and the login throttles."""

from __future__ import annotations

from typing import Any

from ..accounts.routes import UserPatch
from .fragments import NTIME, STRING, TIME, obj, ref
from .parts import (
    BEARER_OR_SESSION,
    BEARER_OR_SESSION_CSRF,
    json_response,
    operation,
    path_param,
    request_body,
)

SESSION_CSRF = [{"sessionCookie": [], "csrfHeader": []}]
SESSION_ONLY = [{"sessionCookie": []}]

STAFF_SESSION = obj(
    {
        "id": {"type": "integer"},
        "created_at": TIME,
        "last_seen_at": {
            "type": "string",
            "format": "date-time",
            "description": "noted at most once a minute",
        },
        "expires_at": {
            "type": "string",
            "format": "date-time",
            "description": "when it ends unless used before: the idle timeout "
            "(MAENGELMELDER_SESSION_IDLE_MINUTES) or the absolute end "
            "(MAENGELMELDER_SESSION_HOURS after login), whichever comes first",
        },
        "device": {
            "type": "string",
            "description": 'browser and system only, e.g. "Firefox, Linux"',
        },
        "network": {
            "type": "string",
            "description": "the client's network only (IPv4 /24, IPv6 /48), never its address",
        },
        "current": {"type": "boolean", "description": "the session of this request"},
    }
)

ENDED = obj({"ended": {"type": "integer", "description": "how many sessions ended"}})

LOGIN_THROTTLE = obj(
    {
        "id": {"type": "integer"},
        "user": {
            "anyOf": [
                obj({"id": {"type": "integer"}, "email": STRING, "name": STRING}),
                {"type": "null"},
            ],
            "description": "the account; null when the address typed is no account (it is "
            "not stored)",
        },
        "network": {"type": "string", "description": "IPv4 address (/32) or IPv6 /64"},
        "failures": {"type": "integer", "description": "failed tries counted in a row"},
        "first_failure_at": TIME,
        "last_failure_at": TIME,
        "blocked_until": {
            **NTIME,
            "description": "tries from this network for this address wait until then; null "
            "when they need not wait",
        },
    }
)


def account_operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (
            "/api/v1/auth/sessions",
            "get",
            operation(
                "accounts",
                "One's own live sessions, most recently used first (at most 20).",
                {
                    "200": json_response(
                        obj({"items": {"type": "array", "items": STAFF_SESSION}}), "Sessions."
                    )
                },
                security=SESSION_ONLY,
                description="For logged-in people; API tokens have no sessions (`403`).",
            ),
        ),
        (
            "/api/v1/auth/sessions/{session_id}",
            "delete",
            operation(
                "accounts",
                "End one of one's own sessions (the current one too: that is logging out).",
                {"204": {"description": "Ended; its cookie is worthless from now on."}},
                404,
                security=SESSION_CSRF,
                parameters=[path_param("session_id", "the session's id", integer=True)],
            ),
        ),
        (
            "/api/v1/auth/logout-everywhere",
            "post",
            operation(
                "accounts",
                "End every session of one's account, this one included.",
                {"200": json_response(ENDED, "Ended.")},
                security=SESSION_CSRF,
            ),
        ),
        (
            "/api/v1/admin/users/{user_id}",
            "patch",
            operation(
                "admin",
                "Change an account; a new role, other departments, the city-wide scope or a "
                "deactivation end all its sessions.",
                {"200": json_response(ref("User"), "The account after the change.")},
                400,
                404,
                409,
                422,
                security=BEARER_OR_SESSION_CSRF,
                parameters=[path_param("user_id", "the account's id", integer=True)],
                requestBody=request_body(UserPatch),
                description="`409` `own_account`: admins cannot deactivate their own account "
                "or take its admin role away.",
            ),
        ),
        (
            "/api/v1/admin/users/{user_id}/sessions",
            "delete",
            operation(
                "admin",
                "End every session of an account (a lost phone, a person who left).",
                {"200": json_response(ENDED, "Ended.")},
                404,
                security=BEARER_OR_SESSION_CSRF,
                parameters=[path_param("user_id", "the account's id", integer=True)],
            ),
        ),
        (
            "/api/v1/admin/login-throttles",
            "get",
            operation(
                "admin",
                "Failed logins of the last day per (e-mail address, network), newest first.",
                {
                    "200": json_response(
                        obj(
                            {
                                "items": {"type": "array", "items": LOGIN_THROTTLE},
                                "next_cursor": {
                                    "type": ["string", "null"],
                                    "description": "the next page's `cursor`; null on the last",
                                },
                            }
                        ),
                        "Throttles.",
                    )
                },
                security=BEARER_OR_SESSION,
                parameters=[
                    {
                        "in": "query",
                        "name": "limit",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
                    },
                    {"in": "query", "name": "cursor", "schema": {"type": "string"}},
                ],
                description="After `LOGIN_MAX_FAILURES` failures from one network for one "
                "address, each further try from there waits (30 s, doubled every time, at most "
                "`LOGIN_LOCK_MINUTES`); tries from elsewhere never do.",
            ),
        ),
        (
            "/api/v1/admin/login-throttles/{throttle_id}",
            "delete",
            operation(
                "admin",
                "Lift a throttle: tries from that network for that address are free again.",
                {"204": {"description": "Lifted."}},
                404,
                security=BEARER_OR_SESSION_CSRF,
                parameters=[path_param("throttle_id", "the throttle's id", integer=True)],
            ),
        ),
    ]
