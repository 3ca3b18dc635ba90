"""Login, logout, password change, and the admin's users and tokens."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from marshmallow import RAISE, Schema, ValidationError, fields, validate
from sqlalchemy import select

from .. import paging
from ..clock import isoformat, now
from ..errors import ApiError, validation_error
from ..extensions import db, limiter
from . import service
from .auth import STAFF, admin_required, authenticated, csrf_token, log_in, log_out, require
from .models import ROLES, ApiToken, User

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
            now=now(),
            max_failures=cfg["LOGIN_MAX_FAILURES"],
            lock_minutes=cfg["LOGIN_LOCK_MINUTES"],
        )
    except ApiError:
        db.session.commit()  # keep the failure count
        raise
    db.session.commit()
    token = log_in(user)
    return jsonify({"user": user_out(user), "csrf_token": token})


@bp.post("/api/v1/auth/logout")
@require(*STAFF)
def logout():
    log_out()
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


@bp.post("/api/v1/auth/password")
@require(*STAFF)
def change_password():
    """Change one's own password; other sessions of the account end."""
    principal = authenticated()
    if principal.kind != "user":
        raise ApiError(403, "forbidden")
    args = body(PasswordIn())
    user = db.session.get(User, principal.id)
    service.change_password(
        db.session,
        user,
        args["current_password"],
        args["new_password"],
        hash_method=current_app.config["PASSWORD_HASH_METHOD"],
    )
    db.session.commit()
    return jsonify({"csrf_token": log_in(user)})


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
