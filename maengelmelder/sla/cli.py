"""`maengelmelder sla …`: the board's kept figures checked against, or rebuilt from, the reports."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..extensions import db
from . import figures


@click.group("sla")
def sla_group() -> None:
    """The SLA board's figures."""


@sla_group.command("check-figures")
@with_appcontext
def check_figures() -> None:
    """Recount the figures from the reports and compare; exit status 1 when they differ."""
    stored, counted = figures.stored(db.session), figures.recount(db.session)
    differing = sorted(k for k in stored.keys() | counted.keys() if stored.get(k) != counted.get(k))
    if not differing:
        click.echo(f"figures agree with the reports: {len(counted)} rows")
        return
    for key in differing[:20]:
        click.echo(f"{key}: stored {stored.get(key)}, recounted {counted.get(key)}")
    raise click.ClickException(
        f"{len(differing)} rows differ; `maengelmelder sla rebuild-figures` recounts them / "
        f"{len(differing)} Zeilen weichen ab; `maengelmelder sla rebuild-figures` zählt neu"
    )


@sla_group.command("rebuild-figures")
@with_appcontext
def rebuild_figures() -> None:
    """Replace the figures by a recount from the reports (in one transaction)."""
    rows = figures.rebuild(db.session)
    db.session.commit()
    click.echo(f"figures rebuilt: {rows} rows")
