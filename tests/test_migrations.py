"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from maengelmelder.app import create_app
from maengelmelder.catalog.generation import WATCHED, token
from maengelmelder.extensions import db
from tests.conftest import create_postgres_schema, drop_postgres_schema


def _diff_after_upgrade(url: str, tmp_path) -> list:
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path)}
    )
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        # Triggers are no part of the metadata's comparison: every change to a watched table
        # renews the catalogue's token (an unnoticed change would leave intake routing by
        # stale rules), so each has its triggers, and they work.
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                found = conn.execute(
                    sa.text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
                ).scalars()
                wanted = {f"{table}_catalog_state" for table in WATCHED}
            else:
                found = conn.execute(
                    sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
                ).scalars()
                wanted = {
                    f"{table}_{action}_catalog_state"
                    for table in WATCHED
                    for action in ("insert", "update", "delete")
                }
            assert wanted <= set(found)
            tokens = [token(conn)]
            for change in (
                "INSERT INTO departments (code, name_de, name_en) VALUES ('d', 'Amt', 'Office')",
                "UPDATE departments SET name_en = 'Department'",
                "DELETE FROM departments",
            ):
                conn.execute(sa.text(change))
                tokens.append(token(conn))
        assert None not in tokens and len(set(tokens)) == len(tokens), tokens
        db.engine.dispose()
    return diff


def test_migrations_match_the_models_on_sqlite(tmp_path):
    assert _diff_after_upgrade(f"sqlite:///{tmp_path / 'm.db'}", tmp_path) == []


def test_migrations_match_the_models_on_postgresql(tmp_path):
    url, schema = create_postgres_schema()
    try:
        assert _diff_after_upgrade(url, tmp_path) == []
    finally:
        drop_postgres_schema(schema)
