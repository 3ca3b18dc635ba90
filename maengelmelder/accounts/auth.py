"""Who is calling: session cookie (browsers, with CSRF) or bearer API token (machines).

Deny by default: a staff endpoint names the roles it allows with @require(...), and each
service checks the ticket's department against the principal.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable

from flask import Flask, g, request, session

from ..errors import ApiError
from ..extensions import db
from .models import User
from .service import Principal, principal_for_token, principal_for_user

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"


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
    uid = session.get("uid")
    if uid is None:
        return None
    user = db.session.get(User, uid)
    if user is None or not user.active or session.get("sv") != user.session_version:
        session.clear()
        return None
    return principal_for_user(user)


def current_principal() -> Principal | None:
    """The caller of this request, resolved once."""
    if "principal" not in g:
        g.principal = _resolve()
    return g.principal


def csrf_token() -> str:
    """The session's CSRF token, made on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def log_in(user: User) -> str:
    """Start a fresh session for the user; returns its CSRF token."""
    session.clear()
    session.permanent = True
    session["uid"] = user.id
    session["sv"] = user.session_version
    g.principal = principal_for_user(user)
    return csrf_token()


def log_out() -> None:
    session.clear()
    g.principal = None


def _check_csrf(principal: Principal) -> None:
    # Bearer tokens are not sent by browsers on their own, so only cookie sessions need it.
    if principal.kind != "user" or request.method in SAFE_METHODS:
        return
    given = request.headers.get(CSRF_HEADER) or request.form.get("csrf_token") or ""
    expected = session.get("csrf") or ""
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


def init_app(app: Flask) -> None:
    @app.after_request
    def _no_store_for_staff(resp):
        if "principal" in g and g.principal is not None:
            resp.headers["Cache-Control"] = "no-store"
        return resp
