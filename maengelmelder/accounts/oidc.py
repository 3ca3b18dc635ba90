"""Staff sign-in with the city's identity provider (OpenID Connect).

The authorization code flow with PKCE, `state` and `nonce` (Authlib builds the request and
redeems the code); the provider's endpoints and keys from its discovery document. The ID
token's signature, issuer, audience, expiry and nonce are checked here (joserfc, Authlib's
JOSE library), with a small leeway for clocks that are a little apart.

Who gets which role: `OIDC_ROLE_MAP` maps the provider's groups (or app roles) to a role and a
department, "*" for the whole city: `tiefbau-crew=crew:tiefbau; leitung=supervisor:*`. Of the
groups a person is in, the highest role wins, with the departments mapped to that role.
Accounts are created at the first sign-in and their role and departments set at every one; a
person whose groups map to nothing is refused and their sessions end.

What the browser carries between "to the provider" and "back": one signed, short-lived cookie
with the state, the nonce and the PKCE verifier, for the callback's path only.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .. import clock
from ..core.catalog import Department
from ..core.links import base_url
from ..errors import ApiError
from ..extensions import db
from . import (
    messages,  # noqa: F401  the feature's messages
    sessions,
)
from .models import ROLES, SignInSettings, StaffSession, User

FLOW_COOKIE = "oidc_flow"
FLOW_PATH = "/api/v1/auth/oidc"
CALLBACK_PATH = FLOW_PATH + "/callback"
# From "to the provider" to "back": long enough to type a password and answer a second factor.
FLOW_MAX_AGE = timedelta(minutes=10)
# Clocks of the provider and of this server may be this far apart.
LEEWAY = timedelta(seconds=60)
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
# The provider's discovery document and keys are read again after this long (and the keys at
# once when a token names a key not among them: the provider rotated its keys).
METADATA_MAX_AGE = timedelta(hours=1)
KEY_REFRESH = timedelta(minutes=1)
HTTP_TIMEOUT = (5, 10)
# Asymmetric signatures only: never "none", and no HMAC with the client secret.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
# Claims that may carry the groups or app roles: Keycloak and Entra ID groups, Entra app roles.
GROUP_CLAIMS = ("groups", "roles")
_RANK = {role: rank for rank, role in enumerate(ROLES)}  # crew < supervisor < admin


class OidcError(ApiError):
    """A refused sign-in: the answer names what went wrong, never a token's content."""


# -- settings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    """One entry of the role map: members of `group` get `role` in `department` (None: the
    whole city)."""

    group: str
    role: str
    department: str | None


def parse_role_map(raw: str) -> tuple[Grant, ...]:
    """`group=role:department; …` (department "*": the whole city); ValueError if malformed."""
    grants = []
    for entry in (part.strip() for part in raw.replace("\n", ";").split(";")):
        if not entry:
            continue
        group, sep, target = entry.rpartition("=")
        role, _, department = target.partition(":")
        group, role, department = group.strip(), role.strip(), department.strip()
        if not sep or not group or role not in ROLES or not department:
            raise ValueError(
                f"OIDC_ROLE_MAP entry {entry!r}: expected group=role:department "
                f"(role one of {', '.join(ROLES)}, department a code or *)"
            )
        grants.append(Grant(group, role, None if department == "*" else department))
    return tuple(grants)


@dataclass(frozen=True)
class Settings:
    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    role_map: tuple[Grant, ...]


def settings() -> Settings | None:
    """The app's OpenID Connect settings, or None when sign-in with a provider is off."""
    cfg = current_app.config
    issuer = (cfg.get("OIDC_ISSUER") or "").rstrip("/")
    if not issuer or not cfg.get("OIDC_CLIENT_ID"):
        return None
    return Settings(
        issuer=issuer,
        client_id=cfg["OIDC_CLIENT_ID"],
        client_secret=cfg.get("OIDC_CLIENT_SECRET") or "",
        scopes=cfg.get("OIDC_SCOPES") or "openid email profile",
        role_map=parse_role_map(cfg.get("OIDC_ROLE_MAP") or ""),
    )


def required_settings() -> Settings:
    found = settings()
    if found is None:
        raise OidcError(404, "oidc_off")
    return found


