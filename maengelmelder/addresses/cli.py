"""`maengelmelder addresses import FILE`: the city's addresses from its own data."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from ..city import city
from ..extensions import db
from .importer import AddressFileError, import_addresses

# How far beyond the city's boundary (its bounding box) an address may lie, in degrees.
MARGIN = 0.1
SHOWN_REFUSALS = 200


@click.group("addresses")
def addresses_group() -> None:
    """The city's street addresses (house coordinates or an OSM extract)."""


@addresses_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def addresses_import(file: Path) -> None:
    """Import FILE: house coordinates (CSV, ETRS89/UTM 32N) or GeoJSON with addr:* tags.

    Idempotent: a house already there (same street, number, addition, postcode) is updated.
    """
    x0, y0, x1, y1 = city().boundary.bounds
    area = (x0 - MARGIN, y0 - MARGIN, x1 + MARGIN, y1 + MARGIN)
    try:
        result = import_addresses(db.session, file.read_bytes(), area)
    except AddressFileError as exc:
        db.session.rollback()
        raise click.ClickException(f"{file}: {exc.message['de']}\n{exc.message['en']}") from exc
    db.session.commit()
    for refusal in result.refused[:SHOWN_REFUSALS]:
        click.echo(f"refused   line {refusal.line}: {refusal.reason}")
    if len(result.refused) > SHOWN_REFUSALS:
        click.echo(f"… and {len(result.refused) - SHOWN_REFUSALS} more refused")
    click.echo(result.summary())
    if result.read == 0:
        raise click.ClickException("Keine Adresse gelesen / no address could be read")
