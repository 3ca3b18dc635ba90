"""Staff users, their departments, their sessions and login throttles, and API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.catalog import Department
from ..extensions import db
from ..types import UTCDateTime

ROLES = ("crew", "supervisor", "admin")

user_departments = Table(
    "user_departments",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True),
)

token_departments = Table(
    "token_departments",
    db.metadata,
    Column("token_id", ForeignKey("api_tokens.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True),
)


class User(db.Model):
    """A member of the city's staff: crew, supervisor or admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    # A supervisor (or crew) for the whole city rather than for some departments.
    citywide: Mapped[bool] = mapped_column(Boolean, default=False)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    lang: Mapped[str] = mapped_column(String(2), default="de")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The identity provider's `sub` of an account that signs in with OpenID Connect (its
    # role and departments then come from the provider's groups at each sign-in).
    oidc_subject: Mapped[str | None] = mapped_column(String(255), unique=True)

    departments: Mapped[list[Department]] = relationship(
        secondary=user_departments, lazy="selectin", order_by="Department.code"
    )


class ApiToken(db.Model):
    """A token for an integration; only its hash is stored, the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    citywide: Mapped[bool] = mapped_column(Boolean, default=False)
    # A trusted source: the reports it files are public at once (their photos after the
    # privacy pass), as an auto-publishing category's are.
    trusted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    departments: Mapped[list[Department]] = relationship(
        secondary=token_departments, lazy="selectin", order_by="Department.code"
    )


class StaffSession(db.Model):
    """A logged-in browser. The cookie holds a random secret; only its SHA-256 is stored.

    `device` and `network` let the owner tell their sessions apart ("Firefox on Linux",
    "203.0.113.0/24"): deliberately coarse, no full user agent and no full address, and the
    row goes when the session ends or expires.
    """

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Written at most once a minute (sessions.TOUCH_EVERY), not on every request.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The absolute end, however active the session is.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    device: Mapped[str] = mapped_column(String(64))
    network: Mapped[str] = mapped_column(String(64))
    # Signed in at the identity provider (not with a password), and the provider's session
    # id (`sid`) of that sign-in: a back-channel logout naming it ends this session only.
    via_oidc: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    oidc_sid: Mapped[str | None] = mapped_column(String(255), index=True)


class LoginThrottle(db.Model):
    """Failed logins for one e-mail address from one network, and the delay they earned.

    Keyed by a keyed hash of (address as typed, client network), so addresses that are no
    account are counted exactly like accounts without being stored; `user_id` is set when the
    address is an account, for the admins' list. Rows go a day after their last failure.
    """

    __tablename__ = "login_throttles"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    network: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer)
    first_failure_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SignInSettings(db.Model):
    """How staff sign in, as an admin chose it (one row, id 1; none yet: the app's settings
    `LOCAL_PASSWORDS` decides). Who changed it last, and when."""

    __tablename__ = "sign_in_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Staff may log in with a password; off: only the break-glass admins (BREAK_GLASS_EMAILS).
    local_passwords: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The admin's address as it was then (the account may be renamed or go), or the
    # API token's name.
    changed_by: Mapped[str] = mapped_column(String(254))
