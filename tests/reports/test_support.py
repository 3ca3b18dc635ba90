"""'Me too' without abuse: once per device, rate limited like intake, and an address given with
a support hears nothing but one confirmation mail until its owner follows the link.

The attacks from the security review: 120 supports in 1.7 s from one address raised
`supporters` by 120, and any third party's e-mail address was subscribed to a report's mails.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from maengelmelder.app import create_app
from maengelmelder.core.models import Follower, Report, Support
from maengelmelder.demo import load_demo
from maengelmelder.extensions import db, limiter
from maengelmelder.notify.jobs import send_pending
from maengelmelder.notify.models import OutboxMessage
from tests.notify import conftest as notify_fixtures
from tests.tickets.helpers import file_ticket, version_of

start_smtp = notify_fixtures.start_smtp
smtp_server = notify_fixtures.smtp_server

CONFIRM = "/api/v1/reports/confirm"
LINK = re.compile(r"^http://maengel\.test/confirm/(\S+)$", re.M)
VICTIM = "opfer@example.org"


def _support(client, public_id: str, device: str | None = None, **body):
    headers = {"X-Device-Id": device} if device else {}
    return client.post(f"/api/v1/reports/{public_id}/support", json=body, headers=headers)


def _supporters(app, public_id: str) -> int:
    with app.app_context():
        count = db.session.scalar(select(Report.supporters).where(Report.public_id == public_id))
        db.session.remove()
        return count


def _count(app, model, *where) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(model).where(*where))
        db.session.remove()
        return count


def _mails(app, to: str | None = None) -> list[OutboxMessage]:
    with app.app_context():
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if to is not None:
            query = query.where(OutboxMessage.recipient == to)
        rows = list(db.session.scalars(query))
        db.session.expunge_all()
        return rows


def _token(mail: OutboxMessage) -> str:
    [token] = LINK.findall(mail.body)
    return token


def _move(crew, public_id: str, to: str):
    resp = crew.post(
        f"/api/v1/tickets/{public_id}/transition",
        json={"to": to, "public_note": "Wir sind dran."},
        headers={"If-Match": version_of(crew, public_id)},
    )
    assert resp.status_code == 200, resp.json


@pytest.fixture
def public_id(client) -> str:
    return file_ticket(client)["report"]["public_id"]


# --------------------------------------------------------------------------- once per device


def test_120_supports_from_one_address_count_once(app, client, public_id):
    """The attack without rate limits (the app fixture switches them off): one device (here,
    one address without a device id) is one supporter, however often it says so."""
    answers = [_support(client, public_id).status_code for _ in range(120)]
    assert answers == [200] * 120
    assert _supporters(app, public_id) == 1
    assert client.get(f"/api/v1/reports/{public_id}").json["supporters"] == 1
    # Other devices count, once each; the same device counts on another report.
    assert _support(client, public_id, "phone-a").json["supporters"] == 2
    assert _support(client, public_id, "phone-a").json["supporters"] == 2
    other = file_ticket(client)["report"]["public_id"]
    assert _support(client, other, "phone-a").json["supporters"] == 1
    assert _count(app, Support) == 3


def test_the_supporter_is_kept_as_a_keyed_hash(app, client, public_id):
    _support(client, public_id, "phone-with-a-known-id")
    with app.app_context():
        [stored] = db.session.scalars(select(Support.supporter)).all()
    assert len(stored) == 64 and "phone" not in stored and "127.0.0.1" not in stored


@pytest.fixture
def limited(app):
    """The test app with the default intake limits on, counted in memory."""
    defaults = create_app({"SECRET_KEY": "x", "INSTANCE_PATH": app.instance_path}).config
    limited_app = create_app(
        {
            **app.config,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "RATELIMIT_STRATEGY": "moving-window",
            "INTAKE_LIMIT_IP": defaults["INTAKE_LIMIT_IP"],
            "INTAKE_LIMIT_DEVICE": defaults["INTAKE_LIMIT_DEVICE"],
        }
    )
    with limited_app.app_context():
        load_demo(db.session)  # no-op: the shared database has the demo city already
        db.session.commit()
    yield limited_app
    with limited_app.app_context():
        db.engine.dispose()
    limiter.reset()


def test_a_support_flood_is_limited_like_intake(limited, public_id):
    """The attack with the shipped limits: 120 supports at once from one address, each with a
    new device id, count at most the address's limit; the rest are 429 with Retry-After."""
    client = limited.test_client()
    per_ip = int(limited.config["INTAKE_LIMIT_IP"].split("/")[0])
    per_device = int(limited.config["INTAKE_LIMIT_DEVICE"].split("/")[0])
    answers = [_support(client, public_id, f"bot-{n}") for n in range(120)]
    assert [a.status_code for a in answers] == [200] * per_ip + [429] * (120 - per_ip)
    refused = answers[-1]
    assert refused.json["error"]["code"] == "rate_limited"
    assert 0 < int(refused.headers["Retry-After"]) <= 61  # the window, rounded up
    assert _supporters(limited, public_id) == per_ip
    # One device alone is held back sooner, whatever the report (after the address's window).
    limiter.reset()
    other = file_ticket(client)["report"]["public_id"]
    again = [_support(client, other, "one-phone").status_code for _ in range(per_device + 1)]
    assert again == [200] * per_device + [429]
    assert _supporters(limited, other) == 1


