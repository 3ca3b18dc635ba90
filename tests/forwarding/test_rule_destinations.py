"""Routing rules that name a destination: intake hands the report over as staff would."""

from __future__ import annotations

from sqlalchemy import func, select

from maengelmelder.extensions import db
from maengelmelder.forwarding.models import Delivery
from maengelmelder.zoning.models import RuleSetVersion
from tests.open311.conftest import INSIDE, ROOT

from .counterparts import smtp_server, webhook_receiver
from .helpers import deliver, destination, file_ticket, report_row


def _rule_set(client, admin_headers) -> dict:
    resp = client.get("/api/v1/admin/rules", headers=admin_headers)
    assert resp.status_code == 200, resp.json
    return resp.json["rules"]


def _with_rule(client, admin_headers, rule: dict):
    """The rule set in force with `rule` first, posted."""
    rules = _rule_set(client, admin_headers)
    rules["rules"] = [rule, *rules["rules"]]
    return client.post("/api/v1/admin/rules", json=rules, headers=admin_headers)


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        versions = db.session.scalar(select(func.count(RuleSetVersion.version)))
        deliveries = db.session.scalar(select(func.count(Delivery.id)))
        db.session.remove()
        return versions, deliveries


def _ticket(client, headers, public_id: str) -> dict:
    resp = client.get(f"/api/v1/tickets/{public_id}", headers=headers)
    assert resp.status_code == 200, resp.json
    return resp.json


def _history(client, headers, public_id: str) -> list[dict]:
    ticket = _ticket(client, headers, public_id)
    return ticket.get("events") or ticket["history"]


def test_a_rule_naming_only_a_destination_hands_intake_over(app, client, admin_headers):
    with webhook_receiver() as (url, receiver):
        hook = destination(client, admin_headers, channel="webhook", url=url)
        receiver.secret = hook["secret"]
        applied = _with_rule(
            client,
            admin_headers,
            {"id": "loecher-extern", "category": "schlagloch", "destination": str(hook["id"])},
        )
        assert applied.status_code == 201, applied.json
        # stored as the id it names, with no department: the fallback keeps the ticket
        (stored,) = [r for r in applied.json["rules"]["rules"] if r["id"] == "loecher-extern"]
        assert stored == {
            "id": "loecher-extern",
            "category": "schlagloch",
            "destination": hook["id"],
            "copy_only": False,
        }

        public_id = file_ticket(client)["report"]["public_id"]
        ticket = _ticket(client, admin_headers, public_id)
        assert ticket["status"] == "waiting_external"
        assert report_row(app, public_id).paused_since is not None  # the SLA clock waits
        routing = ticket["routing"]
        assert routing["destination"]["rule_id"] == "loecher-extern"
        assert routing["destination"]["copy_only"] is False
        assert routing["department"] == applied.json["rules"]["fallback_department"]
        assert "Stadtwerke" in routing["text"]["de"] and "loecher" not in routing["text"]["en"]
        deliveries = client.get(
            f"/api/v1/tickets/{public_id}/deliveries", headers=admin_headers
        ).json["items"]
        assert len(deliveries) == 1 and deliveries[0]["destination"] == hook["id"]
        assert deliver(app)["delivered"] == 1
        assert deliver(app)["delivered"] == 0  # the sweep finds nothing left: once
    (body,) = receiver.received
    assert body["delivery"] == deliveries[0]["key"]
    assert body["report"]["report"] == public_id
    assert receiver.refused == 0
    handed = [e for e in _history(client, admin_headers, public_id) if e["kind"] == "handed_over"]
    assert len(handed) == 1 and handed[0]["data"]["rule_id"] == "loecher-extern"


