"""The `maengelmelder` command: Flask's CLI with the project's command groups."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from .extensions import db


def _create_app():
    from .app import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False)
def main() -> None:
    """maengelmelder: defect reports for cities."""


@click.group("demo")
def demo_group() -> None:
    """The demo city Musterstadt."""


@demo_group.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when departments already exist.")
@with_appcontext
def demo_load(if_empty: bool) -> None:
    """Create or update the demo city's departments, categories and zones (idempotent)."""
    from sqlalchemy import select

    from .catalog.models import Department
    from .demo import load_demo

    if if_empty and db.session.scalar(select(Department.id).limit(1)) is not None:
        click.echo("demo city not loaded: the database already has departments")
        return
    counts = load_demo(db.session)
    db.session.commit()
    click.echo("demo city loaded: " + ", ".join(f"{v} {k}" for k, v in counts.items()))


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="gunicorn workers")
@click.option("--threads", default=4, show_default=True, type=int, help="threads per worker")
@click.option("--debug", is_flag=True, help="Flask's development server with reloader")
@with_appcontext
def serve(host: str, port: int, workers: int, threads: int, debug: bool) -> None:
    """Serve the app with gunicorn (or the development server with --debug)."""
    from flask import current_app

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if debug:
        app.run(host=host, port=port, debug=True)
        return
    _gunicorn(app, host, port, workers, threads)


def _gunicorn(app: Flask, host: str, port: int, workers: int, threads: int) -> None:
    from gunicorn.app.base import BaseApplication

    class _Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("accesslog", "-")

        def load(self):
            return app

    click.echo(f"serving on http://{host}:{port}")
    _freeze_startup_objects()
    _Server().run()


def _freeze_startup_objects() -> None:
    """Keep what the app built at start out of the workers' garbage collections.

    The master has imported everything and built the app (SQLAlchemy mappers, the zoning
    engine, templates) before it forks. Without this, every full collection in a worker walks
    all of that again: under load about every 2 s, 85–155 ms each with the GIL held, so every
    request of that worker waited. Frozen objects are never collected, which is right for
    objects that live as long as the process (and their pages stay shared between workers).
    """
    import gc

    gc.collect()
    gc.freeze()


@click.command("worker")
@click.option("--burst", is_flag=True, help="Work off the queue, then stop.")
@with_appcontext
def worker(burst: bool) -> None:
    """Run an rq worker (with its scheduler) against MAENGELMELDER_REDIS_URL."""
    from flask import current_app

    from .jobs import work

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config.get("REDIS_URL"):
        raise click.ClickException(
            "MAENGELMELDER_REDIS_URL is not set; without Redis, `serve` runs jobs in-process."
        )
    work(app, burst=burst)


def register_commands(app: Flask) -> None:
    from .accounts.cli import tokens_group, users_group
    from .privacy.cli import privacy_group
    from .sla.cli import sla_group
    from .tickets.cli import tickets_group
    from .zoning.cli import rules_group, zones_group

    app.cli.add_command(demo_group)
    app.cli.add_command(zones_group)
    app.cli.add_command(rules_group)
    app.cli.add_command(users_group)
    app.cli.add_command(tokens_group)
    app.cli.add_command(tickets_group)
    app.cli.add_command(privacy_group)
    app.cli.add_command(sla_group)
    app.cli.add_command(worker)
    app.cli.add_command(serve)
