"""Login, logout, one's own sessions, password change, and the admin's users, sessions,
login throttles and tokens."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, jsonify, request
from marshmallow import RAISE, Schema, ValidationError, fields, validate
from sqlalchemy import select

from .. import paging
from ..clock import isoformat, now
from ..errors import ApiError, validation_error
from ..extensions import db, limiter
from ..paging import decode_cursor, encode_cursor
from . import service, sessions, throttle
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
from .models import ROLES, ApiToken, LoginThrottle, StaffSession, User

bp = Blueprint("accounts", __name__)


class LoginIn(Schema):
    class Meta:
        unknown = RAISE

    email = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class PasswordIn(Schema):
    class Meta:
        unknown = RAISE

    current_password = fields.String(required=True, validate=validate.Length(max=1024))
    new_password = fields.String(required=True, validate=validate.Length(max=1024))


class UserIn(Schema):
    class Meta:
        unknown = RAISE

    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    password = fields.String(required=True, validate=validate.Length(max=1024))
    departments = fields.List(fields.String(validate=validate.Length(max=64)), load_default=list)
    citywide = fields.Boolean(load_default=False)
    lang = fields.String(load_default="de", validate=validate.OneOf(["de", "en"]))


class UserPatch(Schema):
    """The fields of an account an admin may change; each one optional."""

    class Meta:
        unknown = RAISE

    name = fields.String(validate=validate.Length(min=1, max=200))
    role = fields.String(validate=validate.OneOf(ROLES))
    departments = fields.List(fields.String(validate=validate.Length(max=64)))
    citywide = fields.Boolean()
    active = fields.Boolean()
    lang = fields.String(validate=validate.OneOf(["de", "en"]))


class ThrottleArgs(Schema):
    class Meta:
        unknown = RAISE

    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(validate=validate.Length(max=512))


class TokenIn(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    departments = fields.List(fields.String(validate=validate.Length(max=64)), load_default=list)
    citywide = fields.Boolean(load_default=False)


# Staff accounts and API tokens: a city's fit in one page; the page has a maximum all the same.
UserPageArgs = paging.page_args("UserPageArgs", 500, 1000)
TokenPageArgs = paging.page_args("TokenPageArgs", 500, 1000)


def paged_array(items: list, cursor: str | None):
    """A page as a bare JSON array (as these lists always were), the next in `Link`."""
    resp = jsonify(items)
    link = paging.link_header(paging.next_link(cursor))
    if link:
        resp.headers["Link"] = link
    return resp


def body(schema: Schema) -> dict:
    """The JSON body loaded through a schema; 400 for non-JSON, 422 for invalid fields."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json")
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise validation_error(exc.normalized_messages()) from exc


def user_out(user: User) -> dict:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "citywide": user.citywide,
        "lang": user.lang,
        "active": user.active,
        "departments": [d.code for d in user.departments],
        "last_login_at": isoformat(user.last_login_at),
    }


def token_out(token: ApiToken) -> dict:
    return {
        "id": token.id,
        "name": token.name,
        "prefix": token.prefix,
        "role": token.role,
        "citywide": token.citywide,
        "departments": [d.code for d in token.departments],
        "created_at": isoformat(token.created_at),
        "revoked_at": isoformat(token.revoked_at),
    }


def login_rules() -> throttle.Rules:
    cfg = current_app.config
    return throttle.Rules(
        free_failures=cfg["LOGIN_MAX_FAILURES"],
        first_delay=timedelta(seconds=cfg["LOGIN_DELAY_SECONDS"]),
        longest_delay=timedelta(minutes=cfg["LOGIN_LOCK_MINUTES"]),
    )


@bp.post("/api/v1/auth/login")
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_IP"])
def login():
    """Log in with e-mail and password; sets the session cookie, returns the CSRF token."""
    args = body(LoginIn())
    cfg = current_app.config
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
    return jsonify({"user": user_out(user), "csrf_token": token})


@bp.post("/api/v1/auth/logout")
@require(*STAFF)
def logout():
    """End this session; the cookie is worthless from now on (a no-op for API tokens)."""
    log_out()
    db.session.commit()
    return "", 204


@bp.get("/api/v1/auth/me")
@require(*STAFF)
def me():
    principal = authenticated()
    out = {"kind": principal.kind, "role": principal.role, "name": principal.name}
    if principal.kind == "user":
        out["user"] = user_out(db.session.get(User, principal.id))
        out["csrf_token"] = csrf_token()
    return jsonify(out)


def _session_user() -> int:
    """The logged-in user's id; 403 for API tokens, which have no sessions or password."""
    principal = authenticated()
    if principal.kind != "user":
        raise ApiError(403, "forbidden")
    return principal.id


def session_out(row: StaffSession, current: StaffSession | None) -> dict:
    return {
        "id": row.id,
        "created_at": isoformat(row.created_at),
        "last_seen_at": isoformat(row.last_seen_at),
        "expires_at": isoformat(sessions.ends_at(row, session_policy())),
        "device": row.device,
        "network": row.network,
        "current": current is not None and row.id == current.id,
    }


@bp.get("/api/v1/auth/sessions")
@require(*STAFF)
def my_sessions():
    """One's own live sessions, most recently used first (at most sessions.MAX_PER_USER)."""
    user_id = _session_user()
    rows = sessions.of_user(db.session, user_id, now=now(), policy=session_policy())
    current = current_session()
    return jsonify({"items": [session_out(row, current) for row in rows]})


@bp.delete("/api/v1/auth/sessions/<int:session_id>")
@require(*STAFF)
def end_my_session(session_id: int):
    """End one of one's own sessions (this one too: that is logging out)."""
    user_id = _session_user()
    if not sessions.end(db.session, session_id, user_id=user_id):
        raise ApiError(404, "session_not_found")
    current = current_session()
    if current is not None and current.id == session_id:
        forget_session()
    db.session.commit()
    return "", 204


