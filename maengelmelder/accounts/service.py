"""Staff accounts and API tokens: create, authenticate, change, revoke."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..core.catalog import Department
from ..errors import ApiError, field_error
from . import sessions, throttle
from .models import ROLES, ApiToken, User

PASSWORD_MIN = 12
TOKEN_PREFIX = "mm_"


@lru_cache(maxsize=8)
def _dummy_hash(method: str) -> str:
    """Checked against when the e-mail is no account, so every try costs one hash computation
    of the configured kind."""
    return generate_password_hash("not the password of anyone", method=method)


@dataclass(frozen=True)
class Principal:
    """Who is acting: a logged-in user or an API token, with role and departments."""

    kind: str  # "user" | "token"
    id: int
    name: str
    role: str
    citywide: bool
    department_ids: frozenset[int]
    # API tokens only: a trusted source (its reports are public at once), and its prefix.
    trusted: bool = False
    prefix: str | None = None

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.id}"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def covers(self, department_id: int) -> bool:
        """May see and work on tickets of this department."""
        return self.is_admin or self.citywide or department_id in self.department_ids

    def member_of(self, department_id: int) -> bool:
        """Belongs to this department (e.g. may read its reporters' e-mail addresses)."""
        return department_id in self.department_ids


def principal_for_user(user: User) -> Principal:
    return Principal(
        "user",
        user.id,
        user.name,
        user.role,
        user.citywide,
        frozenset(d.id for d in user.departments),
    )


def _departments(session: Session, codes: Iterable[str]) -> list[Department]:
    codes = list(dict.fromkeys(codes))
    found = {
        d.code: d for d in session.scalars(select(Department).where(Department.code.in_(codes)))
    }
    missing = [c for c in codes if c not in found]
    if missing:
        raise field_error("departments", "unknown_department", value=missing[0])
    return [found[c] for c in codes]


def check_password_rules(password: str) -> None:
    if len(password) < PASSWORD_MIN:
        raise field_error("password", "password_too_short", min=PASSWORD_MIN)


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    role: str,
    password: str,
    departments: Iterable[str] = (),
    citywide: bool = False,
    now: datetime,
    hash_method: str = "scrypt",
    lang: str = "de",
) -> User:
    """Create a staff account; e-mail addresses are unique, case-insensitively."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    check_password_rules(password)
    email = email.strip().lower()
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise field_error("email", "user_exists", status=409)
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        citywide=citywide,
        password_hash=generate_password_hash(password, method=hash_method),
        departments=_departments(session, departments),
        created_at=now,
        lang=lang,
        active=True,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(
    session: Session,
    email: str,
    password: str,
    *,
    address: str | None,
    now: datetime,
    rules: throttle.Rules,
    secret_key: str,
    hash_method: str = "scrypt",
) -> User:
    """The user with this e-mail and password, or the one `401 login_failed`.

    An unknown address, a wrong password, a deactivated account and a try that must wait
    (throttle) all answer alike and cost one password hash each, so neither the answer nor
    its timing tells whether an account exists. Failures count per (address as typed,
    client network): a stranger's wrong guesses slow down the stranger, not the owner.
    """
    email = email.strip().lower()
    network = throttle.network_key(address)
    key = throttle.key_of(email, network, secret_key)
    user = session.scalar(select(User).where(User.email == email))
    known = user is not None and user.active
    stored = user.password_hash if known else _dummy_hash(hash_method)
    right = check_password_hash(stored, password)
    if throttle.blocked(session, key, now=now):
        # Refused without counting: waiting out the delay is all it takes.
        raise ApiError(401, "login_failed")
    if known and right:
        throttle.forget(session, key)
        user.last_login_at = now
        session.flush()
        return user
    throttle.record_failure(
        session,
        key,
        user_id=user.id if user is not None else None,
        network=network,
        now=now,
        rules=rules,
    )
    session.flush()
    raise ApiError(401, "login_failed")


def change_password(
    session: Session, user: User, current: str, new: str, *, hash_method: str = "scrypt"
) -> int:
    """Set a new password; every session of the user ends. Returns how many ended."""
    if not check_password_hash(user.password_hash, current):
        raise field_error("current_password", "password_wrong", status=403)
    check_password_rules(new)
    user.password_hash = generate_password_hash(new, method=hash_method)
    session.flush()
    return sessions.end_all(session, user.id)


# Changing any of these ends the account's sessions: what a session was opened as is no more.
_ACCESS = ("role", "departments", "citywide", "active")


def update_user(
    session: Session, user_id: int, changes: dict[str, Any], *, acting_user_id: int | None
) -> tuple[User, int]:
    """An admin changes an account; returns it and how many of its sessions ended.

    A change of role, departments, city-wide scope or a deactivation ends every session of
    the account. Admins cannot take their own admin role or account away (someone must be
    left to give it back).
    """
    user = session.get(User, user_id) if 0 < user_id < 2**31 else None
    if user is None:
        raise ApiError(404, "user_not_found")
    if user.id == acting_user_id and (
        changes.get("active") is False or changes.get("role", "admin") != "admin"
    ):
        raise ApiError(409, "own_account")
    before = _access(user)
    if "departments" in changes:
        user.departments = _departments(session, changes.pop("departments"))
    for field in ("name", "role", "citywide", "active", "lang"):
        if field in changes:
            value = changes[field]
            setattr(user, field, value.strip() if isinstance(value, str) else value)
    session.flush()
    ended = sessions.end_all(session, user.id) if _access(user) != before else 0
    return user, ended


def _access(user: User) -> tuple:
    return (user.role, tuple(sorted(d.id for d in user.departments)), user.citywide, user.active)


def end_sessions(session: Session, user_id: int) -> int:
    """An admin ends every session of an account; returns how many."""
    user = session.get(User, user_id) if 0 < user_id < 2**31 else None
    if user is None:
        raise ApiError(404, "user_not_found")
    return sessions.end_all(session, user.id)


def token_hash(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def create_token(
    session: Session,
    *,
    name: str,
    role: str,
    departments: Iterable[str] = (),
    citywide: bool = False,
    trusted: bool = False,
    now: datetime,
) -> tuple[ApiToken, str]:
    """A new API token; the plaintext is returned once and never stored."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name.strip(),
        prefix=plaintext[:10],
        token_hash=token_hash(plaintext),
        role=role,
        citywide=citywide,
        trusted=trusted,
        departments=_departments(session, departments),
        created_at=now,
    )
    session.add(token)
    session.flush()
    return token, plaintext


