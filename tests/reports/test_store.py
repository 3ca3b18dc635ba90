"""A new report is written in as few round trips as the database allows, and then behaves as
any report loaded from the database: later changes in the same request are ordinary updates."""

from __future__ import annotations

import sqlalchemy as sa

from maengelmelder.core.events import TicketEvent
from maengelmelder.core.models import Photo, Report
from maengelmelder.extensions import db
from tests.tickets.helpers import file_ticket


def _recorded(app, action) -> list[str]:
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, *args):
        seen.append(" ".join(statement.split()[:3]).lower())

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return seen


def test_a_report_takes_one_statement_after_the_catalogue_check(app, client, backend):
    file_ticket(client)  # the catalogue is read once, before
    seen = _recorded(app, lambda: file_ticket(client, "graffiti"))
    # Without a typed address, one indexed query for the city's address at the place.
    address = "select anon_1.street, anon_1.house_number,"
    if backend == "postgresql":  # counter, report, event and the board's figures in one trip
        assert seen == ["select token from", address, "with counter as"]
    else:
        assert seen == [
            "select token from",
            address,
            "insert into public_id_counters",
            "insert into reports",
            "insert into ticket_events",
            "insert into sla_figures",
        ]


def test_the_stored_report_is_what_the_answer_says(app, client):
    answer = file_ticket(client, "graffiti", email="a@example.org", address="Markt 1")
    report = answer["report"]
    with app.app_context():
        stored = db.session.scalar(sa.select(Report).where(Report.public_id == report["public_id"]))
        assert stored.version == 1 and stored.supporters == 0 and stored.pauses == []
        assert (
            stored.category.code == "graffiti"
            and stored.department.code == report["department"]["code"]
        )
        assert stored.reporter_email == "a@example.org" and stored.address == "Markt 1"
        assert stored.routing["text"]["de"] and stored.zone_keys.startswith(",")
        assert [(e.kind, e.actor, e.to_status) for e in stored.events] == [
            ("created", "citizen", "new")
        ]
        assert stored.events[0].data["department"] == report["department"]["code"]


def test_a_report_held_at_intake_is_updated_in_the_same_transaction(app, client, staff):
    admin = staff.client("admin")
    resp = admin.post("/api/v1/admin/blocklist", json={"pattern": "@spam.example"})
    assert resp.status_code == 201, resp.json
    photo = file_ticket(client, photo=True, email="x@spam.example")["report"]
    with app.app_context():
        stored = db.session.scalar(sa.select(Report).where(Report.public_id == photo["public_id"]))
        assert stored.held_reason == "blocklist" and stored.version == 2
        assert [e.kind for e in stored.events] == ["created", "held"]
        photos = db.session.scalars(sa.select(Photo).where(Photo.report_id == stored.id)).all()
        assert len(photos) == 1 and not photos[0].approved
        assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketEvent)) == 2