# --------------------------------------------------------------------------- e-mail addresses


def test_a_third_partys_address_gets_one_confirmation_and_nothing_else(
    app, client, staff, public_id, smtp_server
):
    """The attack: a support with someone else's address. That address now gets one mail that
    asks, and no news of the report, however often it is given and whatever happens."""
    app.config["SMTP_URL"] = smtp_server.url
    assert _support(client, public_id, "phone-a", email=VICTIM.upper()).status_code == 200
    assert _support(client, public_id, "phone-b", email=VICTIM).status_code == 200
    assert _support(client, public_id, "phone-c", email=VICTIM, lang="en").status_code == 200
    crew = staff.client("crew", "tiefbau")
    _move(crew, public_id, "acknowledged")
    _move(crew, public_id, "resolved")
    with app.app_context():
        send_pending()
    assert _count(app, Follower) == 0
    delivered = [m for m in smtp_server.messages if m["To"] == VICTIM]
    assert len(delivered) == 1
    [mail] = _mails(app, VICTIM)
    assert mail.kind == "confirm_follow" and mail.lang == "de"
    assert public_id in mail.subject
    assert f"http://maengel.test/reports/{public_id}" in mail.body
    assert "/track/" not in mail.body  # a supporter never gets the reporter's link


def test_following_the_link_subscribes_the_address(app, client, staff, public_id):
    _support(client, public_id, email=VICTIM, lang="en")
    [mail] = _mails(app, VICTIM)
    assert "Please confirm" in mail.subject
    resp = client.post(CONFIRM, json={"token": _token(mail)})
    assert resp.status_code == 200, resp.json
    assert resp.json["following"] is True and resp.json["public_id"] == public_id
    assert public_id in resp.json["message"]["de"] and public_id in resp.json["message"]["en"]
    with app.app_context():
        followers = db.session.execute(select(Follower.email, Follower.lang, Follower.source)).all()
    assert followers == [(VICTIM, "en", "support")]
    assert client.post(CONFIRM, json={"token": _token(mail)}).status_code == 200  # idempotent
    assert _count(app, Follower) == 1
    # Now, and only now, the address hears about the report.
    _move(staff.client("crew", "tiefbau"), public_id, "acknowledged")
    assert [m.kind for m in _mails(app, VICTIM)] == ["confirm_follow", "acknowledged"]
    # The supporter was counted once; following the link added no support.
    assert _supporters(app, public_id) == 1


def test_the_page_without_javascript_confirms_a_supporter_too(app, client, public_id):
    _support(client, public_id, email=VICTIM)
    [mail] = _mails(app, VICTIM)
    page = client.post(f"/confirm/{_token(mail)}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Sie erhalten Nachricht" in text and public_id in text
    assert _count(app, Follower) == 1


def test_unconfirmed_subscriptions_expire(app, client, clock, public_id):
    _support(client, public_id, email=VICTIM)
    [mail] = _mails(app, VICTIM)
    clock.advance(days=app.config["CONFIRM_EMAIL_DAYS"], seconds=1)
    resp = client.post(CONFIRM, json={"token": _token(mail)})
    assert resp.status_code == 410 and resp.json["error"]["code"] == "confirmation_expired"
    assert _count(app, Follower) == 0
    # Given again after that, the address is asked again: one new mail.
    _support(client, public_id, "phone-b", email=VICTIM)
    assert [m.kind for m in _mails(app, VICTIM)] == ["confirm_follow", "confirm_follow"]


def test_an_erased_address_cannot_be_confirmed_later(app, client, public_id):
    _support(client, public_id, email=VICTIM)
    [mail] = _mails(app, VICTIM)
    result = app.test_cli_runner().invoke(args=["privacy", "erase", VICTIM])
    assert result.exit_code == 0, result.output
    resp = client.post(CONFIRM, json={"token": _token(mail)})
    assert resp.status_code == 400 and resp.json["error"]["code"] == "confirmation_invalid"
    assert _count(app, Follower) == 0


def test_no_mail_to_the_reporter_a_follower_or_a_blocked_address(
    app, client, admin_headers, public_id
):
    reporter = file_ticket(client, email="anna@example.org")["report"]["public_id"]
    _support(client, reporter, email="Anna@Example.org")
    assert _mails(app, "anna@example.org") == []
    blocked = client.post(
        "/api/v1/admin/blocklist", json={"pattern": "@spam.example"}, headers=admin_headers
    )
    assert blocked.status_code == 201
    assert _support(client, public_id, email="x@spam.example").status_code == 200
    assert _mails(app, "x@spam.example") == []
    _support(client, public_id, email=VICTIM)
    client.post(CONFIRM, json={"token": _token(_mails(app, VICTIM)[0])})
    _support(client, public_id, "phone-b", email=VICTIM)  # follows already
    assert len(_mails(app, VICTIM)) == 1


def test_a_closed_report_takes_no_support(app, client, staff, public_id):
    crew = staff.client("crew", "tiefbau")
    _move(crew, public_id, "resolved")
    _move(crew, public_id, "closed")
    resp = _support(client, public_id, email=VICTIM)
    assert resp.status_code == 409 and resp.json["error"]["code"] == "support_closed"
    assert (_supporters(app, public_id), _count(app, Support), _mails(app, VICTIM)) == (0, 0, [])
