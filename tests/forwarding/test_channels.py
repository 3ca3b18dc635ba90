"""Webhooks (signed), e-mail (aiosmtpd, attachments parsed back), answers we cannot use."""

from __future__ import annotations

import json
import threading

from .counterparts import smtp_server, webhook_receiver
from .helpers import deliver, delivery_row, destination, file_ticket, forward, report_row


def test_webhook_is_signed_and_carries_the_key(app, client, admin_headers):
    with webhook_receiver() as (url, receiver):
        target = destination(client, admin_headers, channel="webhook", url=url)
        receiver.secret = target["secret"]
        public_id = file_ticket(client)["report"]["public_id"]
        answer = forward(client, admin_headers, public_id, target["id"], copy_only=True)
        assert answer["status"] == "new"  # a copy: the ticket stays with its department
        assert report_row(app, public_id).paused_since is None
        assert deliver(app)["delivered"] == 1
    assert receiver.refused == 0
    (body,) = receiver.received
    assert body["delivery"] == answer["delivery"]["key"] == receiver.keys[0]
    assert body["report"]["report"] == public_id
    assert body["report"]["note"] == "Bitte Leuchte prüfen"
    assert "reporter_email" not in json.dumps(body)


def test_a_wrong_secret_is_refused_by_the_receiver_and_the_delivery_fails(
    app, client, admin_headers
):
    with webhook_receiver() as (url, receiver):
        target = destination(client, admin_headers, channel="webhook", url=url)
        receiver.secret = "not-the-secret"
        public_id = file_ticket(client)["report"]["public_id"]
        delivery = forward(client, admin_headers, public_id, target["id"])["delivery"]
        assert deliver(app)["failed"] == 1  # 401: refused for good
    assert receiver.refused == 1 and not receiver.received
    assert delivery_row(app, delivery["id"]).last_error.startswith("refused: HTTP 401")


def test_a_huge_or_garbage_answer_is_a_failed_attempt_with_a_clear_error(
    app, client, admin_headers, clock
):
    with webhook_receiver() as (url, receiver):
        hook = destination(client, admin_headers, channel="webhook", url=url)
        receiver.secret = hook["secret"]
        fake = destination(
            client,
            admin_headers,
            channel="open311",
            url=url.removesuffix("/hook") + "/open311/v2",
            api_key="k",
            service_codes={"schlagloch": "x"},
        )
        first = forward(
            client, admin_headers, file_ticket(client)["report"]["public_id"], hook["id"]
        )
        second = forward(
            client, admin_headers, file_ticket(client)["report"]["public_id"], fake["id"]
        )
        receiver.answer = b"x" * 200_000
        assert deliver(app)["retry"] == 2
        assert "answer longer than" in delivery_row(app, first["delivery"]["id"]).last_error
        assert "answer longer than" in delivery_row(app, second["delivery"]["id"]).last_error

        receiver.answer = b"<html>nope</html>"
        clock.advance(hours=2)
        assert deliver(app) == {"delivered": 1, "retry": 1, "failed": 0}
        assert "not JSON" in delivery_row(app, second["delivery"]["id"]).last_error

        receiver.answer = b'[{"service_notice": "no id"}]'
        clock.advance(hours=2)
        assert deliver(app)["retry"] == 1
    assert "neither service_request_id nor token" in (
        delivery_row(app, second["delivery"]["id"]).last_error
    )
    # the webhook's delivery never marked the other body's done
    assert delivery_row(app, first["delivery"]["id"]).status == "delivered"
    assert delivery_row(app, second["delivery"]["id"]).status == "pending"
    assert receiver.unsigned == 3


def test_mail_carries_german_text_json_geojson_and_the_key(app, client, admin_headers):
    with smtp_server() as (url, smtp):
        app.config["SMTP_URL"] = url
        target = destination(
            client, admin_headers, channel="email", email="leitstelle@stadtwerke.example"
        )
        public_id = file_ticket(client, photo=True)["report"]["public_id"]
        delivery = forward(client, admin_headers, public_id, target["id"])["delivery"]
        assert deliver(app)["delivered"] == 1
    (mail,) = smtp.messages
    assert smtp.recipients == [["leitstelle@stadtwerke.example"]]
    assert delivery["key"] in mail["Message-ID"]
    assert mail["Subject"].startswith(f"Meldung {public_id}")
    text = mail.get_body(("plain",)).get_content()
    assert "Beschreibung:" in text and "Hinweis der Stadt:" in text
    parts = {p.get_filename(): p for p in mail.iter_attachments()}
    data = json.loads(parts[f"{public_id}.json"].get_content())
    assert data["report"] == public_id and data["note"] == "Bitte Leuchte prüfen"
    feature = json.loads(parts[f"{public_id}.geojson"].get_content())
    assert feature["geometry"]["coordinates"] == [data["lon"], data["lat"]]
    # the photo is not public (unpublished, its privacy pass not run): not attached
    assert not [name for name in parts if name.endswith(".jpg")]


def test_a_body_that_does_not_answer_is_a_timed_out_attempt(app, client, admin_headers):
    app.config["FORWARDING_TIMEOUT"] = 0.5
    with webhook_receiver() as (url, receiver):
        hook = destination(client, admin_headers, channel="webhook", url=url)
        receiver.hold = threading.Event()
        public_id = file_ticket(client)["report"]["public_id"]
        delivery = forward(client, admin_headers, public_id, hook["id"])["delivery"]
        try:
            assert deliver(app)["retry"] == 1
        finally:
            receiver.hold.set()
    row = delivery_row(app, delivery["id"])
    assert row.status == "pending" and row.last_error.startswith("timeout after 0.5 s")
