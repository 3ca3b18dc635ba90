"""One error shape for the native API: status, code, de/en message, field-level details."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, jsonify, request
from flask_limiter import RateLimitExceeded
from marshmallow import ValidationError
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge, SecurityError

from .i18n import Message, msg, translate_errors


class ApiError(Exception):
    """An error answered to the client as JSON; never a 500."""

    def __init__(
        self,
        status: int,
        code: str,
        message: Message | None = None,
        *,
        fields: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
        **params: Any,
    ) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message or msg(code, **params)
        self.fields = fields
        self.headers = headers or {}
        self.extra = extra or {}

    def to_dict(self) -> dict[str, Any]:
        """The JSON body of this error."""
        body: dict[str, Any] = {"status": self.status, "code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        body.update(self.extra)
        return {"error": body}


def validation_error(errors: dict[str, Any], status: int = 422) -> ApiError:
    """An ApiError carrying marshmallow's field errors, translated."""
    return ApiError(status, "validation_failed", fields=translate_errors(errors))


def field_error(field: str, code: str, status: int = 422, **params: Any) -> ApiError:
    """An ApiError about one field."""
    return ApiError(status, "validation_failed", fields={field: [msg(code, **params)]})


def _response(err: ApiError):
    resp = jsonify(err.to_dict())
    resp.status_code = err.status
    for key, value in err.headers.items():
        resp.headers[key] = value
    return resp


# The database is restarting, unreachable, or refusing connections for a moment.
DATABASE_RETRY_AFTER = "5"
_UNREACHABLE = (OperationalError, InterfaceError, DisconnectionError, PoolTimeoutError)


def database_unavailable(err: BaseException) -> ApiError | None:
    """The 503 answer when `err` means the database cannot be reached right now, else None.

    OperationalError and InterfaceError are what the drivers raise for a refused or broken
    connection, a server shutting down or starting up, and a connect timeout; any other driver
    error that made SQLAlchemy drop the connection counts as well.
    """
    lost = isinstance(err, DBAPIError) and err.connection_invalidated
    if not (isinstance(err, _UNREACHABLE) or lost):
        return None
    return ApiError(503, "database_unavailable", headers={"Retry-After": DATABASE_RETRY_AFTER})


def forget_failed_transaction() -> None:
    """Roll back the request's session after a database failure (files it wrote go with it)."""
    from .extensions import db

    try:
        db.session.rollback()
    except Exception:  # the connection is gone; closing the session is all that is left
        db.session.close()


_HTTP_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    400: "bad_request",
    429: "rate_limited",
}


# When the limit's window cannot be read (its storage failed just now), come back in a minute.
_DEFAULT_RETRY_AFTER = 60


def _limit_retry_after() -> str:
    """Seconds until the breached limit's window lets the next request through."""
    from .extensions import limiter

    breached = limiter.current_limit
    try:
        seconds = breached.reset_at - time.time() if breached else _DEFAULT_RETRY_AFTER
    except Exception:  # the limit's storage went away between the hit and this answer
        seconds = _DEFAULT_RETRY_AFTER
    # Rounded up: a client that waits exactly this long must not come back a moment early.
    return str(max(1, math.ceil(seconds)))


# An interface with an error format of its own (Open311) claims its path prefix for the
# errors raised before a request reaches its blueprint.
ErrorRenderer = Callable[[ApiError], Any]
_RENDERERS = "maengelmelder.error_renderers"


def answer_errors_under(app: Flask, prefix: str, render: ErrorRenderer) -> None:
    """Let `render` answer the errors under `prefix` that no blueprint sees (untrusted Host)."""
    app.extensions.setdefault(_RENDERERS, {})[prefix] = render


def _render_outside_blueprints(err: ApiError):
    for prefix, render in current_app.extensions.get(_RENDERERS, {}).items():
        if request.path.startswith(prefix):
            return render(err)
    return _response(err)


def init_app(app: Flask) -> None:
    """Answer every error of the JSON API in the one error shape."""

    @app.errorhandler(SecurityError)
    def _untrusted_host(err: SecurityError):
        # Flask refuses a Host header off the allow-list (security.trusted_hosts) before
        # routing; the answer is the same wherever the request was going.
        app.logger.warning("refused: %s", err.description)
        return _render_outside_blueprints(ApiError(400, "host_not_trusted"))

    @app.errorhandler(ApiError)
    def _api_error(err: ApiError):
        return _response(err)

    @app.errorhandler(ValidationError)
    def _marshmallow_error(err: ValidationError):
        return _response(validation_error(err.normalized_messages()))

    @app.errorhandler(StaleDataError)
    def _stale(err: StaleDataError):
        # Two changes raced past the If-Match check; the later one loses, visibly.
        from .extensions import db

        db.session.rollback()
        return _response(ApiError(412, "version_stale"))

    @app.errorhandler(DataError)
    def _refused_by_database(err: DataError):
        # A value the input checks let through but the database cannot store or compare
        # (a NUL character in text on PostgreSQL, a number beyond the column): bad input.
        from .extensions import db

        db.session.rollback()
        app.logger.warning("database refused a value: %s", err.orig)
        return _response(ApiError(400, "bad_request"))

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(err: RequestEntityTooLarge):
        limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
        return _response(ApiError(413, "body_too_large", limit_mb=round(limit / 1048576)))

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        headers = {k: v for k, v in err.get_headers() if k.lower() != "content-type"}
        if isinstance(err, RateLimitExceeded):
            headers["Retry-After"] = _limit_retry_after()
        if not _wants_json():
            response = err.get_response()
            response.headers.update(headers)
            return response
        code = _HTTP_CODES.get(err.code or 500, "bad_request")
        if (err.code or 500) >= 500:
            code = "internal_error"
        return _response(ApiError(err.code or 500, code, headers=headers))

    @app.teardown_appcontext
    def _end_session(exc: BaseException | None) -> None:
        # Registered after Flask-SQLAlchemy, so it runs before its session.remove(). By now
        # the answer is made; if the database went away since (a restart between the last
        # query and here), ending the transaction fails on a dead connection. SQLAlchemy has
        # invalidated that connection then, so closing the session once more only lets it go
        # (back to the pool, which opens a fresh one): a read that succeeded must not turn
        # into a 500 at the very end.
        from .extensions import db

        try:
            db.session.remove()
        except DBAPIError as err:
            if database_unavailable(err) is None:
                raise
            app.logger.warning("database gone after the answer: %s", err.orig)
            db.session.remove()  # the connection is invalidated now: this only lets go

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        outage = database_unavailable(err)
        if outage is not None:
            forget_failed_transaction()
            app.logger.warning("database unavailable: %s", getattr(err, "orig", None) or err)
            return _response(outage)
        app.logger.exception("unhandled error")
        if isinstance(err, HTTPException):
            return err
        return _response(ApiError(500, "internal_error"))


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.startswith("/media/")
