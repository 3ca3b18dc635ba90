"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from maengelmelder.app import create_app
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
