"""Addresses are found however they were typed, on SQLite as on PostgreSQL.

SQLite's lower() folds only ASCII: erasing `änne@EXAMPLE.org` found nothing of
`ÄNNE@example.org` there. Every lookup now compares keys made in Python (maengelmelder/emails.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select

from maengelmelder.abuse.confirmation import email_hash
from maengelmelder.abuse.models import BlockedSender, ConfirmedEmail
from maengelmelder.core.models import Follower, Report
from maengelmelder.demo import load_demo
from maengelmelder.emails import email_key, redact
from maengelmelder.extensions import db
from maengelmelder.notify.models import OutboxMessage
from tests.conftest import Clock, migration_app
from tests.tickets.helpers import file_ticket, version_of

STORED = "ÄNNE@example.org"
TYPED = "änne@EXAMPLE.org"


def test_keys_fold_unicode_case_and_normal_forms():
    assert email_key(STORED) == email_key(TYPED) == "änne@example.org"
    assert email_key(" A\u0308NNE@example.org ") == "änne@example.org"  # decomposed Ä
    assert email_key("Straße@example.org") == email_key("STRASSE@example.org")
    assert email_key("anne@example.org") != email_key(TYPED)  # another person
    assert email_key(email_key(STORED)) == email_key(STORED)
    assert email_key("  ") is None and email_key(None) is None
    assert redact(f"550 <{TYPED.upper()}> unknown; cc x.y@z.example", STORED) == (
        "550 <<address>> unknown; cc <address>"
    )


def acknowledge(crew, public_id: str) -> None:
    resp = crew.post(
        f"/api/v1/tickets/{public_id}/transition",
        json={"to": "acknowledged"},
        headers={"If-Match": version_of(crew, public_id)},
    )
    assert resp.status_code == 200, resp.json


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_erasure_finds_the_address_however_it_was_typed(app, client, staff, clock):
    crew = staff.client("crew", "tiefbau")
    mine = file_ticket(client, email=STORED)["report"]["public_id"]
    other = file_ticket(client, email="anne@example.org")["report"]["public_id"]
    acknowledge(crew, mine)  # a mail to Änne
    acknowledge(crew, other)  # a mail to Anne, who is someone else
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.public_id == other))
        report.followers.append(
            Follower(email="Änne@Example.ORG", lang="de", source="support", created_at=clock())
        )
        db.session.add(
            ConfirmedEmail(
                email_hash=email_hash("test-secret", "änne@example.org"), confirmed_at=clock()
            )
        )
        db.session.commit()

    result = app.test_cli_runner().invoke(args=["privacy", "erase", TYPED])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == (
        "1 Meldung: Adresse entfernt; 1 Eintrag als Unterstützende: entfernt; "
        "1 Mail an die Adresse: gelöscht; 1 Bestätigung der Adresse: vergessen"
    )
    assert lines[1] == (
        "1 report: address removed; 1 follower entry: removed; "
        "1 mail to the address: deleted; 1 confirmation of the address: forgotten"
    )
    assert lines[2] == f"Meldungen / reports: {mine}"
    with app.app_context():
        assert count(Report, Report.reporter_email.is_not(None)) == 1  # Anne's
        assert count(Follower) == 0
        assert count(ConfirmedEmail) == 0
        assert db.session.scalars(select(OutboxMessage.recipient)).all() == ["anne@example.org"]
        report = db.session.scalar(select(Report).where(Report.public_id == mine))
        assert (report.reporter_email, report.reporter_email_key) == (None, None)

    again = app.test_cli_runner().invoke(args=["privacy", "erase", STORED])
    assert again.output.splitlines()[1].startswith("0 reports: address removed;")


def test_the_block_list_matches_unicode_capitals(app, client, admin_headers):
    resp = client.post(
        "/api/v1/admin/blocklist", json={"pattern": "ÄNNE@Example.org"}, headers=admin_headers
    )
    assert resp.status_code == 201 and resp.json["pattern"] == "änne@example.org"
    duplicate = client.post(
        "/api/v1/admin/blocklist", json={"pattern": "änne@EXAMPLE.org"}, headers=admin_headers
    )
    assert duplicate.status_code == 409
    held = file_ticket(client, email="Änne@example.org")["report"]["public_id"]
    free = file_ticket(client, email="anne@example.org")["report"]["public_id"]
    with app.app_context():
        reasons = dict(db.session.execute(select(Report.public_id, Report.held_reason)).all())
    assert reasons == {held: "blocklist", free: None}


def test_the_migration_keys_the_addresses_a_city_already_has(empty_database_url, tmp_path):
    clock = Clock()
    app = migration_app(empty_database_url, tmp_path, clock)
    with app.app_context():
        upgrade()
        load_demo(db.session, now=clock())
        db.session.commit()
    client = app.test_client()
    public_id = file_ticket(client, email=STORED)["report"]["public_id"]
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.public_id == public_id))
        report.followers.append(
            Follower(email="Änne@Example.ORG", lang="de", source="support", created_at=clock())
        )
        db.session.add(
            BlockedSender(pattern="straße@example.org", created_at=clock(), created_by="cli")
        )
        db.session.add(
            OutboxMessage(
                created_at=clock(), kind="acknowledged", recipient=STORED, subject="s", body="b",
                status="failed", attempts=8, next_attempt_at=clock(), lang="de",
            )
        )  # fmt: skip
        db.session.commit()
        db.session.remove()
        # Back to before the keys existed, then forward again: the rows are keyed.
        downgrade(revision="0012")
        upgrade()
        with db.engine.connect() as conn:
            keys = conn.execute(
                sa.text(
                    "SELECT (SELECT reporter_email_key FROM reports), "
                    "(SELECT email_key FROM followers), (SELECT recipient_key FROM outbox), "
                    "(SELECT failed_at IS NOT NULL FROM outbox), "
                    "(SELECT pattern FROM blocked_senders)"
                )
            ).one()
        assert tuple(keys) == (
            "änne@example.org",
            "änne@example.org",
            "änne@example.org",
            True,
            "strasse@example.org",
        )
        db.session.remove()
        db.engine.dispose()


def test_the_demo_history_writes_keys_with_its_addresses(app):
    """The history is written in bulk (COPY, executemany), past the ORM's events."""
    result = app.test_cli_runner().invoke(args=["demo", "history", "--reports", "300"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        pairs = [
            *db.session.execute(select(Report.reporter_email, Report.reporter_email_key)),
            *db.session.execute(select(Follower.email, Follower.email_key)),
            *db.session.execute(select(OutboxMessage.recipient, OutboxMessage.recipient_key)),
        ]
    with_address = [(a, k) for a, k in pairs if a is not None]
    assert len(with_address) > 50
    assert all(k == email_key(a) for a, k in with_address)