def find_token(session: Session, token_id: int) -> ApiToken:
    # ids beyond the integer column exist nowhere (and the database would refuse them)
    token = session.get(ApiToken, token_id) if 0 < token_id < 2**31 else None
    if token is None:
        raise ApiError(404, "token_not_found")
    return token


def set_token_trusted(session: Session, token_id: int, trusted: bool) -> ApiToken:
    """Mark a token trusted (its reports are public at once from now on) or not."""
    token = find_token(session, token_id)
    token.trusted = trusted
    session.flush()
    return token


def revoke_token(session: Session, token_id: int, *, now: datetime) -> ApiToken:
    token = find_token(session, token_id)
    token.revoked_at = token.revoked_at or now
    session.flush()
    return token


def principal_for_token(session: Session, plaintext: str) -> Principal | None:
    """The principal an API token stands for, or None for an unknown or revoked token."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(plaintext)))
    if token is None or token.revoked_at is not None:
        return None
    return Principal(
        "token",
        token.id,
        token.name,
        token.role,
        token.citywide,
        frozenset(d.id for d in token.departments),
        trusted=token.trusted,
        prefix=token.prefix,
    )


def actor_names(session: Session, actors: Iterable[str | None]) -> dict[str, str]:
    """Display names for recorded actors: "user:3" is the user's name, "token:2" the token's.

    Actors recorded without an account ("citizen", "system", an unknown id) are left out;
    callers show the raw actor for those.
    """
    wanted: dict[str, set[int]] = {"user": set(), "token": set()}
    for actor in actors:
        kind, _, ident = (actor or "").partition(":")
        if kind in wanted and ident.isdigit():
            wanted[kind].add(int(ident))
    names: dict[str, str] = {}
    for kind, model in (("user", User), ("token", ApiToken)):
        if wanted[kind]:
            rows = session.execute(select(model.id, model.name).where(model.id.in_(wanted[kind])))
            names.update({f"{kind}:{ident}": name for ident, name in rows})
    return names
