"""Hand-overs to an Open311 back office: a second maengelmelder server, behind a proxy the
test switches (down, 500, an answer lost on the way back)."""

from __future__ import annotations

import pytest
import requests

from .counterparts import proxy
from .helpers import deliver, delivery_row, destination, file_ticket, forward, report_row


@pytest.fixture
def body(external):
    with proxy(external.open311) as (url, switch):
        yield url, switch


def _open311(client, admin_headers, external, url) -> dict:
    return destination(
        client,
        admin_headers,
        channel="open311",
        url=url,
        api_key=external.api_key,
        jurisdiction_id="demo",
        service_codes={"schlagloch": "schlagloch"},
    )


def test_forwarded_report_arrives_once_although_the_first_answer_was_lost(
    app, client, admin_headers, clock, external, body
):
    url, switch = body
    target = _open311(client, admin_headers, external, url)
    public_id = file_ticket(client)["report"]["public_id"]
    answer = forward(client, admin_headers, public_id, target["id"])
    assert answer["status"] == "waiting_external"
    assert report_row(app, public_id).paused_since == clock()  # the SLA clock pauses
    key = answer["delivery"]["key"]

    switch.plan = ["lose"]  # it reaches the body, its answer never comes back
    assert deliver(app) == {"delivered": 0, "retry": 1, "failed": 0}
    assert len(external.filed(key)) == 1
    row = delivery_row(app, answer["delivery"]["id"])
    assert row.status == "pending" and "not reachable" in row.last_error

    assert deliver(app) == {"delivered": 0, "retry": 0, "failed": 0}  # not due yet
    clock.advance(minutes=2)
    assert deliver(app) == {"delivered": 1, "retry": 0, "failed": 0}
    filed = external.filed(key)
    assert len(filed) == 1
    assert "Bitte Leuchte prüfen" in filed[0][1]
    row = delivery_row(app, answer["delivery"]["id"])
    assert row.status == "delivered" and row.remote_id == filed[0][0]

    resp = client.get(f"/api/v1/tickets/{public_id}/deliveries", headers=admin_headers)
    (shown,) = resp.json["items"]
    assert shown["status"] == "delivered" and shown["remote_id"] == filed[0][0]
    history = client.get(f"/api/v1/tickets/{public_id}", headers=admin_headers).json
    assert "handed_over" in str(history)


def test_down_for_a_while_then_500_then_created_files_one_request(
    app, client, admin_headers, clock, external, body
):
    url, switch = body
    target = _open311(client, admin_headers, external, url)
    public_id = file_ticket(client)["report"]["public_id"]
    key = forward(client, admin_headers, public_id, target["id"])["delivery"]["key"]
    switch.plan = ["down", "down", "500"]
    outcomes = []
    for _ in range(4):
        outcomes.append(deliver(app))
        clock.advance(hours=2)
    assert [o["retry"] for o in outcomes] == [1, 1, 1, 0]
    assert outcomes[-1]["delivered"] == 1
    assert switch.seen == ["down", "down", "500", "pass"]
    assert len(external.filed(key)) == 1


def test_failed_after_the_last_try_shows_and_a_manual_retry_delivers(
    app, client, admin_headers, clock, external, body
):
    url, switch = body
    app.config["FORWARDING_MAX_ATTEMPTS"] = 2
    target = _open311(client, admin_headers, external, url)
    public_id = file_ticket(client)["report"]["public_id"]
    delivery = forward(client, admin_headers, public_id, target["id"])["delivery"]
    switch.default = "500"
    deliver(app)
    clock.advance(hours=2)
    assert deliver(app)["failed"] == 1
    items = client.get(f"/api/v1/tickets/{public_id}/deliveries", headers=admin_headers).json
    (shown,) = items["items"]
    assert shown["status"] == "failed" and shown["error"].startswith("HTTP 500")
    board = client.get("/api/v1/board/deliveries", headers=admin_headers).json
    assert board == {"failed": 1}
    clock.advance(days=1)
    assert deliver(app)["delivered"] == 0  # failed stays failed

    switch.default = "pass"
    resp = client.post(
        f"/api/v1/tickets/{public_id}/deliveries/{delivery['id']}/retry", headers=admin_headers
    )
    assert resp.status_code == 200, resp.json
    assert resp.json["message"]["de"] and resp.json["message"]["en"]
    assert deliver(app)["delivered"] == 1
    assert len(external.filed(delivery["key"])) == 1
    assert client.get("/api/v1/board/deliveries", headers=admin_headers).json == {"failed": 0}
    again = client.post(
        f"/api/v1/tickets/{public_id}/deliveries/{delivery['id']}/retry", headers=admin_headers
    )
    assert again.status_code == 404