def break_glass_emails() -> frozenset[str]:
    """The admin accounts that may always use a password (`BREAK_GLASS_EMAILS`)."""
    raw = current_app.config.get("BREAK_GLASS_EMAILS") or ()
    return frozenset(e.strip().lower() for e in raw if e.strip())


def chosen_sign_in(session: Session) -> SignInSettings | None:
    """What an admin chose about password sign-in (None: nobody has yet)."""
    return session.get(SignInSettings, 1)


def local_passwords_on(session: Session) -> bool:
    """May staff log in with a password? As an admin chose, else `LOCAL_PASSWORDS`."""
    chosen = chosen_sign_in(session)
    if chosen is not None:
        return chosen.local_passwords
    return bool(current_app.config.get("LOCAL_PASSWORDS", True))


def local_password_allowed(email: str, session: Session | None = None) -> bool:
    """May this address log in with a password? Always, unless local passwords are off for
    staff; then only the break-glass accounts listed in `BREAK_GLASS_EMAILS`."""
    if local_passwords_on(session or db.session):
        return True
    return email.strip().lower() in break_glass_emails()


# -- roles -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Access:
    role: str
    citywide: bool
    departments: tuple[str, ...]


def access_for(groups: Iterable[str], role_map: Iterable[Grant]) -> Access | None:
    """The role and departments the groups give (the highest role wins), or None."""
    member = set(groups)
    matched = [g for g in role_map if g.group in member]
    if not matched:
        return None
    role = max((g.role for g in matched), key=_RANK.__getitem__)
    mine = [g for g in matched if g.role == role]
    citywide = any(g.department is None for g in mine)
    departments = () if citywide else tuple(sorted({g.department for g in mine if g.department}))
    return Access(role, citywide, departments)


def groups_of(claims: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for name in GROUP_CLAIMS:
        value = claims.get(name)
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, list):
            found.extend(v for v in value if isinstance(v, str))
    return found


# -- the provider ----------------------------------------------------------------------------

_metadata: dict[str, tuple[datetime, dict]] = {}
_keys: dict[str, tuple[datetime, KeySet]] = {}


def _get_json(url: str) -> dict:
    try:
        resp = requests.get(url, timeout=HTTP_TIMEOUT, headers={"Accept": "application/json"})
        resp.raise_for_status()
        data = resp.json()
    except (requests.RequestException, ValueError) as exc:
        current_app.logger.warning("OpenID provider: %s unreadable: %s", url, exc)
        raise OidcError(502, "oidc_unavailable") from exc
    if not isinstance(data, dict):
        raise OidcError(502, "oidc_unavailable")
    return data


def metadata(config: Settings) -> dict:
    """The provider's discovery document (cached); its issuer must be the configured one."""
    cached = _metadata.get(config.issuer)
    if cached and clock.now() - cached[0] < METADATA_MAX_AGE:
        return cached[1]
    doc = _get_json(config.issuer + "/.well-known/openid-configuration")
    needed = ("authorization_endpoint", "token_endpoint", "jwks_uri")
    if doc.get("issuer") != config.issuer or not all(isinstance(doc.get(k), str) for k in needed):
        current_app.logger.warning(
            "OpenID provider: discovery of %s names another issuer or lacks endpoints",
            config.issuer,
        )
        raise OidcError(502, "oidc_unavailable")
    _metadata[config.issuer] = (clock.now(), doc)
    return doc


def key_set(doc: dict, *, fresh: bool = False) -> KeySet:
    """The provider's signing keys (cached unless `fresh`)."""
    uri = doc["jwks_uri"]
    cached = _keys.get(uri)
    if cached and not fresh and clock.now() - cached[0] < METADATA_MAX_AGE:
        return cached[1]
    try:
        keys = KeySet.import_key_set(_get_json(uri))  # type: ignore[arg-type]
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        raise OidcError(502, "oidc_unavailable") from exc
    _keys[uri] = (clock.now(), keys)
    return keys


def forget_provider() -> None:
    """Read the discovery documents and keys again at the next use."""
    _metadata.clear()
    _keys.clear()


def _key_id(token: str) -> str | None:
    """The `kid` a compact JWS names in its header (None if it names none or is no JWS)."""
    try:
        header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    except (ValueError, UnicodeDecodeError):
        return None
    kid = header.get("kid") if isinstance(header, dict) else None
    return kid if isinstance(kid, str) else None


