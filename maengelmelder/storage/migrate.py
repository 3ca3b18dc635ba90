"""`maengelmelder media migrate --to s3|local`: copy every photo file the database refers to
from one backend to the other, checked, and safe to run again.

Both backends come from the same settings: the folder MAENGELMELDER_MEDIA_DIR and the bucket
MAENGELMELDER_MEDIA_URL (with MAENGELMELDER_S3_ENDPOINT and the AWS_* credentials). The command
copies; it does not switch the running service, whose processes read their settings when they
start: the operator sets (or unsets) MAENGELMELDER_MEDIA_URL for every process, restarts them,
and runs the command once more to copy what was uploaded meanwhile (README: storage).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.models import Photo
from ..extensions import db
from .base import MediaStorage

BATCH = 1000


@dataclass
class Tally:
    copied: int = 0
    present: int = 0  # already in the target with the same checksum
    missing: int = 0  # referenced by the database, in neither backend
    mismatched: int = 0  # written, but the target's checksum differs

    def line(self) -> str:
        return (
            f"{self.copied} copied, {self.present} already there and equal, "
            f"{self.missing} missing in the source, {self.mismatched} failed the check"
        )


def referenced_names(session: Session) -> Iterator[str]:
    """Every file name the photos refer to (web and thumbnail of each key and original),
    read in batches by id: a million photos never sit in memory at once."""
    last = 0
    while True:
        rows = session.execute(
            select(Photo.id, Photo.storage_key, Photo.original_key)
            .where(Photo.id > last)
            .order_by(Photo.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        for _, key, original in rows:
            for stored in (key, original):
                if stored:
                    yield f"{stored}-web.jpg"
                    yield f"{stored}-thumb.jpg"
        last = rows[-1][0]
        session.rollback()  # no transaction held open between batches


def copy_all(session: Session, source: MediaStorage, target: MediaStorage) -> Tally:
    tally = Tally()
    for name in referenced_names(session):
        target_md5 = target.md5(name)
        try:
            data = source.read(name)
        except FileNotFoundError:
            if target_md5 is None:
                tally.missing += 1
                click.echo(f"missing: {name}", err=True)
            else:
                tally.present += 1  # only in the target already (a run after the switch)
            continue
        digest = hashlib.md5(data, usedforsecurity=False).hexdigest()
        if target_md5 == digest:
            tally.present += 1
            continue
        target.write(name, data)
        if target.md5(name) != digest:
            tally.mismatched += 1
            click.echo(f"check failed: {name}", err=True)
        else:
            tally.copied += 1
    return tally


@click.group("media")
def media_group() -> None:
    """Photo files: the local folder and S3-compatible object storage."""


@media_group.command("migrate")
@click.option("--to", "to", type=click.Choice(["s3", "local"]), required=True)
@with_appcontext
def migrate_command(to: str) -> None:
    """Copy every photo file from the folder to the bucket (--to s3) or back (--to local)."""
    from .local import LocalStorage
    from .s3 import S3Storage

    config = current_app.config
    if not config.get("MEDIA_URL"):
        raise click.ClickException(
            "MAENGELMELDER_MEDIA_URL (s3://bucket/prefix) names the bucket; set it for this "
            "command, with MAENGELMELDER_S3_ENDPOINT and the AWS_* credentials."
        )
    folder = LocalStorage(config["MEDIA_DIR"])
    bucket = S3Storage(
        config["MEDIA_URL"],
        endpoint=config.get("S3_ENDPOINT"),
        region=config.get("S3_REGION"),
        timeout=max(config.get("S3_TIMEOUT_SECONDS", 3.0), 10.0),  # a batch job: more patience
        attempts=max(config.get("S3_ATTEMPTS", 2), 4),
    )
    source, target = (folder, bucket) if to == "s3" else (bucket, folder)
    click.echo(f"copying from {source.describe()} to {target.describe()}")
    tally = copy_all(db.session, source, target)
    click.echo(tally.line())
    if tally.missing or tally.mismatched:
        raise click.ClickException("not every file arrived; see the lines above, then run again")
    if to == "s3":
        click.echo(
            f"To switch: set MAENGELMELDER_MEDIA_URL={config['MEDIA_URL']} (and the S3 settings) "
            "for every app and worker process, restart them, and run this command once more "
            "to copy what was uploaded meanwhile."
        )
    else:
        click.echo(
            f"To switch: unset MAENGELMELDER_MEDIA_URL for every app and worker process (photos "
            f"in {config['MEDIA_DIR']}), restart them, and run this command once more to copy "
            "what was uploaded meanwhile."
        )
