"""`maengelmelder tickets …`: housekeeping by hand or from cron."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..core.settings import ticket_settings
from ..extensions import db
from . import service
from .jobs import _change


@click.group("tickets")
def tickets_group() -> None:
    """Ticket housekeeping."""


@tickets_group.command("close-quiet")
@with_appcontext
def close_quiet() -> None:
    """Close resolved tickets nobody reopened within the quiet period."""
    closed = service.close_quiet(
        db.session, _change(), quiet_days=ticket_settings().auto_close_days
    )
    db.session.commit()
    click.echo(f"{len(closed)} tickets closed" + (": " + ", ".join(closed) if closed else ""))


@tickets_group.command("followups")
@with_appcontext
def followups() -> None:
    """Ask reporters whether their resolved report is really fixed."""
    asked = service.send_followups(
        db.session, _change(), after_days=ticket_settings().followup_days
    )
    db.session.commit()
    click.echo(f"{len(asked)} follow-ups queued")