def test_a_category_without_a_service_code_fails_at_once(
    app, client, admin_headers, external, body
):
    url, _ = body
    target = destination(
        client,
        admin_headers,
        channel="open311",
        url=url,
        api_key=external.api_key,
        service_codes={"graffiti": "graffiti"},
    )
    public_id = file_ticket(client)["report"]["public_id"]
    delivery = forward(client, admin_headers, public_id, target["id"])["delivery"]
    assert deliver(app)["failed"] == 1
    row = delivery_row(app, delivery["id"])
    assert "no service_code" in row.last_error


def test_our_open311_post_files_once_per_delivery_attribute(client, staff):
    """A sender that cannot set the Idempotency-Key header (only Open311 attributes) still
    files a retried hand-over once."""
    form = {
        "api_key": staff.token("admin"),
        "service_code": "schlagloch",
        "lat": "50.1005",
        "long": "8.7655",
        "description": "Loch in der Fahrbahn",
        "attribute[maengelmelder_delivery]": "d6c1a7a0f0e34c5b9a0f3d2b1c4e5f60",
    }
    first = client.post("/open311/v2/requests.json", data=form)
    again = client.post("/open311/v2/requests.json", data=form)
    assert first.status_code == again.status_code == 201, again.json
    assert first.json[0]["service_request_id"] == again.json[0]["service_request_id"]
    assert again.headers["Idempotent-Replayed"] == "true"


def test_a_sender_that_died_after_sending_is_caught_up_once_its_claim_ran_out(
    app, client, admin_headers, clock, external, body
):
    """The sender claimed the row and the body filed it, then the sender died before it
    recorded anything: the row waits out its claim, then goes again with the same key."""
    from sqlalchemy.orm import sessionmaker

    from maengelmelder.extensions import db
    from maengelmelder.forwarding import channels, sending

    url, _ = body
    target = _open311(client, admin_headers, external, url)
    public_id = file_ticket(client)["report"]["public_id"]
    delivery = forward(client, admin_headers, public_id, target["id"])["delivery"]
    with app.app_context():
        claimed = sending.claim(sessionmaker(bind=db.engine), clock())
        channels.send_open311(claimed.destination, claimed)  # ... and the sender dies here
        db.session.remove()
    assert len(external.filed(delivery["key"])) == 1
    assert deliver(app)["delivered"] == 0  # still claimed by the dead sender
    clock.advance(minutes=5)
    assert deliver(app)["delivered"] == 1
    assert len(external.filed(delivery["key"])) == 1
    row = delivery_row(app, delivery["id"])
    assert row.attempts == 2 and row.remote_id == external.filed(delivery["key"])[0][0]


def test_the_bodys_closing_comes_back_resolves_the_ticket_and_tells_the_citizen(
    app, client, admin_headers, external
):
    from sqlalchemy import select

    from maengelmelder.extensions import db
    from maengelmelder.forwarding.jobs import poll_answers
    from maengelmelder.notify.models import OutboxMessage

    target = _open311(client, admin_headers, external, external.open311)
    filed = file_ticket(client, email="erika@example.org")["report"]
    public_id = filed["public_id"]
    delivery = forward(client, admin_headers, public_id, target["id"])["delivery"]
    assert deliver(app)["delivered"] == 1
    theirs = delivery_row(app, delivery["id"]).remote_id

    def poll() -> dict[str, int]:
        with app.app_context():
            return poll_answers()

    assert poll() == {"asked": 1, "changed": 0, "resolved": 0, "failed": 0}  # still open there

    # The body's staff resolve it in their own back office.
    there = {"Authorization": f"Bearer {external.api_key}"}
    ticket = requests.get(f"{external.url}/api/v1/tickets/{theirs}", headers=there, timeout=10)
    done = requests.post(
        f"{external.url}/api/v1/tickets/{theirs}/transition",
        json={"to": "resolved", "public_note": "Leuchte getauscht"},
        headers={**there, "If-Match": ticket.headers["ETag"]},
        timeout=10,
    )
    assert done.status_code == 200, done.text

    assert poll()["resolved"] == 1
    report = report_row(app, public_id)
    assert report.status == "resolved"
    assert poll()["asked"] == 0  # closed there: not asked again
    shown = client.get(f"/api/v1/tickets/{public_id}/deliveries", headers=admin_headers).json
    assert shown["items"][0]["remote_status"] == "closed"
    history = client.get(f"/api/v1/tickets/{public_id}", headers=admin_headers).json
    assert "Leuchte getauscht" in str(history) and "external_update" in str(history)
    with app.app_context():
        kinds = db.session.scalars(
            select(OutboxMessage.kind).where(OutboxMessage.recipient == "erika@example.org")
        ).all()
        db.session.remove()
    assert "resolved" in kinds
