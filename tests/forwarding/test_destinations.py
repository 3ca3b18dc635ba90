"""Destinations as data: the admin API, its answers to bad input, the CLI."""

from __future__ import annotations

from .counterparts import webhook_receiver
from .helpers import destination, file_ticket, forward


def test_a_webhook_secret_is_answered_once_and_keys_never(client, admin_headers):
    hook = destination(client, admin_headers, channel="webhook", url="https://hooks.example/x")
    assert len(hook["secret"]) >= 32
    destination(
        client,
        admin_headers,
        channel="open311",
        url="https://body.example/open311/v2",
        api_key="their-key",
    )
    listed = client.get("/api/v1/admin/destinations?limit=1", headers=admin_headers)
    assert listed.status_code == 200
    assert len(listed.json["items"]) == 1 and listed.json["next_cursor"]
    rest = client.get(
        f"/api/v1/admin/destinations?cursor={listed.json['next_cursor']}", headers=admin_headers
    ).json
    everything = str(listed.json) + str(rest)
    assert hook["secret"] not in everything and "their-key" not in everything
    assert rest["items"][0]["has_api_key"] is True


def test_bad_input_is_a_clear_422_in_german_and_english(client, admin_headers):
    cases = [
        ({"channel": "open311", "url": "https://b.example"}, "api_key"),
        ({"channel": "webhook", "url": "ftp://b.example"}, "url"),
        ({"channel": "email", "email": "kein-at-zeichen"}, "email"),
        ({"channel": "email", "email": "a@b.example", "url": "https://x.example"}, "url"),
        ({"channel": "fax"}, "channel"),
    ]
    for fields, bad in cases:
        body = {"name_de": "Stelle", "name_en": "Body", **fields}
        resp = client.post("/api/v1/admin/destinations", json=body, headers=admin_headers)
        assert resp.status_code == 422, (fields, resp.json)
        (problem,) = resp.json["error"]["fields"][bad]
        assert problem["de"] and problem["en"] and problem["de"] != problem["en"], problem


def test_update_keeps_the_channel_and_delete_switches_off(client, admin_headers):
    made = destination(client, admin_headers, channel="email", email="a@b.example")
    path = f"/api/v1/admin/destinations/{made['id']}"
    changed = client.patch(path, json={"email": "c@d.example"}, headers=admin_headers)
    assert changed.status_code == 200 and changed.json["email"] == "c@d.example"
    refused = client.patch(path, json={"channel": "webhook"}, headers=admin_headers)
    assert refused.status_code == 422
    assert client.delete(path, headers=admin_headers).json["active"] is False
    public_id = file_ticket(client)["report"]["public_id"]
    etag = client.get(f"/api/v1/tickets/{public_id}", headers=admin_headers).headers["ETag"]
    resp = client.post(
        f"/api/v1/tickets/{public_id}/forward-external",
        json={"destination": made["id"]},
        headers={**admin_headers, "If-Match": etag},
    )
    assert resp.status_code == 422
    assert "destination" in resp.json["error"]["fields"]
    assert (
        client.patch("/api/v1/admin/destinations/999", json={}, headers=admin_headers).status_code
        == 404
    )


def test_only_admins_manage_destinations(client, staff):
    crew = {"Authorization": "Bearer " + staff.token("crew", "tiefbau")}
    assert client.get("/api/v1/admin/destinations", headers=crew).status_code == 403


def test_crews_choose_among_switched_on_destinations_by_name_only(client, staff, admin_headers):
    """A crew hands tickets over too: it reads which bodies there are, not their addresses."""
    kept = destination(client, admin_headers, channel="email", email="licht@swo.example")
    gone = destination(client, admin_headers, channel="email", email="alt@swo.example")
    client.delete(f"/api/v1/admin/destinations/{gone['id']}", headers=admin_headers)
    crew = {"Authorization": "Bearer " + staff.token("crew", "tiefbau")}
    resp = client.get("/api/v1/staff/destinations", headers=crew)
    assert resp.status_code == 200
    assert resp.json["items"] == [
        {
            "id": kept["id"],
            "name": {"de": "Stadtwerke", "en": "Public utilities"},
            "channel": "email",
        }
    ]
    public_id = file_ticket(client)["report"]["public_id"]
    assert forward(client, crew, public_id, kept["id"])["delivery"]["status"] == "pending"


def test_cli_adds_lists_and_tests_a_webhook(app):
    runner = app.test_cli_runner()
    with webhook_receiver() as (url, receiver):
        added = runner.invoke(
            args=[
                "destinations",
                "add",
                "--name-de",
                "Bahn",
                "--name-en",
                "Railway",
                "--channel",
                "webhook",
                "--url",
                url,
            ],
        )
        assert added.exit_code == 0, added.output
        receiver.secret = added.output.strip().splitlines()[-1]
        listed = runner.invoke(args=["destinations", "list"])
        assert "Bahn" in listed.output and receiver.secret not in listed.output
        number = added.output.split("\t")[0]
        tested = runner.invoke(args=["destinations", "test", number])
        assert tested.exit_code == 0, tested.output
        assert "erreichbar / reachable" in tested.output
    assert receiver.received == [{"test": True}]
    with app.app_context():
        from maengelmelder.extensions import db
        from maengelmelder.forwarding.models import Delivery

        assert db.session.query(Delivery).count() == 0
    bad = runner.invoke(
        args=["destinations", "add", "--name-de", "X", "--name-en", "X", "--channel", "email"]
    )
    assert bad.exit_code != 0 and "Für diesen Kanal nötig" in bad.output
