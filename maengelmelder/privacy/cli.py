"""`maengelmelder privacy …`: retention by hand or from cron, erasure on request."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from ..clock import now
from ..core.settings import retention_settings
from ..extensions import db
from ..storage import storage
from . import service


@click.group("privacy")
def privacy_group() -> None:
    """Personal data: retention and erasure."""


@privacy_group.command("retention")
@with_appcontext
def retention_command() -> None:
    """Forget contact data and unpublished photos of tickets done longer than the retention time."""
    removed = service.retention(
        db.session,
        now=now(),
        days=retention_settings().days,
        storage=storage(),
        secret_key=current_app.config["SECRET_KEY"],
    )
    db.session.commit()
    _echo(removed)


def _echo(removed: service.Removed) -> None:
    lines = removed.lines()
    click.echo(lines["de"])
    click.echo(lines["en"])


@privacy_group.command("erase")
@click.argument("email")
@with_appcontext
def erase_command(email: str) -> None:
    """Remove an e-mail address everywhere (a data subject's erasure request); reports what went."""
    removed = service.erase(
        db.session, email, now=now(), secret_key=current_app.config["SECRET_KEY"]
    )
    db.session.commit()
    _echo(removed)
    if removed.reports:
        click.echo("Meldungen / reports: " + ", ".join(removed.reports))
