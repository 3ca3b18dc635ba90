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
@click.option(
    "--history",
    "history_reports",
    type=click.IntRange(min=0),
    default=0,
    help="Into an empty database: also a year of history with this many reports.",
)
@click.option(
    "--staff-accounts",
    is_flag=True,
    help="Into an empty database: also a crew member, a supervisor and an admin with random "
    "passwords, printed once.",
)
@click.option("--url", help="Where the app is served, for the printed staff link.")
@with_appcontext
def demo_load(if_empty: bool, history_reports: int, staff_accounts: bool, url: str | None) -> None:
    """Create or update the demo city's departments, categories and zones (idempotent)."""
    from flask import current_app
    from sqlalchemy import select

    from .clock import now
    from .core.catalog import Department
    from .demo import load_demo
    from .demo.staff import account_lines, create_demo_staff

    empty = db.session.scalar(select(Department.id).limit(1)) is None
    if if_empty and not empty:
        click.echo("demo city not loaded: the database already has departments")
        return
    counts = load_demo(db.session, addresses=True)
    # History and accounts only for a database that was empty: never for a real city's.
    summary = _history(reports=history_reports, seed=1) if empty and history_reports else None
    accounts = []
    if empty and staff_accounts:
        hash_method = current_app.config["PASSWORD_HASH_METHOD"]
        accounts = create_demo_staff(db.session, now=now(), hash_method=hash_method)
    db.session.commit()
    click.echo("demo city loaded: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    if summary is not None:
        _echo_both(summary.line())
    if accounts:
        base = (url or current_app.config.get("BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
        click.echo("\n".join(account_lines(accounts, f"{base}/staff")))


@demo_group.command("history")
@click.option("--reports", type=click.IntRange(min=1), required=True, help="How many reports.")
@click.option("--years", type=click.FloatRange(min=0.01, max=50), default=1.0, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same history.")
@click.option(
    "--until",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The history ends when this day begins (Europe/Berlin); default today.",
)
@click.option("--append", is_flag=True, help="Add to the reports the database already holds.")
@with_appcontext
def demo_history(reports: int, years: float, seed: int, until, append: bool) -> None:
    """Write a plausible past into the demo city (loaded first into an empty database)."""
    from sqlalchemy import select

    from .core.catalog import Department
    from .demo import load_demo

    if db.session.scalar(select(Department.id).limit(1)) is None:
        counts = load_demo(db.session, addresses=True)
        click.echo("demo city loaded: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    summary = _history(
        reports=reports, seed=seed, years=years, until=until and until.date(), append=append
    )
    db.session.commit()
    _echo_both(summary.line())


def _history(*, reports: int, seed: int, years: float = 1.0, until=None, append=False):
    """Write a history with the app's settings, city and clock; refusals end the command."""
    from flask import current_app

    from .city import city
    from .clock import BERLIN, now
    from .demo.history import HistoryRefused, write_history

    at = now()
    try:
        return write_history(
            db.session,
            reports=reports,
            seed=seed,
            years=years,
            until=until or at.astimezone(BERLIN).date(),
            append=append,
            config=current_app.config,
            boundary=city().boundary,
            now=at,
        )
    except HistoryRefused as exc:
        db.session.rollback()
        raise click.ClickException(f"{exc.message['de']}\n{exc.message['en']}") from exc


def _echo_both(message: dict[str, str]) -> None:
    click.echo(message["de"])
    click.echo(message["en"])


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

    from .i18n import msg

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config.get("SMTP_URL") and not app.config.get("BASE_URL"):
        # Links in mails would name whatever allowed host a request came in under.
        message = msg("base_url_required")
        raise click.ClickException(f"{message['de']}\n{message['en']}")
    if debug:
        import os

        if os.environ.get("WERKZEUG_RUN_MAIN") == "true":  # the reloader's serving child
            _start_jobs(app)
        app.run(host=host, port=port, debug=True)
        return
    _gunicorn(app, host, port, workers, threads)


def _start_jobs(app: Flask) -> None:
    """Without Redis, start this serving process's job runner now, not at the first job."""
    from .jobs import start_runner

    if app.extensions.get("sqlalchemy") is not db:
        return  # another app served by the same launcher (the load benchmark's baseline)
    with app.app_context():
        # Connections the parent may have opened must not be shared with it after the fork.
        db.engine.dispose(close=False)
    start_runner(app)


def _stop_jobs(app: Flask) -> None:
    from .jobs import stop_runners

    stop_runners(app)


def _gunicorn(app: Flask, host: str, port: int, workers: int, threads: int) -> None:
    from gunicorn.app.base import BaseApplication

    class _Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("accesslog", "-")
            # gunicorn believes X-Forwarded-Proto (and friends) from 127.0.0.1 by default;
            # forwarded headers count only through MAENGELMELDER_PROXY_FIX (security.py).
            self.cfg.set("forwarded_allow_ips", "")
            self.cfg.set("secure_scheme_headers", {})
            self.cfg.set("forwarder_headers", "")
            # Each worker starts its job runner once it has loaded the app, before serving.
            self.cfg.set("post_worker_init", lambda worker: _start_jobs(app))
            # ... and lets the job it runs finish before the worker exits.
            self.cfg.set("worker_exit", lambda server, worker: _stop_jobs(app))

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
    """The app's own commands; each feature adds its groups in its `init_app`."""
    app.cli.add_command(demo_group)
    app.cli.add_command(worker)
    app.cli.add_command(serve)

    from .storage.migrate import media_group

    app.cli.add_command(media_group)
