"""Reporters hear about their tickets by e-mail: queued with the change, sent over real SMTP."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from maengelmelder.core.models import Report
from maengelmelder.extensions import db
from maengelmelder.notify.jobs import send_pending
from maengelmelder.notify.models import OutboxMessage
from maengelmelder.tickets import service
from maengelmelder.tickets.jobs import housekeeping
from maengelmelder.tickets.notifications import Links
from tests.notify import conftest as notify_fixtures
from tests.tickets.helpers import CENTRE, file_ticket, version_of

# The real SMTP server of the outbox tests (tests/notify/conftest.py), usable here too.
start_smtp = notify_fixtures.start_smtp
smtp_server = notify_fixtures.smtp_server

BASE_URL = "http://maengel.test"  # the app fixture's BASE_URL
TRACK_LINK = re.compile(r"http://maengel\.test(/track/[A-Za-z0-9_-]+)")


@pytest.fixture
def crew(staff):
    return staff.client("crew", "tiefbau")


def move(client, public_id: str, to: str, **fields):
    resp = client.post(
        f"/api/v1/tickets/{public_id}/transition",
        json={"to": to, **fields},
        headers={"If-Match": version_of(client, public_id)},
    )
    return resp


def outbox(app, kind: str | None = None) -> list[OutboxMessage]:
    with app.app_context():
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind is not None:
            query = query.where(OutboxMessage.kind == kind)
        rows = list(db.session.scalars(query))
        db.session.expunge_all()
        return rows


def send(app, smtp_server) -> dict[str, int]:
    app.config["SMTP_URL"] = smtp_server.url
    with app.app_context():
        return send_pending()


def mails_to(smtp_server, address: str) -> list:
    return [m for m in smtp_server.messages if m["To"] == address]


def text(mail) -> str:
    """The decoded body with plain line ends."""
    return mail.get_content().replace("\r\n", "\n")


def tracking_path(mail) -> str:
    match = TRACK_LINK.search(text(mail))
    assert match, text(mail)
    return match.group(1)


def test_reporters_get_mails_in_their_language_with_a_working_link(
    app,
    client,
    crew,
    clock,
    smtp_server,
):
    anna = file_ticket(client, email="anna@example.org")
    ben = file_ticket(client, email="ben@example.org", lang="en")
    body = {"category": "schlagloch", "description": "Pothole", "email": "cleo@example.org"}
    resp = client.post(
        "/api/v1/reports", json={**body, **CENTRE}, headers={"Accept-Language": "en-GB,en;q=0.8"}
    )
    assert resp.status_code == 201, resp.json
    cleo = resp.json
    silent = file_ticket(client)
    muted = file_ticket(client, email="dora@example.org", notify=False)
    ids = {
        name: created["report"]["public_id"]
        for name, created in [
            ("anna", anna),
            ("ben", ben),
            ("cleo", cleo),
            ("silent", silent),
            ("muted", muted),
        ]
    }

    # Each change queues its mails in its own transaction: they are there once it answered.
    for name, expected in [("anna", 1), ("silent", 1), ("muted", 1), ("ben", 2), ("cleo", 3)]:
        clock.advance(minutes=5)
        assert move(crew, ids[name], "acknowledged").status_code == 200
        assert len(outbox(app)) == expected
    clock.advance(hours=3)
    assert move(crew, ids["anna"], "resolved", public_note="Verfüllt").status_code == 200
    assert move(crew, ids["silent"], "resolved", public_note="Verfüllt").status_code == 200
    assert move(crew, ids["muted"], "resolved", public_note="Verfüllt").status_code == 200
    reason = "Private ground, please contact the owner"
    assert move(crew, ids["ben"], "rejected", public_note=reason).status_code == 200
    assert move(crew, ids["cleo"], "in_progress").status_code == 200  # no mail for this step
    queued = outbox(app)
    assert [(m.recipient, m.kind) for m in queued] == [
        ("anna@example.org", "acknowledged"),
        ("ben@example.org", "acknowledged"),
        ("cleo@example.org", "acknowledged"),
        ("anna@example.org", "resolved"),
        ("ben@example.org", "rejected"),
    ]
    assert {m.status for m in queued} == {"pending"}

    clock.advance(minutes=1)
    assert send(app, smtp_server) == {"sent": 5, "retry": 0, "failed": 0}
    assert len(smtp_server.messages) == 5
    assert {m["To"] for m in smtp_server.messages} == {
        "anna@example.org",
        "ben@example.org",
        "cleo@example.org",
    }
    assert all(rcpts != ["dora@example.org"] for _, rcpts in smtp_server.envelopes)

    acknowledged, resolved = mails_to(smtp_server, "anna@example.org")
    assert acknowledged["Subject"] == f"Ihre Meldung {ids['anna']} wurde angenommen"
    assert resolved["Subject"] == f"Ihre Meldung {ids['anna']} ist erledigt"
    assert resolved["Content-Language"] == "de"
    assert "Hinweis der Verwaltung:\nVerfüllt" in text(resolved)
    assert "Aktueller Status: Erledigt" in text(resolved)

    acknowledged, rejected = mails_to(smtp_server, "ben@example.org")
    assert acknowledged["Subject"] == f"Your report {ids['ben']} has been accepted"
    assert rejected["Subject"] == f"Your report {ids['ben']} has been rejected"
    assert rejected["Content-Language"] == "en"
    assert f"Reason:\n{reason}" in text(rejected)

    (cleos,) = mails_to(smtp_server, "cleo@example.org")
    assert cleos["Subject"] == f"Your report {ids['cleo']} has been accepted"

    # Every mail's link is the reporter's own tracking link, and it opens their report.
    for name, created in [("anna", anna), ("ben", ben), ("cleo", cleo)]:
        for mail in mails_to(smtp_server, f"{name}@example.org"):
            path = tracking_path(mail)
            assert BASE_URL + path == created["tracking_url"]
            assert client.get(path).status_code == 200
            tracked = client.get("/api/v1" + path)
            assert tracked.status_code == 200
            assert tracked.json["public_id"] == ids[name]

    # Sent rows are done: a second run sends nothing more.
    assert {m.status for m in outbox(app)} == {"sent"}
    clock.advance(minutes=1)
    assert send(app, smtp_server) == {"sent": 0, "retry": 0, "failed": 0}
    assert len(smtp_server.messages) == 5


def test_duplicate_reporter_hears_when_the_original_is_resolved(
    app,
    client,
    crew,
    clock,
    smtp_server,
):
    original = file_ticket(client, email="erste@example.org")["report"]["public_id"]
    dup = file_ticket(client, email="zweite@example.org", lang="en")["report"]["public_id"]
    assert move(crew, dup, "duplicate", duplicate_of=original).status_code == 200
    clock.advance(hours=5)
    assert move(crew, original, "resolved", public_note="Verfüllt").status_code == 200

    resolved = outbox(app, "resolved")
    assert sorted(m.recipient for m in resolved) == ["erste@example.org", "zweite@example.org"]
    assert send(app, smtp_server)["sent"] == len(outbox(app))

    (first,) = mails_to(smtp_server, "erste@example.org")
    assert first["Subject"] == f"Ihre Meldung {original} ist erledigt"
    (second,) = mails_to(smtp_server, "zweite@example.org")
    # The follower hears about the original, in the language of their own report.
    assert second["Subject"] == f"Your report {original} has been resolved"
    assert "Verfüllt" in text(second)
    # A follower gets the public page, never the reporter's tracking link (which could close
    # the ticket and shows unpublished text).
    assert "/track/" not in text(second)
    assert f"http://maengel.test/reports/{original}" in text(second)
    page = client.get(f"/reports/{original}")
    assert page.status_code == 200 and "Verfüllt" in page.get_data(as_text=True)


def test_followup_asks_once_then_the_ticket_closes(app, client, crew, clock, smtp_server):
    assert app.config["FOLLOWUP_DAYS"] == 3
    assert app.config["AUTO_CLOSE_DAYS"] == 14
    public_id = file_ticket(client, email="anna@example.org")["report"]["public_id"]
    dup = file_ticket(client, email="ben@example.org", lang="en")["report"]["public_id"]
    assert move(crew, dup, "duplicate", duplicate_of=public_id).status_code == 200
    assert move(crew, public_id, "resolved", public_note="Verfüllt").status_code == 200
    resolved_at = clock()

    def run() -> dict[str, list[str]]:
        with app.app_context():
            return housekeeping()

    clock.advance(days=3, seconds=-1)
    assert run() == {"followups": [], "closed": []}
    assert outbox(app, "followup") == []

    clock.advance(seconds=1)
    assert run() == {"followups": [public_id], "closed": []}
    followups = outbox(app, "followup")
    assert sorted(m.recipient for m in followups) == ["anna@example.org", "ben@example.org"]
    clock.advance(hours=6)
    assert run() == {"followups": [], "closed": []}
    assert len(outbox(app, "followup")) == 2

    send(app, smtp_server)
    (german,) = [m for m in mails_to(smtp_server, "anna@example.org") if "behoben" in m["Subject"]]
    assert german["Subject"] == f"Ist es behoben? Ihre Meldung {public_id}"
    assert client.get(tracking_path(german)).status_code == 200
    (english,) = [m for m in mails_to(smtp_server, "ben@example.org") if "fixed" in m["Subject"]]
    assert english["Subject"] == f"Is it fixed? Your report {public_id}"

    clock.now = resolved_at + timedelta(days=14)
    assert run() == {"followups": [], "closed": [public_id]}
    ticket = crew.get(f"/api/v1/tickets/{public_id}").json
    assert ticket["status"] == "closed"
    assert ticket["history"][-1]["data"] == {"reason": "quiet_period"}
    assert ticket["history"][-1]["actor"] == "system"  # not the citizen
    assert len(outbox(app, "followup")) == 2
    assert run() == {"followups": [], "closed": []}


def test_followup_waits_for_the_configured_days(app, client, crew, clock):
    app.config["FOLLOWUP_DAYS"] = 5
    public_id = file_ticket(client, email="anna@example.org")["report"]["public_id"]
    assert move(crew, public_id, "resolved").status_code == 200
    clock.advance(days=4)
    with app.app_context():
        assert housekeeping()["followups"] == []
    clock.advance(days=1)
    with app.app_context():
        assert housekeeping()["followups"] == [public_id]
    assert [m.recipient for m in outbox(app, "followup")] == ["anna@example.org"]


def test_no_followup_without_recipients_or_after_the_citizen_confirmed(app, client, crew, clock):
    silent = file_ticket(client)["report"]["public_id"]
    confirmed = file_ticket(client, email="anna@example.org")
    assert move(crew, silent, "resolved").status_code == 200
    assert move(crew, confirmed["report"]["public_id"], "resolved").status_code == 200
    resp = client.post(f"/api/v1/track/{confirmed['tracking_token']}/confirm")
    assert resp.status_code == 200
    clock.advance(days=4)
    with app.app_context():
        assert housekeeping() == {"followups": [], "closed": []}
    assert outbox(app, "followup") == []


def test_a_refused_change_queues_no_mail(app, client, crew):
    public_id = file_ticket(client, email="anna@example.org")["report"]["public_id"]
    assert move(crew, public_id, "closed").status_code == 409
    assert move(crew, public_id, "rejected").status_code == 422  # no reason given
    assert move(crew, public_id, "duplicate", duplicate_of=public_id).status_code == 422
    stale = crew.post(
        f"/api/v1/tickets/{public_id}/transition",
        json={"to": "acknowledged"},
        headers={"If-Match": '"0"'},
    )
    assert stale.status_code == 412
    assert outbox(app) == []
    assert crew.get(f"/api/v1/tickets/{public_id}").json["status"] == "new"


def test_mail_is_part_of_the_change_and_rolls_back_with_it(app, client, clock):
    public_id = file_ticket(client, email="anna@example.org")["report"]["public_id"]
    links = Links(base_url=BASE_URL, secret_key=app.config["SECRET_KEY"], city_name="Demo")
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.public_id == public_id))
        change = service.Change(principal=None, now=clock(), links=links)
        service.transition(db.session, report, change, to="resolved", public_note="Verfüllt")
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
        db.session.rollback()
    assert outbox(app) == []
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.public_id == public_id))
        assert report.status == "new"
