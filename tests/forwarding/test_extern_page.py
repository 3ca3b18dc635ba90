"""The secret link page: an e-mail body opens the link its mail carried, sees the report and
answers (acknowledge, resolve, give back); the link stops working when the ticket closes."""

from __future__ import annotations

import re

from sqlalchemy import select

from maengelmelder.core.models import Photo
from maengelmelder.extensions import db
from maengelmelder.notify.models import OutboxMessage
from tests.passes import run_privacy_passes

from .counterparts import smtp_server
from .helpers import deliver, destination, external_updates, file_ticket, forward, report_row

NONCE = re.compile(r'name="nonce" value="([0-9a-f]+)"')


def _mailed_link(app, client, admin_headers, **filed) -> tuple[str, str]:
    """File, hand over to an e-mail body, deliver; the report and the link's path."""
    with smtp_server() as (url, smtp):
        app.config["SMTP_URL"] = url
        target = destination(
            client, admin_headers, channel="email", email="leitstelle@stadtwerke.example"
        )
        public_id = file_ticket(client, **filed)["report"]["public_id"]
        run_privacy_passes(app)
        etag = client.get(f"/api/v1/tickets/{public_id}", headers=admin_headers).headers["ETag"]
        published = client.post(
            f"/api/v1/tickets/{public_id}/publication",
            json={"action": "publish"},
            headers={**admin_headers, "If-Match": etag},
        )
        assert published.status_code == 200, published.json
        forward(client, admin_headers, public_id, target["id"])
        assert deliver(app)["delivered"] == 1
    (mail,) = smtp.messages
    text = mail.get_body(("plain",)).get_content()
    (path,) = re.findall(r"https?://\S+(/extern/[A-Za-z0-9_-]+)", text)
    return public_id, path


def _updates(app, public_id: str) -> list[str]:
    return [data["status"] for data in external_updates(app, public_id)]


def _act(client, path: str, action: str, note: str = "", nonce: str | None = None):
    if nonce is None:
        nonce = NONCE.search(client.get(path).get_data(as_text=True)).group(1)
    return client.post(path, data={"nonce": nonce, "action": action, "note": note})


def test_the_mailed_link_shows_the_report_and_the_body_acknowledges_and_resolves(
    app, client, admin_headers
):
    public_id, path = _mailed_link(
        app, client, admin_headers, photo=True, email="erika@example.org"
    )
    page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert public_id in html and "Loch in der Fahrbahn" in html
    assert "Angenommen" in html and "Acknowledge" in html
    assert page.headers["Cache-Control"] == "no-store"
    with app.app_context():
        (photo,) = db.session.scalars(select(Photo)).all()
        keys = (photo.storage_key, photo.original_key)
        db.session.remove()
    assert f"/media/{keys[0]}-web.jpg" in html  # the public, blurred rendition only
    assert not keys[1] or keys[1] not in html
    assert "reporter" not in html and "erika@example.org" not in html

    nonce = NONCE.search(html).group(1)
    assert _act(client, path, "acknowledged", nonce=nonce).status_code == 200
    assert report_row(app, public_id).status == "waiting_external"
    # The same form sent again (a double click): recorded once.
    again = _act(client, path, "acknowledged", nonce=nonce)
    assert again.status_code == 200
    assert "schon eingetragen" in again.get_data(as_text=True)
    assert _updates(app, public_id) == ["acknowledged"]

    done = _act(client, path, "resolved", "Leuchte getauscht")
    assert done.status_code == 200
    assert "nichts mehr zu tun" in done.get_data(as_text=True)  # no actions any more
    assert 'name="action"' not in done.get_data(as_text=True)
    assert report_row(app, public_id).status == "resolved"
    assert _updates(app, public_id) == ["acknowledged", "resolved"]
    history = client.get(f"/api/v1/tickets/{public_id}", headers=admin_headers).json
    assert "Leuchte getauscht" in str(history)
    with app.app_context():
        kinds = db.session.scalars(
            select(OutboxMessage.kind).where(OutboxMessage.recipient == "erika@example.org")
        ).all()
        db.session.remove()
    assert "resolved" in kinds

    # Staff close the ticket: the link no longer works.
    etag = client.get(f"/api/v1/tickets/{public_id}", headers=admin_headers).headers["ETag"]
    closed = client.post(
        f"/api/v1/tickets/{public_id}/transition",
        json={"to": "closed"},
        headers={**admin_headers, "If-Match": etag},
    )
    assert closed.status_code == 200, closed.json
    gone = client.get(path)
    assert gone.status_code == 404
    assert "Nicht gefunden" in gone.get_data(as_text=True)
    assert "Not found" in gone.get_data(as_text=True)
    assert client.post(path, data={"action": "acknowledged"}).status_code == 404


def test_the_body_gives_the_ticket_back_with_a_reason(app, client, admin_headers):
    public_id, path = _mailed_link(app, client, admin_headers)
    no_reason = _act(client, path, "returned")
    assert no_reason.status_code == 422
    assert "Grund" in no_reason.get_data(as_text=True)
    unknown = _act(client, path, "closed")
    assert unknown.status_code == 422
    assert _updates(app, public_id) == []

    forged = _act(client, path, "returned", "Nicht unsere Leuchte", nonce="0" * 64)
    assert forged.status_code == 409
    assert "nicht mehr aktuell" in forged.get_data(as_text=True)
    assert _updates(app, public_id) == []

    back = _act(client, path, "returned", "Nicht unsere Leuchte")
    assert back.status_code == 200
    report = report_row(app, public_id)
    assert report.status == "in_progress" and report.paused_since is None
    history = client.get(f"/api/v1/tickets/{public_id}", headers=admin_headers).json
    assert "Nicht unsere Leuchte" in str(history)


def test_an_unknown_link_is_not_found_in_both_languages(client):
    resp = client.get("/extern/" + "x" * 32)
    assert resp.status_code == 404
    assert "Nicht gefunden" in resp.get_data(as_text=True)
    assert "no such link" in resp.get_data(as_text=True)
    assert client.get("/extern/" + "x" * 200).status_code == 404
