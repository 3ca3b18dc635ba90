"""Login, logout, one's own sessions, password change, and the admin's users, sessions,
login throttles and tokens."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta

from flask import Response, current_app, request
from sqlalchemy import select

from .. import paging
from ..clock import now
from ..errors import ApiError
from ..extensions import db, limiter
from ..paging import decode_cursor, encode_cursor
from ..web.api import Blueprint
from ..web.request import body  # noqa: F401  re-exported until the last importer moves on
from . import oidc, schemas, service, sessions, throttle
from .auth import (
    STAFF,
    admin_required,
    authenticated,
    csrf_token,
    current_session,
    forget_session,
    log_in,
    log_out,
    require,
    session_policy,
)
from .models import ApiToken, User

bp = Blueprint(
    "accounts", __name__, description="Logging in and out, sessions, accounts, API tokens."
)

# The security of what only a logged-in person (a session, never an API token) may call.
SESSION_ONLY = [{"sessionCookie": []}]
SESSION_CSRF = [{"sessionCookie": [], "csrfHeader": []}]


def sessions_only(view: Callable) -> Callable:
    """Only for a logged-in person: API tokens have no sessions or password (`403`). Checked
    after the role and before any input."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if authenticated().kind != "user":
            raise ApiError(403, "forbidden")
        return view(*args, **kwargs)

    return wrapped


def no_content() -> Response:
    return Response(status=204)


def login_rules() -> throttle.Rules:
    cfg = current_app.config
    return throttle.Rules(
        free_failures=cfg["LOGIN_MAX_FAILURES"],
        first_delay=timedelta(seconds=cfg["LOGIN_DELAY_SECONDS"]),
        longest_delay=timedelta(minutes=cfg["LOGIN_LOCK_MINUTES"]),
    )


@bp.post("/api/v1/auth/login")
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_IP"])
@bp.arguments(schemas.LoginIn)
@bp.response(200, schemas.Login, description="Logged in.")
@bp.errors(401, 403, 429)
def login(args: dict):
    """Log in: sets the session cookie and returns the CSRF token.

    The cookie holds only a random session id and is set once, here. `401` `login_failed` is
    the one answer for an unknown address, a wrong password, a deactivated account and a try
    that has to wait after too many failures from this network for this address; `429` is the
    per-address rate limit (`LOGIN_LIMIT_IP`). `403` `password_login_off`: local passwords are
    off for staff (`LOCAL_PASSWORDS`) and the address is no break-glass account.
    """
    cfg = current_app.config
    if not oidc.local_password_allowed(args["email"]):
        raise ApiError(403, "password_login_off")
    try:
        user = service.authenticate(
            db.session,
            args["email"],
            args["password"],
            address=request.remote_addr,
            now=now(),
            rules=login_rules(),
            secret_key=cfg["SECRET_KEY"],
            hash_method=cfg["PASSWORD_HASH_METHOD"],
        )
    except ApiError:
        db.session.commit()  # keep the failure count
        raise
    token = log_in(user)
    db.session.commit()
    return {"user": user, "csrf_token": token}


@bp.post("/api/v1/auth/logout")
@require(*STAFF)
@bp.response(204, description="Logged out.")
def logout():
    """Log out: the session ends on the server; its cookie is worthless from now on.

    A no-op for API tokens.
    """
    log_out()
    db.session.commit()
    return no_content()


@bp.get("/api/v1/auth/me")
@require(*STAFF)
@bp.response(200, schemas.Me, description="The caller.")
def me():
    """Who is calling."""
    principal = authenticated()
    out = {"kind": principal.kind, "role": principal.role, "name": principal.name}
    if principal.kind == "user":
        out["user"] = db.session.get(User, principal.id)
        out["csrf_token"] = csrf_token()
    return out


@bp.get("/api/v1/auth/sessions")
@require(*STAFF)
@sessions_only
@bp.response(200, schemas.StaffSessions, description="Sessions.")
@bp.doc(security=SESSION_ONLY)
@bp.errors(401, 403)
def my_sessions():
    """One's own live sessions, most recently used first (at most 20).

    For logged-in people; API tokens have no sessions (`403`).
    """
    rows = sessions.of_user(db.session, authenticated().id, now=now(), policy=session_policy())
    return {"items": rows}


