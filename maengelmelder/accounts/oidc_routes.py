"""Signing in with the city's identity provider: to the provider and back, logging out there
too, and the provider's back-channel logout (see `oidc`)."""

from __future__ import annotations

from flask import Response, current_app, make_response, redirect, render_template, request

from ..clock import now
from ..core.links import base_url
from ..errors import ApiError
from ..extensions import db, limiter
from ..web.api import Blueprint
from . import oidc, schemas
from .auth import STAFF, authenticated, current_session, log_in, log_out, require
from .models import User

bp = Blueprint(
    "oidc",
    __name__,
    description="Staff sign-in with the city's identity provider (OpenID Connect).",
)

STAFF_HOME = "/staff"
# The identity provider could not be reached or answered nonsense (no shared component: only
# these routes talk to another server while the caller waits).
PROVIDER_DOWN = {
    "502": {
        "description": "The identity provider cannot be reached right now.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
}


@bp.get("/api/v1/auth/sign-in-options")
@bp.response(200, schemas.SignInOptions, description="What the login page offers.")
def sign_in_options():
    """What the staff login page offers: the work account (OpenID Connect) and passwords."""
    on = oidc.local_passwords_on(db.session)
    return {"oidc": oidc.settings() is not None, "local_passwords": on}


def _flow_cookie(resp: Response, value: str | None) -> Response:
    options = {
        "path": oidc.FLOW_PATH,
        "secure": current_app.config.get("SESSION_COOKIE_SECURE", True),
        "httponly": True,
        # Lax: sent when the provider sends the browser back (a top-level GET).
        "samesite": "Lax",
    }
    if value is None:
        resp.delete_cookie(oidc.FLOW_COOKIE, **options)
    else:
        max_age = int(oidc.FLOW_MAX_AGE.total_seconds())
        resp.set_cookie(oidc.FLOW_COOKIE, value, max_age=max_age, **options)
    return resp


@bp.get("/api/v1/auth/oidc/login")
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_IP"])
@bp.response(303, description="To the provider's sign-in.")
@bp.errors(404)
@bp.doc(responses=PROVIDER_DOWN)
def oidc_login():
    """Sign in with a work account: sends the browser to the identity provider (authorization
    code flow with PKCE, state and nonce). `404` `oidc_off` when none is set up, `502` when
    the provider cannot be reached; a browser that asks for HTML gets these as a page."""
    try:
        url, flow = oidc.start(oidc.required_settings(), now=now())
    except ApiError as exc:
        return _refused(exc)
    return _flow_cookie(redirect(url, code=303), flow)


def _refused(exc: ApiError) -> Response:
    """A refused sign-in: a page with the German and English message and a link back for a
    person's browser (it asks for HTML), the error as JSON for everyone else."""
    if request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html":
        page = render_template("sign_in_refused.html", message=exc.message)
        return make_response(page, exc.status)
    raise exc


@bp.get("/api/v1/auth/oidc/callback")
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_IP"])
@bp.response(303, description="Signed in: to the staff app, with the session cookie.")
@bp.errors(400, 401, 403, 404, 409)
@bp.doc(responses=PROVIDER_DOWN)
def oidc_callback():
    """Back from the provider: the code is redeemed and the ID token checked; the account is
    created or its role and departments set from the groups; a session starts.

    `400` `oidc_state_invalid` (another browser's or an expired sign-in), `401` `oidc_failed`
    (the provider refused, e.g. a code used before) or `oidc_token_invalid`, `403`
    `oidc_no_role` (no group has a role here: the account's sessions end). A browser that
    asks for HTML gets these as a page with the message and a link back to the sign-in.
    """
    config = oidc.required_settings()
    args = request.args
    try:
        # A provider's `error` comes without a code: refused once the state is checked.
        claims = oidc.finish(
            config,
            cookie=request.cookies.get(oidc.FLOW_COOKIE),
            state=args.get("state", ""),
            code=args.get("code", ""),
            now=now(),
        )
        user = oidc.sign_in(db.session, claims, config, now=now())
    except ApiError as exc:
        db.session.commit()  # ended sessions stay ended
        return _refused(exc)
    log_in(user)
    row = current_session()
    assert row is not None  # log_in started it
    oidc.remember_provider_session(row, claims)
    db.session.commit()
    return _flow_cookie(redirect(base_url() + STAFF_HOME, code=303), None)


@bp.post("/api/v1/auth/oidc/logout")
@require(*STAFF)
@bp.response(200, schemas.OidcLogout, description="Logged out here.")
@bp.errors(401, 403)
def oidc_logout():
    """Log out here, and learn where to sign out at the provider too (`end_session_url`,
    null when the provider offers none, none is set up, or the account is no provider's, such
    as a break-glass admin's)."""
    principal = authenticated()
    if principal.kind != "user":
        raise ApiError(403, "forbidden")  # API tokens have no session to end
    log_out()
    db.session.commit()
    config = oidc.settings()
    user = db.session.get(User, principal.id)
    # A break-glass account signed in with its password: nothing to end at the provider.
    at_provider = config is not None and user is not None and user.oidc_subject is not None
    return {"end_session_url": oidc.end_session_url(config) if at_provider else None}


@bp.post("/api/v1/auth/oidc/backchannel-logout")
@bp.arguments(schemas.BackChannelLogoutIn, location="form")
@bp.response(200, description="The person's sessions ended.")
@bp.errors(401, 404)
def oidc_backchannel_logout(args: dict):
    """The provider logged a person out (OpenID Connect Back-Channel Logout): every session
    of theirs ends. The logout token is checked like an ID token, must carry the logout
    event and no nonce."""
    config = oidc.required_settings()
    doc = oidc.metadata(config)
    claims = oidc.verify_token(args["logout_token"], config, doc, now=now(), logout=True)
    oidc.back_channel_logout(db.session, claims)
    db.session.commit()
    resp = Response(status=200)
    resp.headers["Cache-Control"] = "no-store"
    return resp
