"""Filing, forwarding and delivering in the forwarding tests."""

from __future__ import annotations

from sqlalchemy import select

from maengelmelder.core.events import TicketEvent
from maengelmelder.core.models import Report
from maengelmelder.extensions import db
from maengelmelder.forwarding.jobs import deliver_pending
from maengelmelder.forwarding.models import Delivery
from tests.tickets.helpers import file_ticket

__all__ = [
    "deliver",
    "delivery_row",
    "destination",
    "external_updates",
    "file_ticket",
    "forward",
    "report_row",
]


def destination(client, headers, **fields) -> dict:
    body = {"name_de": "Stadtwerke", "name_en": "Public utilities", **fields}
    resp = client.post("/api/v1/admin/destinations", json=body, headers=headers)
    assert resp.status_code == 201, resp.json
    return resp.json


def forward(client, headers, public_id: str, destination_id: int, **fields) -> dict:
    etag = client.get(f"/api/v1/tickets/{public_id}", headers=headers).headers["ETag"]
    resp = client.post(
        f"/api/v1/tickets/{public_id}/forward-external",
        json={"destination": destination_id, "note": "Bitte Leuchte prüfen", **fields},
        headers={**headers, "If-Match": etag},
    )
    assert resp.status_code == 201, resp.json
    return resp.json


def deliver(app) -> dict[str, int]:
    """The sweep, as the worker runs it."""
    with app.app_context():
        try:
            return deliver_pending()
        finally:
            db.session.remove()


def delivery_row(app, delivery_id: int) -> Delivery:
    with app.app_context():
        row = db.session.get(Delivery, delivery_id)
        db.session.expunge(row)
        db.session.remove()
        return row


def report_row(app, public_id: str) -> Report:
    with app.app_context():
        row = db.session.scalar(select(Report).where(Report.public_id == public_id))
        db.session.expunge(row)
        db.session.remove()
        return row


def external_updates(app, public_id: str) -> list[dict]:
    """The data of a ticket's `external_update` events (the body's answers), oldest first."""
    report = report_row(app, public_id)
    with app.app_context():
        rows = db.session.scalars(
            select(TicketEvent.data)
            .where(TicketEvent.report_id == report.id, TicketEvent.kind == "external_update")
            .order_by(TicketEvent.id)
        ).all()
        db.session.remove()
    return list(rows)