@bp.delete(
    "/api/v1/auth/sessions/<int:session_id>",
    parameters=[{"in": "path", "name": "session_id", "description": "the session's id"}],
)
@require(*STAFF)
@sessions_only
@bp.response(204, description="Ended; its cookie is worthless from now on.")
@bp.doc(security=SESSION_CSRF)
@bp.errors(401, 403, 404)
def end_my_session(session_id: int):
    """End one of one's own sessions (the current one too: that is logging out)."""
    if not sessions.end(db.session, session_id, user_id=authenticated().id):
        raise ApiError(404, "session_not_found")
    current = current_session()
    if current is not None and current.id == session_id:
        forget_session()
    db.session.commit()
    return no_content()


@bp.post("/api/v1/auth/logout-everywhere")
@require(*STAFF)
@sessions_only
@bp.response(200, schemas.Ended, description="Ended.")
@bp.doc(security=SESSION_CSRF)
@bp.errors(401, 403)
def logout_everywhere():
    """End every session of one's account, this one included."""
    ended = sessions.end_all(db.session, authenticated().id)
    forget_session()
    db.session.commit()
    return {"ended": ended}


@bp.post("/api/v1/auth/password")
@require(*STAFF)
@sessions_only
@bp.arguments(schemas.PasswordIn)
@bp.response(200, schemas.CsrfToken, description="Changed; the new session's CSRF token.")
def change_password(args: dict):
    """Change one's own password (sessions only).

    Every session of the account ends; this browser gets a new one.
    """
    user = db.session.get(User, authenticated().id)
    service.change_password(
        db.session,
        user,
        args["current_password"],
        args["new_password"],
        hash_method=current_app.config["PASSWORD_HASH_METHOD"],
    )
    token = log_in(user)
    db.session.commit()
    return {"csrf_token": token}


@bp.get("/api/v1/admin/users")
@admin_required
@bp.arguments(schemas.UserPageArgs, location="query")
@bp.response(
    200,
    schemas.User(many=True),
    description="Accounts by e-mail address; the next page in `Link`.",
    headers=paging.LINK_HEADER,
)
def list_users(args: dict):
    """Staff accounts, a page at a time."""
    query = select(User).order_by(User.email).limit(args["limit"] + 1)
    if "cursor" in args:
        query = query.where(paging.after([User.email], _cursor(args["cursor"], str, "u")))
    users = list(db.session.scalars(query))
    page, cursor = paging.split_page(users, args["limit"], lambda u: (u.email,), tag="u")
    # A bare JSON array, as this list always was; the next page in `Link`.
    return page, paging.next_page_headers(cursor)


@bp.post("/api/v1/admin/users")
@admin_required
@bp.arguments(schemas.UserIn)
@bp.response(201, schemas.User, description="Created.")
@bp.errors(409)
def create_user(args: dict):
    """Create a staff account."""
    user = service.create_user(
        db.session, now=now(), hash_method=current_app.config["PASSWORD_HASH_METHOD"], **args
    )
    db.session.commit()
    return user


@bp.patch(
    "/api/v1/admin/users/<int:user_id>",
    parameters=[{"in": "path", "name": "user_id", "description": "the account's id"}],
)
@admin_required
@bp.arguments(schemas.UserPatch)
@bp.response(200, schemas.User, description="The account after the change.")
@bp.errors(404, 409)
def update_user(args: dict, user_id: int):
    """Change an account.

    A new role, other departments, the city-wide scope or a deactivation end all its
    sessions. `409` `own_account`: admins cannot deactivate their own account or take its admin role
    away.
    """
    principal = authenticated()
    acting = principal.id if principal.kind == "user" else None
    user, ended = service.update_user(db.session, user_id, args, acting_user_id=acting)
    if ended and acting == user.id:
        forget_session()  # one's own access changed: this session ended with the others
    db.session.commit()
    return user


