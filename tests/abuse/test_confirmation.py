"""Optional e-mail confirmation: held until the address owner follows the link in the mail."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from maengelmelder.abuse.models import ConfirmedEmail
from maengelmelder.extensions import db
from maengelmelder.notify.models import OutboxMessage
from maengelmelder.privacy.jobs import retention
from tests import images
from tests.abuse.helpers import EVERYWHERE, NOWHERE, file, publicly_visible, stored
from tests.open311.conftest import INSIDE as OPEN311_INSIDE
from tests.passes import run_privacy_passes
from tests.reports.helpers import post_multipart, report_json
from tests.tickets.helpers import version_of

CONFIRM = "/api/v1/reports/confirm"
LINK = re.compile(r"^http://maengel\.test/confirm/(\S+)$", re.M)


@pytest.fixture
def confirming(app):
    app.config["CONFIRM_UNKNOWN_EMAILS"] = True
    return app


def mails(app, kind: str = "confirm_email") -> list[OutboxMessage]:
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
            )
        )
        db.session.expunge_all()
        return rows


def token_from(mail: OutboxMessage) -> str:
    [token] = LINK.findall(mail.body)
    return token


def confirmations(app) -> list[ConfirmedEmail]:
    with app.app_context():
        rows = list(db.session.scalars(select(ConfirmedEmail)))
        db.session.expunge_all()
        return rows


def lamp_with_photo(client, email: str, lang: str = "de") -> dict:
    """A street lamp (published automatically) with a photo, from an e-mail address."""
    body = report_json(category="strassenlaterne", email=email, lang=lang)
    resp = post_multipart(client, body, [images.phone_jpeg(width=640, height=480)])
    assert resp.status_code == 201, resp.json
    return resp.json


def confirm(client, token: str):
    return client.post(CONFIRM, json={"token": token})


def test_off_by_default(app, client):
    public_id = file(client, email="anna@example.org")["report"]["public_id"]
    assert stored(app, public_id).held_reason is None
    assert mails(app) == []


def test_confirmation_end_to_end(confirming, client, staff):
    app = confirming
    created = lamp_with_photo(client, "Anna@Example.org", lang="en")
    public_id = created["report"]["public_id"]
    # Held: nothing public, photo not approved, an event for staff; the reporter's link works.
    report = stored(app, public_id)
    assert (report.held_reason, report.published) == ("email_unconfirmed", False)
    assert [p.approved for p in report.photos] == [False]
    assert [(e.kind, e.data) for e in report.events][-1] == (
        "held",
        {"reason": "email_unconfirmed"},
    )
    assert publicly_visible(client, public_id) == NOWHERE
    assert client.get(f"/api/v1/track/{created['tracking_token']}").status_code == 200

    # The mail is in the outbox, in the reporter's language, with the link and the tracking link.
    [mail] = mails(app)
    assert mail.recipient == "Anna@Example.org"
    assert mail.lang == "en"
    assert public_id in mail.subject and "confirm your e-mail address" in mail.subject
    assert "within 7 days" in mail.body
    assert created["tracking_url"] in mail.body
    token = token_from(mail)

    run_privacy_passes(client.application)  # as the worker does after the photo's intake
    # Following the link: the page, then the app's call.
    page = client.get(f"/confirm/{token}")
    assert page.status_code == 200 and "JavaScript" in page.get_data(as_text=True)
    resp = confirm(client, token)
    assert resp.status_code == 200, resp.json
    assert resp.json["public_id"] == public_id
    assert resp.json["published"] is True  # street lamps publish automatically
    assert "öffentlich" in resp.json["message"]["de"] and "public" in resp.json["message"]["en"]

    assert publicly_visible(client, public_id) == EVERYWHERE
    seen = client.get(f"/api/v1/reports/{public_id}").json
    assert seen["description"] and len(seen["photos"]) == 1
    crew = staff.client("crew", "beleuchtung")
    ticket = crew.get(f"/api/v1/tickets/{public_id}").json
    assert ticket["held_reason"] is None
    assert (ticket["history"][-1]["kind"], ticket["history"][-1]["actor"]) == (
        "email_confirmed",
        "citizen",
    )
    # Only a keyed hash of the address is kept.
    [row] = confirmations(app)
    assert len(row.email_hash) == 64 and "anna" not in row.email_hash.lower()
    assert row.confirmed_at.isoformat() == "2026-03-10T09:00:00+00:00"


def test_confirming_releases_every_held_report_of_the_address(confirming, client):
    app = confirming
    first = file(client, email="anna@example.org")["report"]["public_id"]
    second = file(client, email="ANNA@example.org", category="strassenlaterne")
    other = file(client, email="ben@example.org")["report"]["public_id"]
    token = token_from(mails(app)[0])
    resp = confirm(client, token)
    assert resp.json["public_id"] == first
    # Potholes wait for moderation as usual: confirmed, but not published yet.
    assert resp.json["published"] is False
    assert "geprüft" in resp.json["message"]["de"] and "reviewed" in resp.json["message"]["en"]
    assert stored(app, first).held_reason is None
    assert stored(app, second["report"]["public_id"]).published is True
    assert stored(app, other).held_reason == "email_unconfirmed"
    # Released means listed like any report waiting for moderation: no text yet.
    visible = publicly_visible(client, first)
    assert visible == EVERYWHERE
    assert client.get(f"/api/v1/reports/{first}").json["description"] is None


def test_later_reports_from_a_confirmed_address_are_not_held(confirming, client):
    app = confirming
    file(client, email="anna@example.org")
    confirm(client, token_from(mails(app)[0]))
    later = file(client, email="Anna@example.org")["report"]["public_id"]
    assert stored(app, later).held_reason is None
    assert len(mails(app)) == 1


def test_confirming_twice_is_fine(confirming, client):
    app = confirming
    public_id = file(client, email="anna@example.org")["report"]["public_id"]
    token = token_from(mails(app)[0])
    first, again = confirm(client, token), confirm(client, token)
    assert first.status_code == again.status_code == 200
    assert first.json == again.json
    assert len(confirmations(app)) == 1
    kinds = [e.kind for e in stored(app, public_id).events]
    assert kinds.count("email_confirmed") == 1


def test_an_expired_link_is_410_and_the_report_stays_held(confirming, client, clock):
    app = confirming
    public_id = file(client, email="anna@example.org")["report"]["public_id"]
    token = token_from(mails(app)[0])
    clock.advance(days=7, seconds=1)
    resp = confirm(client, token)
    assert resp.status_code == 410
    error = resp.json["error"]
    assert error["code"] == "confirmation_expired"
    assert "7" in error["message"]["de"] and "7" in error["message"]["en"]
    assert stored(app, public_id).held_reason == "email_unconfirmed"
    assert confirmations(app) == []


def test_a_link_is_good_until_the_last_second(confirming, client, clock):
    app = confirming
    app.config["CONFIRM_EMAIL_DAYS"] = 2
    file(client, email="anna@example.org")
    token = token_from(mails(app)[0])
    assert "2 Tagen" in mails(app)[0].body
    clock.advance(days=2)
    assert confirm(client, token).status_code == 200


@pytest.mark.parametrize("how", ["garbage", "tampered", "other key"])
def test_a_bad_link_is_400(confirming, client, how):
    app = confirming
    public_id = file(client, email="anna@example.org")["report"]["public_id"]
    token = token_from(mails(app)[0])
    if how == "garbage":
        token = "not-a-token"
    elif how == "tampered":
        token = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    else:
        from maengelmelder.abuse.confirmation import make_token

        token = make_token("another secret", stored(app, public_id).id, app.config["CLOCK"]())
    resp = confirm(client, token)
    assert resp.status_code == 400
    error = resp.json["error"]
    assert error["code"] == "confirmation_invalid"
    assert error["message"]["de"] != error["message"]["en"]
    assert stored(app, public_id).held_reason == "email_unconfirmed"


def test_bad_bodies_are_refused(confirming, client):
    assert client.post(CONFIRM, json={}).status_code == 422
    assert client.post(CONFIRM, json={"token": "x", "email": "a@b.example"}).status_code == 422
    assert client.post(CONFIRM, data="token=x").status_code == 400


def test_reports_without_an_email_are_not_held(confirming, client):
    public_id = file(client)["report"]["public_id"]
    assert stored(confirming, public_id).held_reason is None
    assert mails(confirming) == []


# -- the block list wins ------------------------------------------------------------------------


def _block(app, pattern: str) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["blocklist", "add", pattern]).exit_code == 0


def test_a_blocked_address_is_held_for_the_block_list_and_gets_no_mail(confirming, client):
    app = confirming
    _block(app, "@wegwerf.example")
    public_id = file(client, email="bot@wegwerf.example")["report"]["public_id"]
    assert stored(app, public_id).held_reason == "blocklist"
    assert mails(app) == []


def test_a_confirmed_address_that_is_blocked_later_is_held(confirming, client):
    app = confirming
    file(client, email="anna@wegwerf.example")
    confirm(client, token_from(mails(app)[0]))
    _block(app, "@wegwerf.example")
    later = file(client, email="anna@wegwerf.example")["report"]["public_id"]
    assert stored(app, later).held_reason == "blocklist"


def test_confirming_does_not_release_what_the_block_list_holds(confirming, client, staff):
    app = confirming
    public_id = file(client, email="anna@wegwerf.example", category="strassenlaterne")
    public_id = public_id["report"]["public_id"]
    _block(app, "anna@wegwerf.example")
    resp = confirm(client, token_from(mails(app)[0]))
    assert resp.status_code == 200
    assert resp.json["published"] is False
    report = stored(app, public_id)
    assert (report.held_reason, report.published) == ("blocklist", False)
    assert [e.data for e in report.events if e.kind == "held"] == [
        {"reason": "email_unconfirmed"},
        {"reason": "blocklist"},
    ]
    assert publicly_visible(client, public_id) == NOWHERE


def test_a_moderation_decision_ends_the_hold_and_confirming_respects_it(confirming, client, staff):
    app = confirming
    public_id = file(client, email="anna@example.org", category="strassenlaterne")
    public_id = public_id["report"]["public_id"]
    crew = staff.client("crew", "beleuchtung")
    resp = crew.post(
        f"/api/v1/tickets/{public_id}/publication",
        json={"action": "hide", "reason": "Name im Text"},
        headers={"If-Match": version_of(crew, public_id)},
    )
    assert resp.status_code == 200 and resp.json["held_reason"] is None
    assert confirm(client, token_from(mails(app)[0])).json["published"] is False
    assert stored(app, public_id).published is False  # staff hid it; confirming does not undo


# -- other ways in and out ------------------------------------------------------------------------


def test_open311_reports_are_held_and_mailed_too(confirming, client, staff):
    app = confirming
    resp = client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": staff.token("crew", "tiefbau"),
            "service_code": "schlagloch",
            "email": "anna@example.org",
            **OPEN311_INSIDE,
        },
    )
    assert resp.status_code == 201, resp.json
    public_id = resp.json[0]["service_request_id"]
    assert stored(app, public_id).held_reason == "email_unconfirmed"
    assert confirm(client, token_from(mails(app)[0])).json["public_id"] == public_id


def test_the_page_without_javascript_confirms_with_a_button(confirming, client):
    app = confirming
    public_id = file(client, email="anna@example.org")["report"]["public_id"]
    token = token_from(mails(app)[0])
    page = client.get(f"/confirm/{token}").get_data(as_text=True)
    assert '<form method="post">' in page and "Bestätigen" in page and "Confirm" in page
    assert stored(app, public_id).held_reason == "email_unconfirmed"  # opening is not confirming
    done = client.post(f"/confirm/{token}")
    assert done.status_code == 200
    assert "ist bestätigt" in done.get_data(as_text=True)
    assert f"/reports/{public_id}" in done.get_data(as_text=True)
    assert stored(app, public_id).held_reason is None
    bad = client.post("/confirm/nonsense")
    assert bad.status_code == 400 and "ungültig" in bad.get_data(as_text=True)


def test_the_built_app_serves_the_confirm_and_report_pages(confirming, client, tmp_path):
    app = confirming
    public_id = file(client)["report"]["public_id"]
    assert "<h1>" in client.get(f"/reports/{public_id}").get_data(as_text=True)
    built = tmp_path / "app"
    built.mkdir()
    (built / "index.html").write_text("<!doctype html><title>citizen app</title>")
    app.config["FRONTEND_DIR"] = str(built)
    for path in ("/confirm/any-token", f"/reports/{public_id}", "/reports/2026-999999"):
        resp = client.get(path)
        assert resp.status_code == 200, path
        assert "citizen app" in resp.get_data(as_text=True)
        assert resp.headers["Cache-Control"] == "no-cache"


# -- privacy --------------------------------------------------------------------------------------


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_erasure_removes_the_confirmation(confirming, client):
    app = confirming
    file(client, email="anna@example.org")
    confirm(client, token_from(mails(app)[0]))
    assert _count(app, ConfirmedEmail) == 1
    result = app.test_cli_runner().invoke(args=["privacy", "erase", "ANNA@example.org"])
    assert result.exit_code == 0, result.output
    assert "1 confirmation of the address: forgotten" in result.output
    assert "1 Bestätigung der Adresse: vergessen" in result.output
    assert _count(app, ConfirmedEmail) == 0
    # The address is unknown again: its next report waits for a new confirmation.
    later = file(client, email="anna@example.org")["report"]["public_id"]
    assert stored(app, later).held_reason == "email_unconfirmed"


def test_retention_removes_the_confirmation_with_the_last_report_keeping_the_address(
    confirming, client, staff, clock
):
    app = confirming
    crew = staff.client("crew", "tiefbau")
    done = file(client, email="anna@example.org")["report"]["public_id"]
    confirm(client, token_from(mails(app)[0]))
    for to in ("resolved", "closed"):
        resp = crew.post(
            f"/api/v1/tickets/{done}/transition",
            json={"to": to},
            headers={"If-Match": version_of(crew, done)},
        )
        assert resp.status_code == 200, resp.json
    still_open = file(client, email="Anna@example.org")["report"]["public_id"]
    clock.advance(days=91)
    with app.app_context():
        retention()
    assert stored(app, done).reporter_email is None
    assert _count(app, ConfirmedEmail) == 1  # the open report still keeps the address
    for to in ("resolved", "closed"):
        crew.post(
            f"/api/v1/tickets/{still_open}/transition",
            json={"to": to},
            headers={"If-Match": version_of(crew, still_open)},
        )
    clock.advance(days=91)
    result = app.test_cli_runner().invoke(args=["privacy", "retention"])
    assert result.exit_code == 0, result.output
    assert "1 confirmation: forgotten" in result.output
    assert _count(app, ConfirmedEmail) == 0
