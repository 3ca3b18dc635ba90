"""The accounts' API shapes: logging in, one's own sessions, and the admin's users, login
throttles and API tokens, in and out."""

from __future__ import annotations

from dataclasses import dataclass

from marshmallow import RAISE, Schema, fields, validate

from .. import paging
from ..clock import isoformat
from ..web.schemas import Out, Time
from . import sessions
from .auth import current_session, session_policy
from .models import ROLES
from .models import ApiToken as TokenRow
from .models import StaffSession as SessionRow

# -- in -----------------------------------------------------------------------------------------


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
    trusted = fields.Boolean(
        load_default=False,
        metadata={"description": "its reports are public at once (photos after the privacy pass)"},
    )


class TokenChange(Schema):
    class Meta:
        unknown = RAISE

    trusted = fields.Boolean(
        required=True,
        metadata={"description": "its reports are public at once (photos after the privacy pass)"},
    )


# Staff accounts and API tokens: a city's fit in one page; the page has a maximum all the same.
UserPageArgs = paging.page_args("UserPageArgs", 500, 1000)
TokenPageArgs = paging.page_args("TokenPageArgs", 500, 1000)


# -- out ----------------------------------------------------------------------------------------


class Codes(fields.List):
    """The codes of related rows (an account's departments), as a list of strings."""

    def __init__(self, **kwargs) -> None:
        super().__init__(fields.String(), **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return [row.code for row in value]


class User(Out):
    """A staff account as admins and its owner see it (never the password hash)."""

    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    role = fields.String(validate=validate.OneOf(ROLES))
    citywide = fields.Boolean()
    lang = fields.String()
    active = fields.Boolean()
    departments = Codes()
    last_login_at = Time(allow_none=True)


class Login(Out):
    user = fields.Nested(User)
    csrf_token = fields.String()


class CsrfToken(Out):
    csrf_token = fields.String()


class Me(Out):
    class Meta(Out.Meta):
        description = "`user` and `csrf_token` only for a session login."

    kind = fields.String(validate=validate.OneOf(["user", "token"]))
    role = fields.String(validate=validate.OneOf(ROLES))
    name = fields.String()
    user = fields.Nested(User)
    csrf_token = fields.String()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("user", "csrf_token"):  # an API token has neither
            self.fields[name].required = False


def _expires_at(row: SessionRow) -> str | None:
    return isoformat(sessions.ends_at(row, session_policy()))


def _is_current(row: SessionRow) -> bool:
    current = current_session()
    return current is not None and row.id == current.id


class StaffSession(Out):
    """One of one's own sessions, coarsely: enough to tell them apart, nothing to track."""

    id = fields.Integer()
    created_at = Time()
    last_seen_at = Time(metadata={"description": "noted at most once a minute"})
    expires_at = fields.Function(
        _expires_at,
        metadata={
            "type": "string",
            "format": "date-time",
            "description": "when it ends unless used before: the idle timeout "
            "(MAENGELMELDER_SESSION_IDLE_MINUTES) or the absolute end "
            "(MAENGELMELDER_SESSION_HOURS after login), whichever comes first",
        },
    )
    device = fields.String(
        metadata={"description": 'browser and system only, e.g. "Firefox, Linux"'}
    )
    network = fields.String(
        metadata={
            "description": "the client's network only (IPv4 /24, IPv6 /48), never its address"
        }
    )
    current = fields.Function(
        _is_current, metadata={"type": "boolean", "description": "the session of this request"}
    )


class StaffSessions(Out):
    items = fields.List(fields.Nested(StaffSession))


class Ended(Out):
    ended = fields.Integer(metadata={"description": "how many sessions ended"})


class ThrottleAccount(Out):
    """The account a login throttle counts the failures of."""

    id = fields.Integer()
    email = fields.String()
    name = fields.String()


class LoginThrottle(Out):
    """Failed logins for one e-mail address from one network (a `throttle.Entry`)."""

    id = fields.Integer()
    user = fields.Nested(
        ThrottleAccount,
        allow_none=True,
        metadata={
            "description": "the account; null when the address typed is no account (it is "
            "not stored)"
        },
    )
    network = fields.String(metadata={"description": "IPv4 address (/32) or IPv6 /64"})
    failures = fields.Integer(metadata={"description": "failed tries counted in a row"})
    first_failure_at = Time()
    last_failure_at = Time()
    blocked_until = Time(
        allow_none=True,
        metadata={
            "description": "tries from this network for this address wait until then; null "
            "when they need not wait"
        },
    )


class LoginThrottles(Out):
    items = fields.List(fields.Nested(LoginThrottle))
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "the next page's `cursor`; null on the last"}
    )


class ApiToken(Out):
    """An API token as admins see it (never the token itself)."""

    id = fields.Integer()
    name = fields.String()
    prefix = fields.String()
    role = fields.String(validate=validate.OneOf(ROLES))
    citywide = fields.Boolean()
    trusted = fields.Boolean()
    departments = Codes()
    created_at = Time()
    revoked_at = Time(allow_none=True)


@dataclass(frozen=True)
class NewToken:
    """A token just created, and its secret: the one time it is there to show."""

    row: TokenRow
    secret: str


class ApiTokenCreated(ApiToken):
    """A `NewToken`: the API token and, this one time, the token itself."""

    token = fields.String(metadata={"description": "shown this one time only"})

    def get_attribute(self, obj: NewToken, attr: str, default):
        if attr == "token":
            return obj.secret
        return super().get_attribute(obj.row, attr, default)


# -- signing in with the identity provider ---------------------------------------------------


class SignInOptions(Out):
    oidc = fields.Boolean(metadata={"description": "Sign-in with a work account is set up."})
    local_passwords = fields.Boolean(
        metadata={"description": "Staff may log in with a password (else only break-glass admins)."}
    )


class OidcLogout(Out):
    end_session_url = fields.String(
        allow_none=True,
        metadata={"description": "Where the browser signs out at the provider too (null: none)."},
    )


class BackChannelLogoutIn(Schema):
    logout_token = fields.String(required=True, validate=validate.Length(min=1, max=16384))
