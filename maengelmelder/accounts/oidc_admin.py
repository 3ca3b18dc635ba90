"""The admins' choice of how staff sign in: passwords on, or off except for the break-glass
admins (`BREAK_GLASS_EMAILS`, a setting of the server: who may still get in when the provider
is down is not for the web app to change). Stored in one row; until an admin chooses,
`LOCAL_PASSWORDS` decides. Every change names who made it and when."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields
from sqlalchemy.orm import Session

from ..clock import now
from ..errors import ApiError
from ..extensions import db
from ..web.api import Blueprint
from ..web.schemas import Out, Time
from . import oidc
from .auth import admin_required, authenticated, current_session
from .models import SignInSettings, User

bp = Blueprint(
    "sign_in_admin",
    __name__,
    description="How staff sign in: the admins switch password sign-in on or off.",
)

PATH = "/api/v1/admin/sign-in"


class SignInAdmin(Out):
    oidc = fields.Boolean(metadata={"description": "A work-account provider is set up."})
    issuer = fields.String(allow_none=True, metadata={"description": "The provider's issuer."})
    local_passwords = fields.Boolean(
        metadata={"description": "Staff may log in with a password (else only break-glass)."}
    )
    break_glass_emails = fields.List(
        fields.String(),
        metadata={"description": "Admins who may always use a password (a server setting)."},
    )
    chosen = fields.Boolean(
        metadata={"description": "An admin chose (false: the server's setting applies)."}
    )
    changed_at = Time(allow_none=True)
    changed_by = fields.String(
        allow_none=True, metadata={"description": "the admin's e-mail or API token's name"}
    )


class SignInChange(Schema):
    class Meta:
        unknown = RAISE

    local_passwords = fields.Boolean(
        required=True, metadata={"description": "Staff may log in with a password."}
    )


def _state(session: Session) -> dict:
    config = oidc.settings()
    chosen = oidc.chosen_sign_in(session)
    return {
        "oidc": config is not None,
        "issuer": config.issuer if config is not None else None,
        "local_passwords": oidc.local_passwords_on(session),
        "break_glass_emails": sorted(oidc.break_glass_emails()),
        "chosen": chosen is not None,
        "changed_at": chosen.changed_at if chosen is not None else None,
        "changed_by": chosen.changed_by if chosen is not None else None,
    }


def set_local_passwords(
    session: Session, admin: User | None, by: str, on: bool, *, via_oidc: bool
) -> None:
    """Switch password sign-in for staff (`admin` None: an admin's API token, named `by`);
    refused when nobody could sign in any more without one (no provider), or when the acting
    admin would lock themselves out."""
    if not on:
        if oidc.settings() is None:
            raise ApiError(409, "passwords_needed_no_provider")
        person_locked_out = (
            admin is not None
            and not via_oidc
            and admin.email.strip().lower() not in oidc.break_glass_emails()
        )
        if person_locked_out:
            raise ApiError(409, "passwords_needed_own_access")
    row = oidc.chosen_sign_in(session)
    if row is None:
        row = SignInSettings(id=1)
        session.add(row)
    row.local_passwords = on
    row.changed_at = now()
    row.changed_by_id = admin.id if admin is not None else None
    row.changed_by = by[:254]
    session.flush()


@bp.get(PATH)
@admin_required
@bp.response(200, SignInAdmin, description="How staff sign in.")
def sign_in_admin():
    """How staff sign in: the provider, whether passwords are on, the break-glass admins and
    who last changed it."""
    return _state(db.session)


@bp.put(PATH)
@admin_required
@bp.arguments(SignInChange)
@bp.response(200, SignInAdmin, description="Changed.")
@bp.errors(409)
def change_sign_in(args: dict):
    """Switch password sign-in for staff on or off (off: only the break-glass admins).

    `409` `passwords_needed_no_provider` when no work-account provider is set up;
    `409` `passwords_needed_own_access` when the acting admin signed in with a password and
    is no break-glass admin (they would lock themselves out)."""
    principal = authenticated()
    admin = db.session.get(User, principal.id) if principal.kind == "user" else None
    by = admin.email if admin is not None else f"API token {principal.name}"
    row = current_session()
    on = args["local_passwords"]
    set_local_passwords(db.session, admin, by, on, via_oidc=bool(row and row.via_oidc))
    db.session.commit()
    return _state(db.session)
