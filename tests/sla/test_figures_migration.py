"""The migration that adds the board's figures counts the history a city already has."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade

from maengelmelder.demo import load_demo
from maengelmelder.extensions import db
from maengelmelder.sla import figures
from tests.conftest import Clock, migration_app
from tests.tickets.helpers import file_ticket


def test_upgrading_counts_the_existing_reports(empty_database_url, tmp_path):
    clock = Clock()
    app = migration_app(empty_database_url, tmp_path, clock)
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
