"""Intake keeps the catalogue in memory and notices every change, whoever makes it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from maengelmelder.extensions import db
from tests.tickets.helpers import file_ticket


@pytest.fixture
def outside(app):
    """A connection of its own, as another process or someone at the SQL prompt would have."""
    with app.app_context():
        engine = sa.create_engine(db.engine.url, poolclass=sa.NullPool)
    yield engine
    engine.dispose()


def _statements(app):
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, *args):
        seen.append(" ".join(statement.split()).lower())

    sa.event.listen(engine, "before_cursor_execute", record)
    return seen, lambda: sa.event.remove(engine, "before_cursor_execute", record)


def test_intake_reads_the_catalogue_once_per_change(app, client, outside):
    file_ticket(client)
    seen, stop = _statements(app)
    try:
        file_ticket(client, "graffiti")
    finally:
        stop()
    # Intake also looks up the street address at the place (addresses); that is no catalogue read.
    reads = [s for s in seen if s.startswith("select") and " addresses" not in s]
    assert reads == ["select token from catalog_state where id = 1"]
    with outside.begin() as conn:  # a change the app does not see being made
        conn.execute(sa.text("UPDATE departments SET email = email"))
    seen, stop = _statements(app)
    try:
        file_ticket(client)
    finally:
        stop()
    assert any(" from categories" in s for s in seen), "rebuilt after the change"


def test_a_category_switched_off_elsewhere_is_refused_at_once(app, client, outside):
    file_ticket(client, "graffiti")
    with outside.begin() as conn:
        conn.execute(sa.text("UPDATE categories SET active = false WHERE code = 'graffiti'"))
    resp = client.post(
        "/api/v1/reports",
        json={"category": "graffiti", "lat": 50.1, "lon": 8.765, "description": "Schmiererei"},
    )
    assert resp.status_code == 422
    assert resp.json["error"]["fields"]["category"][0]["en"] == "Unknown category: graffiti."


def test_a_department_renamed_elsewhere_is_named_in_the_next_explanation(app, client, outside):
    before = file_ticket(client)["report"]
    assert before["department"]["name"]["de"] == "Tiefbauamt"
    with outside.begin() as conn:
        conn.execute(
            sa.text("UPDATE departments SET name_de = 'Amt für Straßen' WHERE code = 'tiefbau'")
        )
    after = file_ticket(client)["report"]
    assert after["department"] == {
        "code": "tiefbau",
        "name": {"de": "Amt für Straßen", "en": "Civil Engineering Office"},
    }