@bp.delete(
    "/api/v1/admin/users/<int:user_id>/sessions",
    parameters=[{"in": "path", "name": "user_id", "description": "the account's id"}],
)
@admin_required
@bp.response(200, schemas.Ended, description="Ended.")
@bp.errors(404)
def end_user_sessions(user_id: int):
    """End every session of an account (a lost phone, a person who left)."""
    ended = service.end_sessions(db.session, user_id)
    principal = authenticated()
    if principal.kind == "user" and principal.id == user_id:
        forget_session()
    db.session.commit()
    return {"ended": ended}


@bp.get("/api/v1/admin/login-throttles")
@admin_required
@bp.arguments(schemas.ThrottleArgs, location="query")
@bp.response(200, schemas.LoginThrottles, description="Throttles.")
def list_login_throttles(args: dict):
    """Failed logins of the last day per (e-mail address, network), newest first.

    After `LOGIN_MAX_FAILURES` failures from one network for one address, each further try
    from there waits (30 s, doubled every time, at most `LOGIN_LOCK_MINUTES`); tries from
    elsewhere never do.
    """
    before = None
    if args.get("cursor"):
        (before,) = decode_cursor(args["cursor"], [int], tag="throttles")
    limit = args["limit"]
    rows = throttle.current(db.session, now=now(), limit=limit + 1, before_id=before)
    page = rows[:limit]
    cursor = encode_cursor([page[-1].id], tag="throttles") if len(rows) > limit else None
    return {"items": page, "next_cursor": cursor}


@bp.delete(
    "/api/v1/admin/login-throttles/<int:throttle_id>",
    parameters=[{"in": "path", "name": "throttle_id", "description": "the throttle's id"}],
)
@admin_required
@bp.response(204, description="Lifted.")
@bp.errors(404)
def clear_login_throttle(throttle_id: int):
    """Lift a throttle: tries from that network for that address are free again."""
    if not throttle.clear(db.session, throttle_id):
        raise ApiError(404, "throttle_not_found")
    db.session.commit()
    return no_content()


@bp.get("/api/v1/admin/tokens")
@admin_required
@bp.arguments(schemas.TokenPageArgs, location="query")
@bp.response(
    200,
    schemas.ApiToken(many=True),
    description="Tokens by id; the next page in `Link`.",
    headers=paging.LINK_HEADER,
)
def list_tokens(args: dict):
    """API tokens (never the secret), a page at a time."""
    query = select(ApiToken).order_by(ApiToken.id).limit(args["limit"] + 1)
    if "cursor" in args:
        query = query.where(paging.after([ApiToken.id], _cursor(args["cursor"], int, "k")))
    tokens = list(db.session.scalars(query))
    page, cursor = paging.split_page(tokens, args["limit"], lambda t: (t.id,), tag="k")
    # A bare JSON array, as this list always was; the next page in `Link`.
    return page, paging.next_page_headers(cursor)


def _cursor(raw: str, kind: type, tag: str) -> tuple:
    return paging.decode_cursor(raw, (kind,), tag=tag)


@bp.post("/api/v1/admin/tokens")
@admin_required
@bp.arguments(schemas.TokenIn)
@bp.response(201, schemas.ApiTokenCreated, description="Created.")
def create_token(args: dict):
    """Create an API token; the answer is the only time it is shown."""
    token, plaintext = service.create_token(db.session, now=now(), **args)
    db.session.commit()
    return schemas.NewToken(token, plaintext)


@bp.patch(
    "/api/v1/admin/tokens/<int:token_id>",
    parameters=[{"in": "path", "name": "token_id", "description": "the token's id"}],
)
@admin_required
@bp.arguments(schemas.TokenChange)
@bp.response(200, schemas.ApiToken, description="Changed.")
@bp.errors(404)
def change_token(args: dict, token_id: int):
    """Mark an API token trusted (the reports it files are public at once) or not."""
    token = service.set_token_trusted(db.session, token_id, args["trusted"])
    db.session.commit()
    return token


@bp.delete(
    "/api/v1/admin/tokens/<int:token_id>",
    parameters=[{"in": "path", "name": "token_id", "description": "the token's id"}],
)
@admin_required
@bp.response(200, schemas.ApiToken, description="Revoked.")
@bp.errors(404)
def revoke_token(token_id: int):
    """Revoke an API token."""
    token = service.revoke_token(db.session, token_id, now=now())
    db.session.commit()
    return token