def _decode(token: str, doc: dict) -> dict:
    keys = key_set(doc)
    kid = _key_id(token)
    # A key the provider has rotated in since the keys were read: read them again, at most
    # once a minute (a stranger's made-up key ids cannot make us ask more often).
    unknown = kid is not None and kid not in {key.kid for key in keys.keys}
    if unknown and clock.now() - _keys[doc["jwks_uri"]][0] > KEY_REFRESH:
        keys = key_set(doc, fresh=True)
    try:
        return dict(jwt.decode(token, keys, algorithms=ALGORITHMS).claims)
    except (JoseError, ValueError, TypeError) as exc:
        current_app.logger.info("OpenID token refused: %r", exc)
    raise OidcError(401, "oidc_token_invalid")


def verify_token(
    token: str,
    config: Settings,
    doc: dict,
    *,
    now: datetime,
    nonce: str | None = None,
    logout: bool = False,
) -> dict:
    """The claims of an ID token (or, `logout`, of a back-channel logout token) once its
    signature, issuer, audience and times hold; else 401 `oidc_token_invalid`."""
    claims = _decode(token, doc)
    at = now.timestamp()
    leeway = LEEWAY.total_seconds()
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience
    exp, iat = claims.get("exp"), claims.get("iat")
    problems = [
        claims.get("iss") != config.issuer,
        not isinstance(audiences, list) or config.client_id not in audiences,
        isinstance(audiences, list)
        and len(audiences) > 1
        and claims.get("azp") != config.client_id,
        not isinstance(iat, int | float) or iat > at + leeway,
        exp is not None and (not isinstance(exp, int | float) or exp < at - leeway),
    ]
    if logout:
        events = claims.get("events")
        problems += [
            not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_EVENT), dict),
            "nonce" in claims,
            not claims.get("sub") and not claims.get("sid"),
            isinstance(iat, int | float) and iat < at - FLOW_MAX_AGE.total_seconds(),
        ]
    else:
        problems += [
            exp is None,
            not isinstance(claims.get("sub"), str) or not claims["sub"],
            nonce is None or not secrets.compare_digest(str(claims.get("nonce", "")), nonce),
        ]
    if any(problems):
        raise OidcError(401, "oidc_token_invalid")
    return claims


# -- the flow --------------------------------------------------------------------------------


def redirect_uri() -> str:
    return base_url() + CALLBACK_PATH


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="oidc-flow")


def _client(config: Settings) -> OAuth2Session:
    return OAuth2Session(
        config.client_id,
        config.client_secret,
        scope=config.scopes,
        redirect_uri=redirect_uri(),
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",
    )


def start(config: Settings, *, now: datetime) -> tuple[str, str]:
    """The provider's authorization URL and the signed flow cookie for the browser."""
    doc = metadata(config)
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(48)
    url, _ = _client(config).create_authorization_url(
        doc["authorization_endpoint"], state=state, nonce=nonce, code_verifier=verifier
    )
    flow = {"s": state, "n": nonce, "v": verifier, "t": int(now.timestamp())}
    return url, _serializer().dumps(flow)


def finish(config: Settings, *, cookie: str | None, state: str, code: str, now: datetime) -> dict:
    """Check the state against the flow cookie, redeem the code and verify the ID token;
    its claims."""
    try:
        flow = _serializer().loads(cookie or "")
    except BadSignature:
        flow = None
    if (
        not isinstance(flow, dict)
        or not state
        or not secrets.compare_digest(str(flow.get("s", "")), state)
        or now.timestamp() - flow.get("t", 0) > FLOW_MAX_AGE.total_seconds()
    ):
        raise OidcError(400, "oidc_state_invalid")
    if not code:
        raise OidcError(401, "oidc_failed")
    doc = metadata(config)
    try:
        token = _client(config).fetch_token(
            doc["token_endpoint"], code=code, code_verifier=flow["v"], timeout=HTTP_TIMEOUT
        )
    except requests.RequestException as exc:
        raise OidcError(502, "oidc_unavailable") from exc
    except Exception as exc:  # Authlib's OAuthError: the provider refused the code
        current_app.logger.info("OpenID provider refused the code: %r", exc)
        raise OidcError(401, "oidc_failed") from exc
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise OidcError(401, "oidc_token_invalid")
    return verify_token(id_token, config, doc, now=now, nonce=flow["n"])