@bp.post("/api/v1/auth/logout-everywhere")
@require(*STAFF)
def logout_everywhere():
    """End every session of one's account, this one included."""
    ended = sessions.end_all(db.session, _session_user())
    forget_session()
    db.session.commit()
    return jsonify({"ended": ended})


@bp.post("/api/v1/auth/password")
@require(*STAFF)
def change_password():
    """Change one's own password; every session of the account ends, this browser gets a
    new one."""
    user = db.session.get(User, _session_user())
    args = body(PasswordIn())
    service.change_password(
        db.session,
        user,
        args["current_password"],
        args["new_password"],
        hash_method=current_app.config["PASSWORD_HASH_METHOD"],
    )
    token = log_in(user)
    db.session.commit()
    return jsonify({"csrf_token": token})


@bp.get("/api/v1/admin/users")
@admin_required
def list_users():
    """Staff accounts by e-mail address, a page at a time (the next in the Link header)."""
    args = paging.load_args(UserPageArgs(), request.args.to_dict())
    query = select(User).order_by(User.email).limit(args["limit"] + 1)
    if "cursor" in args:
        query = query.where(paging.after([User.email], _cursor(args["cursor"], str, "u")))
    users = list(db.session.scalars(query))
    page, cursor = paging.split_page(users, args["limit"], lambda u: (u.email,), tag="u")
    return paged_array([user_out(u) for u in page], cursor)


@bp.post("/api/v1/admin/users")
@admin_required
def create_user():
    args = body(UserIn())
    user = service.create_user(
        db.session, now=now(), hash_method=current_app.config["PASSWORD_HASH_METHOD"], **args
    )
    db.session.commit()
    return jsonify(user_out(user)), 201


@bp.patch("/api/v1/admin/users/<int:user_id>")
@admin_required
def update_user(user_id: int):
    """Change an account; a new role, other departments or deactivation end its sessions."""
    principal = authenticated()
    acting = principal.id if principal.kind == "user" else None
    user, ended = service.update_user(db.session, user_id, body(UserPatch()), acting_user_id=acting)
    if ended and acting == user.id:
        forget_session()  # one's own access changed: this session ended with the others
    db.session.commit()
    return jsonify(user_out(user))


@bp.delete("/api/v1/admin/users/<int:user_id>/sessions")
@admin_required
def end_user_sessions(user_id: int):
    """End every session of an account (a lost phone, a person who left)."""
    ended = service.end_sessions(db.session, user_id)
    principal = authenticated()
    if principal.kind == "user" and principal.id == user_id:
        forget_session()
    db.session.commit()
    return jsonify({"ended": ended})


def throttle_out(row: LoginThrottle, email: str | None, name: str | None) -> dict:
    at = now()
    waiting = row.blocked_until is not None and row.blocked_until > at
    return {
        "id": row.id,
        "user": None if row.user_id is None else {"id": row.user_id, "email": email, "name": name},
        "network": row.network,
        "failures": row.failures,
        "first_failure_at": isoformat(row.first_failure_at),
        "last_failure_at": isoformat(row.last_failure_at),
        "blocked_until": isoformat(row.blocked_until) if waiting else None,
    }


@bp.get("/api/v1/admin/login-throttles")
@admin_required
def list_login_throttles():
    """Failed logins of the last day per (e-mail address, network), newest first, paged."""
    try:
        args = ThrottleArgs().load(request.args.to_dict())
    except ValidationError as exc:
        raise validation_error(exc.normalized_messages(), status=400) from exc
    before = None
    if args.get("cursor"):
        (before,) = decode_cursor(args["cursor"], [int], tag="throttles")
    limit = args["limit"]
    rows = throttle.current(db.session, now=now(), limit=limit + 1, before_id=before)
    page = rows[:limit]
    cursor = encode_cursor([page[-1][0].id], tag="throttles") if len(rows) > limit else None
    return jsonify({"items": [throttle_out(*r) for r in page], "next_cursor": cursor})


@bp.delete("/api/v1/admin/login-throttles/<int:throttle_id>")
@admin_required
def clear_login_throttle(throttle_id: int):
    """Lift a throttle: tries from that network for that address are free again."""
    if not throttle.clear(db.session, throttle_id):
        raise ApiError(404, "throttle_not_found")
    db.session.commit()
    return "", 204


@bp.get("/api/v1/admin/tokens")
@admin_required
def list_tokens():
    """API tokens by id, a page at a time (the next in the Link header)."""
    args = paging.load_args(TokenPageArgs(), request.args.to_dict())
    query = select(ApiToken).order_by(ApiToken.id).limit(args["limit"] + 1)
    if "cursor" in args:
        query = query.where(paging.after([ApiToken.id], _cursor(args["cursor"], int, "k")))
    tokens = list(db.session.scalars(query))
    page, cursor = paging.split_page(tokens, args["limit"], lambda t: (t.id,), tag="k")
    return paged_array([token_out(t) for t in page], cursor)


def _cursor(raw: str, kind: type, tag: str) -> tuple:
    return paging.decode_cursor(raw, (kind,), tag=tag)


@bp.post("/api/v1/admin/tokens")
@admin_required
def create_token():
    """A new API token; the response is the only time the token is shown."""
    token, plaintext = service.create_token(db.session, now=now(), **body(TokenIn()))
    db.session.commit()
    return jsonify({**token_out(token), "token": plaintext}), 201


@bp.delete("/api/v1/admin/tokens/<int:token_id>")
@admin_required
def revoke_token(token_id: int):
    token = service.revoke_token(db.session, token_id, now=now())
    db.session.commit()
    return jsonify(token_out(token))
