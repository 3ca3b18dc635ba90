"""`maengelmelder zones …` and `maengelmelder rules …`: thin calls into the zoning service."""

from __future__ import annotations

import json
from pathlib import Path

import click
import yaml
from flask.cli import with_appcontext

from ..clock import now
from ..extensions import db
from . import service
from .geometry import ZoningError, parse_feature_collection


def _fail(exc: ZoningError) -> None:
    db.session.rollback()
    raise click.ClickException(f"{exc.message['de']}\n{exc.message['en']}")


def read_rule_file(path: Path) -> dict:
    """A rule set from YAML or JSON (JSON is YAML, but its errors read better as JSON)."""
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise click.ClickException(f"{path}: {exc}") from exc
    if not isinstance(data, dict):
        raise click.ClickException(f"{path}: not a rule set (expected a mapping)")
    return data


@click.group("zones")
def zones_group() -> None:
    """Zones of the city (GeoJSON, WGS84)."""


@zones_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", required=True, help="Kind of the zones, e.g. district or park.")
@click.option("--make-valid", is_flag=True, help="Repair invalid polygons instead of refusing.")
@click.option("--id-property", default="id", show_default=True)
@click.option("--name-property", default="name", show_default=True)
@with_appcontext
def zones_import(file: Path, kind: str, make_valid: bool, id_property: str, name_property: str):
    """Make the zones of KIND exactly those in FILE (idempotent by feature id)."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{file}: not JSON: {exc}") from exc
    try:
        shapes = parse_feature_collection(
            data,
            kind=kind,
            make_valid=make_valid,
            id_property=id_property,
            name_property=name_property,
        )
        result = service.import_zones(db.session, shapes, kind=kind, now=now())
    except ZoningError as exc:
        _fail(exc)
    db.session.commit()
    for label, keys in (("added", result.added), ("changed", result.changed)):
        for key in keys:
            click.echo(f"{label:9} {key}")
    for key in result.removed:
        click.echo(f"removed   {key}")
    summary = result.summary()
    click.echo(", ".join(f"{v} {k}" for k, v in summary.items()))


@click.group("rules")
def rules_group() -> None:
    """Routing rules: which department is responsible for what, where."""


def _moves_table(moves: list[service.Move]) -> None:
    if not moves:
        click.echo("no open ticket would move")
        return
    click.echo(f"{'ticket':<13} {'category':<18} {'from':<16} {'to':<16} rule")
    for m in moves:
        click.echo(
            f"{m.public_id:<13} {m.category:<18} {m.from_department:<16} "
            f"{m.to_department:<16} {m.rule_id or '(fallback)'}"
        )
    click.echo(f"{len(moves)} open tickets would move")


@rules_group.command("dry-run")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def rules_dry_run(file: Path) -> None:
    """Show which open tickets FILE would move, changing nothing."""
    try:
        rule_set = service.validate_rule_set(db.session, read_rule_file(file))
        moves, _, _ = service.plan_moves(db.session, rule_set)
    except ZoningError as exc:
        _fail(exc)
    db.session.rollback()
    _moves_table(moves)


@rules_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--note", default=None, help="Why the rules changed.")
@with_appcontext
def rules_import(file: Path, note: str | None) -> None:
    """Store FILE as the new rule set version for new reports; open tickets stay."""
    try:
        stored = service.store_rule_set(
            db.session, read_rule_file(file), actor="cli", now=now(), note=note
        )
    except ZoningError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"rule set version {stored.version} stored")


@rules_group.command("apply")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--note", default=None, help="Why the rules changed.")
@with_appcontext
def rules_apply(file: Path, note: str | None) -> None:
    """Store FILE as the new rule set version and move open tickets to their new department."""
    try:
        stored, moves = service.apply_rule_set(
            db.session, read_rule_file(file), actor="cli", now=now(), note=note
        )
    except ZoningError as exc:
        _fail(exc)
    db.session.commit()
    _moves_table(moves)
    click.echo(f"rule set version {stored.version} in force")


@rules_group.command("show")
@with_appcontext
def rules_show() -> None:
    """Print the rule set in force as YAML."""
    rule_set = service.current_rule_set(db.session)
    click.echo(
        yaml.safe_dump(service.rule_set_to_dict(rule_set), sort_keys=False, allow_unicode=True)
    )
