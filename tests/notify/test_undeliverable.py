"""A mail refused for good shows on its ticket and in the admin's list; an admin sends it again."""

from __future__ import annotations

from datetime import UTC, datetime

from maengelmelder.extensions import db
from maengelmelder.notify import schemas
from maengelmelder.notify.jobs import send_pending
from maengelmelder.notify.service import Undeliverable
from tests.notify.conftest import GONE
from tests.tickets.helpers import file_ticket, version_of


def acknowledge(crew, public_id: str) -> None:
    resp = crew.post(
        f"/api/v1/tickets/{public_id}/transition",
        json={"to": "acknowledged"},
        headers={"If-Match": version_of(crew, public_id)},
    )
    assert resp.status_code == 200, resp.json


def send(app) -> dict[str, int]:
    with app.app_context():
        result = send_pending()
        db.session.remove()
        return result


def test_a_refused_mail_shows_on_the_ticket_and_an_admin_sends_it_again(
    app, client, staff, admin_headers, refusing_smtp, clock
):
    app.config["SMTP_URL"] = refusing_smtp.url
    crew = staff.client("crew", "tiefbau")
    public_id = file_ticket(client, email=GONE)["report"]["public_id"]
    fine_id = file_ticket(client, email="buerger@example.org")["report"]["public_id"]
    acknowledge(crew, public_id)
    acknowledge(crew, fine_id)
    assert crew.get(f"/api/v1/tickets/{public_id}").json["mail_failures"] == []

    clock.advance(seconds=1)
    assert send(app) == {"sent": 1, "retry": 0, "failed": 1}  # 550: at once, no retries

    ticket = crew.get(f"/api/v1/tickets/{public_id}").json
    [failure] = ticket["mail_failures"]
    assert failure["kind"] == "acknowledged" and failure["to"] == "reporter"
    assert failure["attempts"] == 1 and failure["failed_at"] == "2026-03-10T09:00:01Z"
    assert failure["error"].startswith("recipient refused: 550 5.1.1 <<address>>")
    assert "erika" not in str(failure).lower()
    assert crew.get(f"/api/v1/tickets/{fine_id}").json["mail_failures"] == []

    listed = client.get("/api/v1/admin/mails/failed", headers=admin_headers)
    assert listed.status_code == 200
    [item] = listed.json["items"]
    assert item == {**failure, "report": public_id, "created_at": "2026-03-10T09:00:00Z"}
    assert listed.json["next_cursor"] is None
    assert crew.get("/api/v1/admin/mails/failed").status_code == 403
    assert crew.post(f"/api/v1/admin/mails/{item['id']}/retry").status_code == 403

    # The mailbox exists again (or the address was corrected at the mail server).
    refusing_smtp.refuse.clear()
    retried = client.post(f"/api/v1/admin/mails/{item['id']}/retry", headers=admin_headers)
    assert retried.status_code == 200
    assert retried.json["status"] == "pending" and set(retried.json["message"]) == {"de", "en"}
    again = client.post(f"/api/v1/admin/mails/{item['id']}/retry", headers=admin_headers)
    assert again.status_code == 404 and again.json["error"]["code"] == "mail_not_failed"
    assert crew.get(f"/api/v1/tickets/{public_id}").json["mail_failures"] == []
    assert send(app)["sent"] == 1
    assert len(refusing_smtp.delivered) == 2
    assert client.get("/api/v1/admin/mails/failed", headers=admin_headers).json["items"] == []
    for bad in ("999999", "0"):
        resp = client.post(f"/api/v1/admin/mails/{bad}/retry", headers=admin_headers)
        assert resp.status_code == 404


def test_the_list_of_undeliverable_mails_pages_newest_first(
    app, client, staff, admin_headers, refusing_smtp, clock
):
    app.config["SMTP_URL"] = refusing_smtp.url
    crew = staff.client("crew", "tiefbau")
    ids = []
    for _ in range(3):
        ids.append(file_ticket(client, email=GONE)["report"]["public_id"])
        acknowledge(crew, ids[-1])
        clock.advance(minutes=1)
        assert send(app)["failed"] == 1
    first = client.get("/api/v1/admin/mails/failed?limit=2", headers=admin_headers)
    assert [i["report"] for i in first.json["items"]] == [ids[2], ids[1]]
    cursor = first.json["next_cursor"]
    assert cursor and 'rel="next"' in first.headers["Link"]
    rest = client.get(f"/api/v1/admin/mails/failed?limit=2&cursor={cursor}", headers=admin_headers)
    assert [i["report"] for i in rest.json["items"]] == [ids[0]]
    assert rest.json["next_cursor"] is None and "Link" not in rest.headers
    for bad in ("limit=0", "limit=501", "cursor=nonsense", "status=sent"):
        assert (
            client.get(f"/api/v1/admin/mails/failed?{bad}", headers=admin_headers).status_code
            == 400
        )


def test_the_tickets_mail_failures_and_the_admins_list_show_a_failed_mail_alike():
    """`Undeliverable.as_json` (a ticket's `mail_failures`) says what the `Undeliverable`
    schema of the admin's list says: same keys, same values."""
    for failed_at, error in (
        (datetime(2026, 3, 1, 8, 30, 5, 120, tzinfo=UTC), "550"),
        (None, None),
    ):
        mail = Undeliverable(7, "resolved", "reporter", failed_at, 8, error)
        assert schemas.Undeliverable().dump(mail) == mail.as_json()
