"""Who is calling: session cookie (browsers, with CSRF) or bearer API token (machines).

Deny by default: a staff endpoint names the roles it allows with @require(...), and each
service checks the ticket's department against the principal.

The session cookie holds nothing but a random secret; the session itself is a row of
`staff_sessions` (see `sessions`). The cookie is set once, at login, and never renewed:
replaying it extends nothing, and once the row is gone the cookie is worthless. Flask's own
signed-cookie session is switched off, so nothing else can end up in a cookie either.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable
from datetime import timedelta

from flask import Flask, current_app, g, request
from flask.sessions import SessionInterface

from ..clock import now
from ..errors import ApiError
from ..extensions import db
from . import sessions
from .models import StaffSession, User
from .service import Principal, principal_for_token, principal_for_user

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"


def session_policy() -> sessions.Policy:
    """Idle timeout and absolute lifetime from the settings."""
    cfg = current_app.config
    return sessions.Policy(
        idle=timedelta(minutes=cfg["SESSION_IDLE_MINUTES"]),
        lifetime=current_app.permanent_session_lifetime,
    )


def _cookie_name() -> str:
    return current_app.config.get("SESSION_COOKIE_NAME") or "session"


def _resolve() -> Principal | None:
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            g.auth_error = "invalid_token"
            return None
        principal = principal_for_token(db.session, value.strip())
        if principal is None:
            g.auth_error = "invalid_token"
        return principal
    secret = request.cookies.get(_cookie_name())
    if not secret:
        return None
    at = now()
    row = sessions.find(db.session, secret, now=at, policy=session_policy())
    user = db.session.get(User, row.user_id) if row is not None else None
    if row is None or user is None or not user.active:
        g.drop_cookie = True  # a dead session's cookie is of no use to anyone
        return None
    principal = principal_for_user(user)
    g.staff_session = row
    g.session_secret = secret
    if sessions.touch(db.session, row, now=at):
        # Resolved before the view changes anything, so this commits the touch alone.
        db.session.commit()
    return principal


def current_principal() -> Principal | None:
    """The caller of this request, resolved once."""
    if "principal" not in g:
        g.principal = _resolve()
    return g.principal


def current_session() -> StaffSession | None:
    """The staff session of this request (None for API tokens and anonymous callers)."""
    current_principal()
    return g.get("staff_session")


def csrf_token() -> str | None:
    """The CSRF token of this request's session (None without one)."""
    secret = g.get("session_secret")
    return sessions.csrf_for(secret, current_app.config["SECRET_KEY"]) if secret else None


def log_in(user: User) -> str:
    """Start a fresh session for the user (ending the browser's old one); its CSRF token."""
    old = request.cookies.get(_cookie_name())
    if old:
        sessions.end_by_secret(db.session, old)
    row, secret = sessions.start(
        db.session,
        user.id,
        now=now(),
        policy=session_policy(),
        device=sessions.device_of(request.headers.get("User-Agent")),
        network=sessions.network_of(request.remote_addr),
    )
    g.principal = principal_for_user(user)
    g.staff_session, g.session_secret = row, secret
    g.set_cookie = (secret, session_policy().lifetime)
    return csrf_token() or ""


def forget_session() -> None:
    """This request's session ended: no principal any more, and the browser drops the cookie."""
    g.principal = None
    g.pop("staff_session", None)
    g.pop("session_secret", None)
    g.pop("set_cookie", None)
    g.drop_cookie = True


def log_out() -> None:
    """End this request's session (a no-op for API tokens)."""
    row = current_session()
    if row is not None:
        sessions.end(db.session, row.id, user_id=row.user_id)
        forget_session()


def _check_csrf(principal: Principal) -> None:
    # Bearer tokens are not sent by browsers on their own, so only cookie sessions need it.
    if principal.kind != "user" or request.method in SAFE_METHODS:
        return
    given = request.headers.get(CSRF_HEADER) or request.form.get("csrf_token") or ""
    expected = csrf_token() or ""
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise ApiError(403, "csrf_failed")


def authenticated() -> Principal:
    """The principal, or 401; CSRF checked for cookie sessions."""
    principal = current_principal()
    if principal is None:
        code = g.get("auth_error", "unauthorized")
        raise ApiError(401, code, headers={"WWW-Authenticate": "Bearer"})
    _check_csrf(principal)
    return principal


def require(*roles: str) -> Callable:
    """Allow the view only to principals with one of these roles."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            principal = authenticated()
            if principal.role not in roles:
                raise ApiError(403, "forbidden")
            return view(*args, **kwargs)

        wrapped.allowed_roles = roles  # type: ignore[attr-defined]
        return wrapped

    return decorator


STAFF = ("crew", "supervisor", "admin")
admin_required = require("admin")


class _NoClientSideSession(SessionInterface):
    """Flask's signed-cookie session, switched off: `flask.session` is a read-only empty
    NullSession, and no response carries a cookie from it."""

    def open_session(self, app, request):
        return None

    def save_session(self, app, session, response) -> None:
        return None


def init_app(app: Flask) -> None:
    app.session_interface = _NoClientSideSession()

    @app.after_request
    def _session_cookie(resp):
        cfg = app.config
        options = {
            "path": cfg.get("SESSION_COOKIE_PATH") or "/",
            "domain": cfg.get("SESSION_COOKIE_DOMAIN") or None,
            "secure": cfg.get("SESSION_COOKIE_SECURE", True),
            "httponly": True,
            "samesite": cfg.get("SESSION_COOKIE_SAMESITE") or "Lax",
        }
        if "set_cookie" in g:
            secret, lifetime = g.set_cookie
            resp.set_cookie(
                _cookie_name(), secret, max_age=int(lifetime.total_seconds()), **options
            )
        elif g.get("drop_cookie"):
            resp.delete_cookie(_cookie_name(), **options)
        return resp

    @app.after_request
    def _no_store_for_staff(resp):
        if "principal" in g and g.principal is not None:
            resp.headers["Cache-Control"] = "no-store"
        return resp