def end_session_url(config: Settings) -> str | None:
    """Where the browser signs out at the provider too (None: the provider has no such
    endpoint), coming back to the staff app."""
    endpoint = metadata(config).get("end_session_endpoint")
    if not isinstance(endpoint, str):
        return None
    return str(
        requests.Request(
            "GET",
            endpoint,
            params={
                "client_id": config.client_id,
                "post_logout_redirect_uri": base_url() + "/staff",
            },
        )
        .prepare()
        .url
    )


# -- accounts --------------------------------------------------------------------------------


def _departments(session: Session, codes: Iterable[str]) -> list[Department]:
    codes = list(codes)
    found = list(session.scalars(select(Department).where(Department.code.in_(codes))))
    if len(found) != len(codes):
        known = {d.code for d in found}
        current_app.logger.warning(
            "OIDC_ROLE_MAP names unknown departments: %s",
            ", ".join(c for c in codes if c not in known),
        )
    return sorted(found, key=lambda d: d.code)


def _subject_user(session: Session, subject: str) -> User | None:
    return session.scalar(select(User).where(User.oidc_subject == subject))


def sign_in(session: Session, claims: dict, config: Settings, *, now: datetime) -> User:
    """The account of the person the claims describe, created or brought up to date with the
    role and departments their groups give; refused (403, sessions ended) when the groups give
    none or the account is deactivated."""
    subject = claims["sub"]
    user = _subject_user(session, subject)
    access = access_for(groups_of(claims), config.role_map)
    if access is None:
        if user is not None:
            sessions.end_all(session, user.id)
        raise OidcError(403, "oidc_no_role")
    email = claims.get("email") if isinstance(claims.get("email"), str) else None
    if user is None and email and claims.get("email_verified") is True:
        # An account made here before the city switched to its provider: linked by its
        # verified address, once.
        user = session.scalar(
            select(User).where(User.email == email.strip().lower(), User.oidc_subject.is_(None))
        )
    if user is not None and not user.active:
        sessions.end_all(session, user.id)
        raise OidcError(403, "oidc_account_inactive")
    if user is not None:
        user.oidc_subject = subject
    departments = _departments(session, access.departments)
    name = claims.get("name") if isinstance(claims.get("name"), str) else None
    if user is None:
        address = email or f"{hashlib.sha256(subject.encode()).hexdigest()[:16]}@oidc.invalid"
        if session.scalar(select(User.id).where(User.email == address.strip().lower())):
            raise OidcError(409, "oidc_email_taken")
        user = User(
            email=address.strip().lower()[:254],
            name=(name or address)[:200],
            role=access.role,
            citywide=access.citywide,
            # No password: this account signs in at the provider only.
            password_hash="!",
            oidc_subject=subject,
            departments=departments,
            created_at=now,
            lang="de",
            active=True,
        )
        session.add(user)
    else:
        before = (user.role, user.citywide, tuple(d.id for d in user.departments))
        user.role, user.citywide, user.departments = access.role, access.citywide, departments
        if name:
            user.name = name[:200]
        if before != (user.role, user.citywide, tuple(d.id for d in user.departments)):
            # What the old sessions were opened as is no more (as with an admin's change).
            sessions.end_all(session, user.id)
    user.last_login_at = now
    session.flush()
    return user


def back_channel_logout(session: Session, claims: dict) -> int:
    """The provider logged a person out: with a `sid`, end the sessions made from that
    session at the provider only (the person's other browsers stay signed in); without, every
    session of the person. How many ended."""
    subject, sid = claims.get("sub"), claims.get("sid")
    user = _subject_user(session, subject) if isinstance(subject, str) and subject else None
    if isinstance(sid, str) and sid:
        query = delete(StaffSession).where(StaffSession.oidc_sid == sid)
        if user is not None:
            query = query.where(StaffSession.user_id == user.id)
        elif subject:
            return 0  # a subject we do not know: nothing of theirs here
        return session.execute(query).rowcount or 0
    return sessions.end_all(session, user.id) if user is not None else 0


def remember_provider_session(row: StaffSession, claims: dict) -> None:
    """Note on our new session that it came from the provider, and from which of its
    sessions (the ID token's `sid`, for a back-channel logout naming it)."""
    sid = claims.get("sid")
    row.via_oidc = True
    row.oidc_sid = sid[:255] if isinstance(sid, str) and sid else None
