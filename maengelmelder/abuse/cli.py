"""`maengelmelder blocklist …`: the block list from the command line."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import IntegrityError

from ..clock import isoformat, now
from ..errors import ApiError
from ..extensions import db
from . import service


def _fail(exc: ApiError) -> None:
    db.session.rollback()
    details = "; ".join(
        f"{field}: {m[0]['en'] if isinstance(m, list) else m}"
        for field, m in (exc.fields or {}).items()
    )
    raise click.ClickException(f"{exc.message['en']} {details}".strip())


@click.group("blocklist")
def blocklist_group() -> None:
    """Blocked sender addresses and domains: their reports wait for moderation."""


@blocklist_group.command("add")
@click.argument("pattern")
@click.option("--reason", default=None, help="Why (at most 200 characters).")
@with_appcontext
def blocklist_add(pattern: str, reason: str | None) -> None:
    """Block an address (name@example.org) or a domain with its subdomains (@example.org)."""
    if reason is not None and len(reason) > 200:
        raise click.BadParameter("at most 200 characters", param_hint="--reason")
    try:
        entry = service.add_blocked(db.session, pattern, reason=reason, actor="cli", now=now())
        db.session.commit()
    except ApiError as exc:
        _fail(exc)
    except IntegrityError:
        db.session.rollback()
        _fail(service.duplicate_on_commit(service.normalize_pattern(pattern)))
    click.echo(f"blocked {entry.pattern}")


@blocklist_group.command("remove")
@click.argument("pattern")
@with_appcontext
def blocklist_remove(pattern: str) -> None:
    """Take an address or a domain off the block list."""
    try:
        entry = service.find_blocked(db.session, pattern)
        service.remove_blocked(db.session, entry.id)
    except ApiError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"removed {entry.pattern}")


@blocklist_group.command("list")
@with_appcontext
def blocklist_list() -> None:
    """Every entry: pattern, since when, by whom, why."""
    entries = service.list_blocked(db.session)
    for entry in entries:
        reason = f"  {entry.reason}" if entry.reason else ""
        click.echo(f"{entry.pattern}\t{isoformat(entry.created_at)}\t{entry.created_by}{reason}")
    if not entries:
        click.echo("the block list is empty")
