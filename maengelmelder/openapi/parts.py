"""Building blocks of the operations: security, error responses, bodies, parameters."""

from __future__ import annotations

from typing import Any

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


def json_response(schema: Any, description: str, media: str = "application/json") -> dict:
    return {"description": description, "content": {media: {"schema": schema}}}


def error_refs(*statuses: int) -> dict[str, Any]:
    return {str(s): {"$ref": f"#/components/responses/Error{s}"} for s in statuses}


def request_body(schema: Any, *, required: bool = True, media: str = "application/json") -> dict:
    return {"required": required, "content": {media: {"schema": schema}}}


def operation(
    tag: str,
    summary: str,
    responses: dict[str, Any],
    *errors: int,
    security: list | None = None,
    **more: Any,
) -> dict[str, Any]:
    errs = set(errors)
    if "503" not in responses:
        errs.add(503)  # every operation reads or writes the database
    if "parameters" in more or "requestBody" in more:
        errs.add(400)  # any input can carry a value the database refuses
    if security is not None:
        errs |= {401, 403}
    out: dict[str, Any] = {
        "tags": [tag],
        "summary": summary,
        "responses": {**responses, **error_refs(*sorted(errs))},
    }
    if security is not None:
        out["security"] = security
    out.update(more)
    return out
