"""Staff accounts and API tokens: create, authenticate, throttle, revoke."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..catalog.models import Department
from ..clock import BERLIN
from ..errors import ApiError, field_error
from .models import ROLES, ApiToken, User

PASSWORD_MIN = 12
TOKEN_PREFIX = "mm_"
# Checked against when the e-mail is unknown, so both paths cost one hash computation.
_DUMMY_HASH = generate_password_hash("not the password of anyone", method="scrypt")


@dataclass(frozen=True)
class Principal:
    """Who is acting: a logged-in user or an API token, with role and departments."""

    kind: str  # "user" | "token"
    id: int
    name: str
    role: str
    citywide: bool
    department_ids: frozenset[int]

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
        failed_logins=0,
        session_version=1,
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
    now: datetime,
    max_failures: int = 5,
    lock_minutes: int = 15,
) -> User:
    """The user with this e-mail and password; counts failures and locks the account."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        raise ApiError(401, "login_failed")
    if user.locked_until is not None and user.locked_until > now:
        until = user.locked_until.astimezone(BERLIN).strftime("%H:%M")
        retry = max(1, int((user.locked_until - now).total_seconds()))
        raise ApiError(429, "account_locked", headers={"Retry-After": str(retry)}, until=until)
    if not check_password_hash(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= max_failures:
            user.locked_until = now + timedelta(minutes=lock_minutes)
            user.failed_logins = 0
        session.flush()
        raise ApiError(401, "login_failed")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    session.flush()
    return user


def change_password(
    session: Session, user: User, current: str, new: str, *, hash_method: str = "scrypt"
) -> None:
    """Set a new password; every other session of the user ends."""
    if not check_password_hash(user.password_hash, current):
        raise field_error("current_password", "password_wrong", status=403)
    check_password_rules(new)
    user.password_hash = generate_password_hash(new, method=hash_method)
    user.session_version += 1
    session.flush()


def token_hash(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def create_token(
    session: Session,
    *,
    name: str,
    role: str,
    departments: Iterable[str] = (),
    citywide: bool = False,
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
        departments=_departments(session, departments),
        created_at=now,
    )
    session.add(token)
    session.flush()
    return token, plaintext


def revoke_token(session: Session, token_id: int, *, now: datetime) -> ApiToken:
    # ids beyond the integer column exist nowhere (and the database would refuse them)
    token = session.get(ApiToken, token_id) if 0 < token_id < 2**31 else None
    if token is None:
        raise ApiError(404, "token_not_found")
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
