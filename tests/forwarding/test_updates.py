"""Signed updates from a webhook body: acknowledged, resolved, returned; refused when the
signature or its age is wrong; a replay changes nothing."""

from __future__ import annotations

import json

from sqlalchemy import select

from maengelmelder.core.events import TicketEvent
from maengelmelder.extensions import db
from maengelmelder.forwarding.channels import signature
from maengelmelder.notify.models import OutboxMessage

from .helpers import destination, file_ticket, forward, report_row

URL = "/api/v1/forwarding/updates"


def _handed_over(client, admin_headers, **filed) -> tuple[str, str, str]:
    target = destination(client, admin_headers, channel="webhook", url="http://127.0.0.1:9/hook")
    public_id = file_ticket(client, **filed)["report"]["public_id"]
    key = forward(client, admin_headers, public_id, target["id"])["delivery"]["key"]
    return public_id, key, target["secret"]


def _post(client, secret: str, update: dict, stamp: int, *, sign_with: str | None = None):
    body = json.dumps(update).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Maengelmelder-Timestamp": str(stamp),
        "X-Maengelmelder-Signature": signature(sign_with or secret, str(stamp), body),
    }
    return client.post(URL, data=body, headers=headers)


def _updates(app, public_id: str) -> list[TicketEvent]:
    report = report_row(app, public_id)
    with app.app_context():
        rows = db.session.scalars(
            select(TicketEvent)
            .where(TicketEvent.report_id == report.id, TicketEvent.kind == "external_update")
            .order_by(TicketEvent.id)
        ).all()
        for row in rows:
            db.session.expunge(row)
        db.session.remove()
    return list(rows)


def test_resolved_update_resolves_the_ticket_and_tells_the_citizen(
    app, client, admin_headers, clock
):
    public_id, key, secret = _handed_over(client, admin_headers, email="erika@example.org")
    now = int(clock().timestamp())

    ack = _post(client, secret, {"delivery": key, "status": "acknowledged"}, now)
    assert ack.status_code == 200, ack.json
    assert ack.json["recorded"] is True and ack.json["status"] == "waiting_external"

    done = {"delivery": key, "status": "resolved", "note": "Leuchte getauscht"}
    resp = _post(client, secret, done, now + 1)
    assert resp.status_code == 200, resp.json
    assert resp.json["status"] == "resolved"
    assert report_row(app, public_id).status == "resolved"
    assert [e.data["status"] for e in _updates(app, public_id)] == ["acknowledged", "resolved"]
    history = client.get(f"/api/v1/tickets/{public_id}", headers=admin_headers).json
    assert "Leuchte getauscht" in str(history)
    with app.app_context():
        kinds = db.session.scalars(
            select(OutboxMessage.kind).where(OutboxMessage.recipient == "erika@example.org")
        ).all()
        db.session.remove()
    assert "resolved" in kinds

    # The same update again (a retry of the body's sender): answered, nothing written.
    again = _post(client, secret, done, now + 1)
    assert again.status_code == 200
    assert again.json["recorded"] is False
    assert again.json["message"]["de"] and again.json["message"]["en"]
    assert len(_updates(app, public_id)) == 2


def test_returned_update_gives_the_ticket_back_with_the_reason(app, client, admin_headers, clock):
    public_id, key, secret = _handed_over(client, admin_headers)
    now = int(clock().timestamp())
    no_reason = _post(client, secret, {"delivery": key, "status": "returned"}, now)
    assert no_reason.status_code == 422
    assert no_reason.json["error"]["fields"]["note"][0]["de"]
    assert _updates(app, public_id) == []

    back = {"delivery": key, "status": "returned", "note": "Nicht unsere Leuchte"}
    resp = _post(client, secret, back, now)
    assert resp.status_code == 200, resp.json
    assert resp.json["status"] == "in_progress"
    report = report_row(app, public_id)
    assert report.status == "in_progress" and report.paused_since is None
    history = client.get(f"/api/v1/tickets/{public_id}", headers=admin_headers).json
    assert "Nicht unsere Leuchte" in str(history)


def test_wrong_signature_old_timestamp_and_bad_input_are_refused_and_write_nothing(
    app, client, admin_headers, clock
):
    public_id, key, secret = _handed_over(client, admin_headers)
    now = int(clock().timestamp())
    update = {"delivery": key, "status": "resolved", "note": "erledigt"}

    wrong = _post(client, secret, update, now, sign_with="not-the-secret")
    assert wrong.status_code == 401
    assert wrong.json["error"]["code"] == "update_signature_invalid"
    assert wrong.json["error"]["message"]["de"] and wrong.json["error"]["message"]["en"]

    old = _post(client, secret, update, now - 301)
    assert old.status_code == 401 and old.json["error"]["code"] == "update_too_old"
    ahead = _post(client, secret, update, now + 301)
    assert ahead.status_code == 401

    unknown = _post(client, secret, {**update, "delivery": "0" * 32}, now)
    assert unknown.status_code == 401

    unsigned = client.post(URL, json=update)
    assert unsigned.status_code == 401

    garbage = client.post(URL, data=b"\xff{not json", headers={"Content-Type": "application/json"})
    assert garbage.status_code == 400
    assert garbage.json["error"]["message"]["de"]

    status = _post(client, secret, {**update, "status": "closed"}, now)
    assert status.status_code == 422
    assert status.json["error"]["fields"]["status"][0]["en"]

    long_note = _post(client, secret, {**update, "note": "x" * 2001}, now)
    assert long_note.status_code == 422

    assert _updates(app, public_id) == []
    assert report_row(app, public_id).status == "waiting_external"


def test_an_update_to_a_closed_ticket_is_refused(app, client, admin_headers, clock):
    public_id, key, secret = _handed_over(client, admin_headers)
    now = int(clock().timestamp())
    assert _post(client, secret, {"delivery": key, "status": "resolved"}, now).status_code == 200
    late = _post(client, secret, {"delivery": key, "status": "acknowledged"}, now + 2)
    assert late.status_code == 409
    assert late.json["error"]["message"]["en"]
    assert len(_updates(app, public_id)) == 1
