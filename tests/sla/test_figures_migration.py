"""The migration that adds the board's figures counts the history a city already has."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade

from maengelmelder.app import create_app
from maengelmelder.demo import load_demo
from maengelmelder.extensions import db
from maengelmelder.sla import figures
from tests.conftest import Clock, create_postgres_schema, drop_postgres_schema
from tests.tickets.helpers import file_ticket


@pytest.fixture(params=["sqlite", "postgresql"])
def migrated_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.db'}"
        return
    url, schema = create_postgres_schema()
    try:
        yield url
    finally:
        drop_postgres_schema(schema)


def test_upgrading_counts_the_existing_reports(migrated_url, tmp_path):
    clock = Clock()
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": migrated_url,
            "SECRET_KEY": "x",
            "CLOCK": clock,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "MEDIA_DIR": str(tmp_path / "media"),
            "INPROCESS_JOBS": False,
            "RATELIMIT_ENABLED": False,
            "FRONTEND_DIR": str(tmp_path / "no-frontend"),
        }
    )
    with app.app_context():
        upgrade()
        load_demo(db.session, now=clock())
        db.session.commit()
    client = app.test_client()
    for hours in (0, 30, 24 * 40):
        clock.advance(hours=hours)
        file_ticket(client)
    with app.app_context():
        counted = figures.recount(db.session)
        assert figures.stored(db.session) == counted and counted
        db.session.remove()
        # Back to before the figures existed, then forward again: the history is counted.
        downgrade(revision="0008")
        upgrade()
        assert figures.stored(db.session) == counted
        db.session.remove()
        db.engine.dispose()