def test_open311_intake_through_a_copy_only_rule_mails_the_body(app, client, admin_headers, staff):
    with smtp_server() as (url, smtp):
        app.config["SMTP_URL"] = url
        body = destination(
            client, admin_headers, channel="email", email="leitstelle@stadtwerke.example"
        )
        applied = _with_rule(
            client,
            admin_headers,
            {
                "id": "kopie-stadtwerke",
                "category": "schlagloch",
                "department": "tiefbau",
                "destination": body["id"],
                "copy_only": True,
            },
        )
        assert applied.status_code == 201, applied.json
        resp = client.post(
            f"{ROOT}/requests.json",
            data={
                "api_key": staff.token("crew", "tiefbau"),
                "service_code": "schlagloch",
                "description": "Loch vor dem Umspannwerk",
                **INSIDE,
            },
        )
        assert resp.status_code == 201, resp.get_data(as_text=True)
        public_id = resp.json[0]["service_request_id"]
        ticket = _ticket(client, admin_headers, public_id)
        assert ticket["status"] == "new"  # a copy: the department keeps working on it
        assert ticket["department"]["code"] == "tiefbau"
        assert report_row(app, public_id).paused_since is None
        assert ticket["routing"]["destination"]["copy_only"] is True
        assert deliver(app)["delivered"] == 1
    (mail,) = smtp.messages
    assert smtp.recipients == [["leitstelle@stadtwerke.example"]]
    assert mail["Subject"].startswith(f"Meldung {public_id}")
    assert _counts(app)[1] == 1


def test_a_switched_off_destination_files_the_report_without_a_hand_over(
    app, client, admin_headers
):
    hook = destination(client, admin_headers, channel="webhook", url="https://hooks.example/x")
    applied = _with_rule(
        client,
        admin_headers,
        {
            "id": "extern",
            "category": "schlagloch",
            "department": "tiefbau",
            "destination": hook["id"],
        },
    )
    assert applied.status_code == 201, applied.json
    client.delete(f"/api/v1/admin/destinations/{hook['id']}", headers=admin_headers)
    public_id = file_ticket(client)["report"]["public_id"]
    ticket = _ticket(client, admin_headers, public_id)
    assert ticket["status"] == "new" and ticket["department"]["code"] == "tiefbau"
    assert ticket["routing"]["destination"]["active"] is False
    assert "abgeschaltet" in ticket["routing"]["text"]["de"]
    assert "switched off" in ticket["routing"]["text"]["en"]
    assert _counts(app)[1] == 0


def test_a_rule_with_a_bad_destination_is_refused_and_nothing_is_stored(app, client, admin_headers):
    off = destination(client, admin_headers, channel="webhook", url="https://hooks.example/x")
    client.delete(f"/api/v1/admin/destinations/{off['id']}", headers=admin_headers)
    before = _counts(app)
    cases = [
        ({"destination": 999_999}, "unknown_destination", "destination"),
        ({"destination": off["id"]}, "inactive_destination", "destination"),
        ({"destination": "Stadtwerke"}, "invalid_destination", "destination"),
        ({"destination": True}, "invalid_destination", "destination"),
        ({"department": "tiefbau", "copy_only": True}, "invalid_copy_only", "copy_only"),
        ({"destination": off["id"], "copy_only": "ja"}, "invalid_copy_only", "copy_only"),
        ({}, "missing_department", "department"),
    ]
    for fields, code, field in cases:
        rule = {"id": "extern", "category": "schlagloch", **fields}
        for path in ("/api/v1/admin/rules/dry-run", "/api/v1/admin/rules"):
            rules = _rule_set(client, admin_headers)
            rules["rules"] = [rule, *rules["rules"]]
            resp = client.post(path, json=rules, headers=admin_headers)
            assert resp.status_code == 422, (fields, resp.json)
            assert resp.json["error"]["code"] == code, (fields, resp.json)
            (message,) = resp.json["error"]["fields"][f"rules.0.{field}"]
            assert message["de"] and message["en"] and message["de"] != message["en"]
    assert _counts(app) == before


def test_applying_a_rule_set_moves_open_tickets_but_hands_none_over(app, client, admin_headers):
    public_id = file_ticket(client)["report"]["public_id"]
    assert _ticket(client, admin_headers, public_id)["department"]["code"] == "tiefbau"
    hook = destination(client, admin_headers, channel="webhook", url="https://hooks.example/x")
    applied = _with_rule(
        client,
        admin_headers,
        {
            "id": "extern",
            "category": "schlagloch",
            "department": "ordnung",
            "destination": hook["id"],
        },
    )
    assert applied.status_code == 201, applied.json
    assert [m["public_id"] for m in applied.json["moves"]] == [public_id]
    moved = _ticket(client, admin_headers, public_id)
    assert moved["department"]["code"] == "ordnung" and moved["status"] == "new"
    assert "destination" not in moved["routing"]
    assert "Stadtwerke" not in moved["routing"]["text"]["de"]
    assert _counts(app)[1] == 0
