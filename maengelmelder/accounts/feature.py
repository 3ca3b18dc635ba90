"""Staff accounts: sign-in, sessions, users and API tokens.

The feature's wiring: what it adds to an app.
"""

from __future__ import annotations

from flask import Flask

from ..jobs import Recurring, add_recurring
from ..web.api import register
from . import auth, oidc, oidc_admin, oidc_routes
from .cli import tokens_group, users_group
from .jobs import purge
from .routes import bp


def init_app(app: Flask) -> None:
    try:
        oidc.parse_role_map(app.config.get("OIDC_ROLE_MAP") or "")
    except ValueError as exc:  # a mistyped map stops the start, not a sign-in
        raise RuntimeError(f"MAENGELMELDER_{exc}") from exc
    auth.init_app(app)
    register(app, bp)
    register(app, oidc_routes.bp)
    register(app, oidc_admin.bp)
    app.cli.add_command(users_group)
    app.cli.add_command(tokens_group)
    add_recurring(
        app,
        Recurring("accounts-purge", purge, 3600),
    )
