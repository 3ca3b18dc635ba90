"""`maengelmelder users …` and `maengelmelder tokens …`."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from ..clock import now
from ..errors import ApiError
from ..extensions import db
from . import service
from .models import ROLES


def _fail(exc: ApiError) -> None:
    db.session.rollback()
    details = "; ".join(
        f"{field}: {m[0]['en'] if isinstance(m, list) else m}"
        for field, m in (exc.fields or {}).items()
    )
    raise click.ClickException(f"{exc.message['en']} {details}".strip())


@click.group("users")
def users_group() -> None:
    """Staff accounts."""


@users_group.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--department", "departments", multiple=True, help="Department code; repeatable.")
@click.option("--citywide", is_flag=True, help="Supervisor (or crew) for the whole city.")
@click.option("--lang", default="de", type=click.Choice(["de", "en"]))
@click.password_option("--password", help="At least 12 characters; asked for if not given.")
@with_appcontext
def users_create(email, name, role, departments, citywide, lang, password) -> None:
    """Create a staff account."""
    try:
        user = service.create_user(
            db.session,
            email=email,
            name=name,
            role=role,
            password=password,
            departments=departments,
            citywide=citywide,
            lang=lang,
            now=now(),
            hash_method=current_app.config["PASSWORD_HASH_METHOD"],
        )
    except ApiError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"user {user.id} {user.email} ({user.role}) created")


@click.group("tokens")
def tokens_group() -> None:
    """API tokens for integrations."""


@tokens_group.command("create")
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--department", "departments", multiple=True, help="Department code; repeatable.")
@click.option("--citywide", is_flag=True)
@click.option("--trusted", is_flag=True, help="Its reports are public at once.")
@with_appcontext
def tokens_create(name, role, departments, citywide, trusted) -> None:
    """Create a token and print it once."""
    try:
        token, plaintext = service.create_token(
            db.session,
            name=name,
            role=role,
            departments=departments,
            citywide=citywide,
            trusted=trusted,
            now=now(),
        )
    except ApiError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"token {token.id} created; it is shown only now:")
    click.echo(plaintext)


@tokens_group.command("revoke")
@click.argument("token_id", type=int)
@with_appcontext
def tokens_revoke(token_id: int) -> None:
    """Revoke a token."""
    try:
        service.revoke_token(db.session, token_id, now=now())
    except ApiError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"token {token_id} revoked")
