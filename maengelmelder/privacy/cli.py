"""`maengelmelder privacy …`: retention by hand or from cron, erasure on request, the privacy
pass over photos stored before it existed."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from ..clock import now
from ..core.models import Photo, Report
from ..core.settings import retention_settings
from ..extensions import db
from ..storage import storage
from . import photos, service


@click.group("privacy")
def privacy_group() -> None:
    """Personal data: retention, erasure and the privacy pass of photos."""


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


SCAN_BATCH = 200


@privacy_group.command("scan")
@click.option("--all", "everything", is_flag=True, help="Every photo without a finished pass.")
@click.argument("public_ids", nargs=-1)
@with_appcontext
def scan_command(everything: bool, public_ids: tuple[str, ...]) -> None:
    """Run the privacy pass now over photos: with --all over every photo without a finished
    pass (stored before the pass existed, or failed), else over the named reports' photos."""
    if everything == bool(public_ids):
        raise click.UsageError("Either --all or report ids / entweder --all oder Meldungen")
    session, media = db.session, storage()
    total = photos.Scanned()
    if public_ids:
        ids = list(
            session.scalars(
                select(Photo.id)
                .join(Report, Report.id == Photo.report_id)
                .where(Report.public_id.in_(public_ids))
                .order_by(Photo.id)
            )
        )
        total = photos.scan(session, ids, storage=media, now=now())
    else:
        after = 0
        while batch := photos.unscanned(session, after, SCAN_BATCH):
            session.rollback()
            done = photos.scan(session, batch, storage=media, now=now())
            for name in ("photos", "faces", "plates", "failed"):
                setattr(total, name, getattr(total, name) + getattr(done, name))
            after = batch[-1]
    lines = total.lines()
    click.echo(lines["de"])
    click.echo(lines["en"])
