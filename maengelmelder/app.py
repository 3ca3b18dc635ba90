"""Application factory: configuration, extensions, features, CLI."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from . import city, config, database, errors, redis_guard, security, storage
from .clock import BERLIN
from .extensions import db, limiter, migrate
from .web import wire

PACKAGE_ROOT = Path(__file__).resolve().parent
MIGRATIONS_DIR = PACKAGE_ROOT.parent / "migrations"


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    # SQLite needs foreign keys switched on per connection; WAL lets readers and a writer overlap.
    module = type(dbapi_connection).__module__
    if "sqlite" not in module:
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


# A UTF-16 surrogate on its own: JSON may spell it (`"\ud800"`) and Python's parser lets it
# through, but no UTF-8 text (no database, no answer, no digest) can hold it.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_lone_surrogate(value: Any) -> bool:
    """Whether a parsed JSON value holds a lone surrogate in any key or string."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _LONE_SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, except that bodies no endpoint can use are malformed input (400).

    Python's parser gives up on deep nesting (a few KB of brackets) with a RecursionError,
    which request.get_json would let through as a 500; as a ValueError it is bad JSON. The
    same for invalid Unicode (a lone surrogate, escaped or as bytes): refused here, once, it
    never reaches a digest, a database or an error message that echoes a field's name.
    """

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = super().loads(s, **kwargs)
        except RecursionError as exc:
            raise ValueError("JSON nested too deeply") from exc
        if _has_lone_surrogate(value):
            raise ValueError("JSON text with a lone surrogate is not valid Unicode")
        return value


def _persistent_secret(instance: Path) -> str:
    """A secret key kept in the instance folder, so tokens survive restarts without settings."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


# Seconds to wait for a PostgreSQL connection before answering 503; `?connect_timeout=N` in
# MAENGELMELDER_DATABASE_URL sets another value.
CONNECT_TIMEOUT = 5


def _postgres_engine_options(app: Flask) -> None:
    """Test pooled connections before use (a restarted server dropped them) and fail fast."""
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    options.setdefault("pool_pre_ping", True)
    named = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).query
    defaults = {"connect_timeout": CONNECT_TIMEOUT, **database.TCP_OPTIONS}
    if app.config.get("DATABASE_POOLER") == "pgbouncer":
        defaults.update(database.POOLER_CONNECT_ARGS)
    options["connect_args"] = {
        **{name: value for name, value in defaults.items() if name not in named},
        **options.get("connect_args", {}),
    }
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def create_app(config_override: dict[str, Any] | None = None) -> Flask:
    """Build the app from MAENGELMELDER_* settings, then apply config_override."""
    settings = config.from_env()
    settings.update(config_override or {})
    app = Flask(
        "maengelmelder",
        instance_relative_config=True,
        instance_path=settings.pop("INSTANCE_PATH", None),
    )
    app.config.update(settings)
    app.json = JSONProvider(app)

    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'maengelmelder.db'}"
    if not app.config.get("MEDIA_DIR"):
        app.config["MEDIA_DIR"] = str(instance / "media")
    if not app.config.get("MIGRATIONS_DIR"):
        app.config["MIGRATIONS_DIR"] = str(MIGRATIONS_DIR)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _persistent_secret(instance)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        _postgres_engine_options(app)
    app.json.sort_keys = False
    app.json.ensure_ascii = False

    # Counting survives several processes only in Redis; a Redis outage must not stop intake.
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    # A Redis that does not answer (frozen, cut off) must not hold every request for long.
    redis_guard.init_app(app)
    db.init_app(app)
    database.init_app(app)
    limiter.init_app(app)
    migrate.init_app(app, db, directory=app.config["MIGRATIONS_DIR"])
    errors.init_app(app)
    security.init_app(app)
    wire.init_app(app)  # before the features: runs after their hooks (cookies set)
    storage.init_app(app)
    city.init_app(app)
    _register_features(app)
    _register_templates(app)
    return app


def _register_features(app: Flask) -> None:
    from . import (
        health,
        models,  # noqa: F401  every model registered before the first query
        openapi,
    )
    from .abuse import feature as abuse
    from .accounts import feature as accounts
    from .addresses import feature as addresses
    from .board import feature as board
    from .catalog import feature as catalog
    from .cli import register_commands
    from .forwarding import feature as forwarding
    from .notify import feature as notify
    from .open311 import feature as open311
    from .opendata import feature as opendata
    from .privacy import feature as privacy
    from .reports import feature as reports
    from .sla import feature as sla
    from .tickets import feature as tickets
    from .web import shell
    from .zoning import feature as zoning

    openapi.init_app(app)  # the Api first: features register their blueprints into it
    health.init_app(app)
    shell.init_app(app)  # the citizen and staff apps
    for feature in (
        accounts,
        catalog,
        addresses,
        reports,
        zoning,
        tickets,
        sla,
        board,
        opendata,
        open311,
        abuse,
        notify,
        privacy,
        forwarding,
    ):
        feature.init_app(app)
    register_commands(app)


def _register_templates(app: Flask) -> None:
    @app.template_filter("berlin")
    def _berlin(value: str | None) -> str:
        if not value:
            return ""
        local = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(BERLIN)
        return local.strftime("%d.%m.%Y %H:%M")

    @app.context_processor
    def _city_name() -> dict[str, str]:
        return {"city_name": app.config["CITY_NAME"]}
