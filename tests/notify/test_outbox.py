"""Queue in the caller's transaction, send through a real SMTP server, retry, never send twice."""

from __future__ import annotations

import logging
import re
import threading
from datetime import timedelta
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import func, select

from maengelmelder.extensions import db
from maengelmelder.notify.mailer import LogMailer, SmtpMailer
from maengelmelder.notify.models import OutboxMessage
from maengelmelder.notify.sending import backoff, send_due
from maengelmelder.notify.service import queue_mail
from tests.notify.conftest import free_port

SENDER = "Mängelmelder Musterstadt <maengelmelder@musterstadt.example>"


def text(mail) -> str:
    """The decoded body with the wire's CRLF line ends as plain newlines."""
    return mail.get_content().replace("\r\n", "\n")


def queue(session, clock, context, **overrides) -> OutboxMessage | None:
    args = {
        "kind": "acknowledged",
        "to": "buerger@example.org",
        "template": "acknowledged",
        "context": context,
        "now": clock(),
    }
    args.update(overrides)
    return queue_mail(session, **args)


def test_queued_german_mail_arrives_rendered_with_headers(
    session, session_factory, smtp_server, clock, citizen_context, outbox
):
    message = queue(session, clock, citizen_context(), dedupe_key="1:acknowledged:7")
    assert message is not None and message.id is not None  # flushed, not committed
    session.commit()
    clock.advance(minutes=5)

    result = send_due(session_factory, mailer=SmtpMailer(smtp_server.url, SENDER), now=clock())

    assert result == {"sent": 1, "retry": 0, "failed": 0}
    [mail] = smtp_server.messages
    assert mail["To"] == "buerger@example.org"
    assert mail["From"] == SENDER
    assert mail["Subject"] == "Ihre Meldung 2026-000042 wurde angenommen"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["Content-Language"] == "de"
    assert mail.get_content_type() == "text/plain"
    assert mail.get_content_charset() == "utf-8"
    [row] = outbox()
    created = int(row.created_at.timestamp())
    assert mail["Message-ID"] == f"<outbox-{row.id}.{created}@maengelmelder>"
    assert parsedate_to_datetime(mail["Date"]) == row.created_at
    body = text(mail)
    assert "„Straßenschäden / Schlagloch“ (2026-000042)" in body
    assert "Wir prüfen das bis Ende der Woche. Grüße aus dem Bauhof!" in body
    assert "http://maengel.test/track/Tok3n-abc_XYZ\n" in body
    assert smtp_server.envelopes == [("maengelmelder@musterstadt.example", ["buerger@example.org"])]
    assert (row.status, row.attempts, row.sent_at, row.last_error) == ("sent", 1, clock(), None)
    assert (row.kind, row.lang, row.dedupe_key) == ("acknowledged", "de", "1:acknowledged:7")


def test_english_mail_arrives_in_english(
    session, session_factory, smtp_server, clock, citizen_context, outbox
):
    context = citizen_context(status_label="Resolved", category="Pothole", note=None)
    queue(session, clock, context, kind="resolved", template="resolved", lang="en")
    session.commit()

    send_due(session_factory, mailer=SmtpMailer(smtp_server.url, SENDER), now=clock())

    [mail] = smtp_server.messages
    assert mail["Subject"] == "Your report 2026-000042 has been resolved"
    assert mail["Content-Language"] == "en"
    body = text(mail)
    assert 'Your report "Pothole" (2026-000042) has been marked as resolved.' in body
    assert "reopen" in body
    assert body.rstrip().endswith("replies to this address are not read.")
    assert "http://maengel.test/track/Tok3n-abc_XYZ" in body
    assert outbox()[0].lang == "en"


def test_unknown_language_is_stored_and_sent_as_german(
    session, session_factory, smtp_server, clock, citizen_context
):
    message = queue(session, clock, citizen_context(), lang="tr")
    assert message.lang == "de"
    session.commit()
    send_due(session_factory, mailer=SmtpMailer(smtp_server.url, SENDER), now=clock())
    assert smtp_server.messages[0]["Subject"] == "Ihre Meldung 2026-000042 wurde angenommen"


def test_same_dedupe_key_is_queued_once(session, clock, citizen_context, outbox):
    first = queue(session, clock, citizen_context(), dedupe_key="5:resolved:9:a@example.org")
    # Same transaction, not yet committed: still found.
    assert queue(session, clock, citizen_context(), dedupe_key="5:resolved:9:a@example.org") is None
    session.commit()
    assert queue(session, clock, citizen_context(), dedupe_key="5:resolved:9:a@example.org") is None
    other = queue(session, clock, citizen_context(), dedupe_key="5:resolved:9:b@example.org")
    without_key = [queue(session, clock, citizen_context()) for _ in range(2)]
    session.commit()
    assert first is not None and other is not None and None not in without_key
    assert len(outbox()) == 4


def test_same_dedupe_key_queued_by_parallel_transactions_is_queued_once(
    session_factory, clock, citizen_context, outbox
):
    barrier = threading.Barrier(4)
    queued: list[bool] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with session_factory() as session:
                barrier.wait()
                message = queue(session, clock, citizen_context(), dedupe_key="3:resolved:8:x")
                session.commit()
                queued.append(message is not None)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(queued) == [False, False, False, True]
    assert len(outbox()) == 1


def test_dedupe_key_still_blocks_after_the_mail_was_sent(
    session, session_factory, smtp_server, clock, citizen_context
):
    queue(session, clock, citizen_context(), dedupe_key="k")
    session.commit()
    send_due(session_factory, mailer=SmtpMailer(smtp_server.url, SENDER), now=clock())
    assert queue(session, clock, citizen_context(), dedupe_key="k") is None
    session.commit()
    assert send_due(session_factory, mailer=SmtpMailer(smtp_server.url, SENDER), now=clock()) == {
        "sent": 0,
        "retry": 0,
        "failed": 0,
    }
    assert len(smtp_server.messages) == 1


def test_header_injection_in_subject_and_recipient_is_neutralised(
    session, session_factory, smtp_server, clock, citizen_context, outbox
):
    context = citizen_context(public_id="2026-1\r\nBcc: evil@example.org\r\n\r\nfake body")
    message = queue(session, clock, context, to="victim@example.org\r\nBcc: evil@example.org")
    assert message.recipient == "victim@example.org"
    assert "\n" not in message.subject and "\r" not in message.subject
    session.commit()

    send_due(session_factory, mailer=SmtpMailer(smtp_server.url, SENDER), now=clock())

    [mail] = smtp_server.messages
    assert smtp_server.envelopes[0][1] == ["victim@example.org"]
    assert mail["Bcc"] is None
    assert mail["To"] == "victim@example.org"
    assert mail["Subject"] == (
        "Ihre Meldung 2026-1 Bcc: evil@example.org fake body wurde angenommen"
    )
    assert text(mail).startswith("Guten Tag,\n")


def test_smtp_down_retries_with_backoff_then_delivers(
    session, session_factory, start_smtp, clock, citizen_context, outbox, caplog
):
    port = free_port()  # nothing listens here yet
    mailer = SmtpMailer(f"smtp://127.0.0.1:{port}", SENDER, timeout=5)
    queue(session, clock, citizen_context())
    session.commit()
    start = clock()

    with caplog.at_level(logging.WARNING, logger="maengelmelder.mail"):
        assert send_due(session_factory, mailer=mailer, now=clock()) == {
            "sent": 0,
            "retry": 1,
            "failed": 0,
        }
    [row] = outbox()
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at == start + timedelta(minutes=1)
    assert "ConnectionRefusedError" in row.last_error
    assert "not sent (attempt 1)" in caplog.text
    assert "example.org" not in caplog.text  # no recipient addresses in the log

    # Not due again before the backoff has passed.
    clock.advance(seconds=59)
    assert send_due(session_factory, mailer=mailer, now=clock())["retry"] == 0
    clock.advance(seconds=1)
    assert send_due(session_factory, mailer=mailer, now=clock())["retry"] == 1
    [row] = outbox()
    assert row.attempts == 2
    assert row.next_attempt_at == start + timedelta(minutes=1 + 2)

    server = start_smtp(port=port)
    clock.advance(minutes=2)
    assert send_due(session_factory, mailer=mailer, now=clock())["sent"] == 1
    assert len(server.messages) == 1
    [row] = outbox()
    assert (row.status, row.attempts, row.sent_at) == ("sent", 3, clock())
    assert row.last_error is None


def test_backoff_doubles_up_to_an_hour():
    minutes = [backoff(n) / timedelta(minutes=1) for n in range(1, 10)]
    assert minutes == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_gives_up_after_max_attempts(session, session_factory, clock, citizen_context, outbox):
    mailer = SmtpMailer(f"smtp://127.0.0.1:{free_port()}", SENDER, timeout=5)
    queue(session, clock, citizen_context())
    session.commit()

    results = []
    for _ in range(3):
        results.append(send_due(session_factory, mailer=mailer, now=clock(), max_attempts=3))
        clock.advance(hours=1)
    assert [r["retry"] for r in results] == [1, 1, 0]
    assert [r["failed"] for r in results] == [0, 0, 1]
    [row] = outbox()
    assert (row.status, row.attempts, row.sent_at) == ("failed", 3, None)
    assert row.last_error
    # A failed mail is never picked up again.
    clock.advance(days=30)
    assert send_due(session_factory, mailer=mailer, now=clock()) == {
        "sent": 0,
        "retry": 0,
        "failed": 0,
    }


def test_a_mailer_bug_counts_as_a_failed_attempt(
    session, session_factory, clock, citizen_context, outbox
):
    class Broken:
        def send(self, message):
            raise RuntimeError("bug in a mailer")

        def close(self):
            pass

    queue(session, clock, citizen_context())
    session.commit()
    assert send_due(session_factory, mailer=Broken(), now=clock())["retry"] == 1
    assert outbox()[0].last_error == "RuntimeError: bug in a mailer"


def test_due_mails_go_oldest_first_and_batch_limits_a_run(
    session, session_factory, smtp_server, clock, citizen_context
):
    for i in range(5):
        queue(session, clock, citizen_context(public_id=f"2026-00000{i}"))
        clock.advance(seconds=1)
    # Queued for later (not due): stays.
    queue_mail(
        session,
        kind="acknowledged",
        to="later@example.org",
        template="acknowledged",
        context=citizen_context(),
        now=clock() + timedelta(hours=1),
    )
    session.commit()
    mailer = SmtpMailer(smtp_server.url, SENDER)

    assert send_due(session_factory, mailer=mailer, now=clock(), batch=3)["sent"] == 3
    assert send_due(session_factory, mailer=mailer, now=clock(), batch=3)["sent"] == 2
    subjects = [m["Subject"] for m in smtp_server.messages]
    assert subjects == [f"Ihre Meldung 2026-00000{i} wurde angenommen" for i in range(5)]


def test_two_senders_at_once_send_every_message_exactly_once(
    session, session_factory, smtp_server, clock, citizen_context, outbox
):
    total = 30
    for i in range(total):
        queue(session, clock, citizen_context(public_id=f"2026-{i:06d}"), to=f"p{i}@example.org")
    session.commit()
    mailer = SmtpMailer(smtp_server.url, SENDER)  # shared: each thread has its own connection
    barrier = threading.Barrier(2)
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(send_due(session_factory, mailer=mailer, now=clock(), batch=100))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert sum(r["sent"] for r in results) == total
    assert sum(r["retry"] + r["failed"] for r in results) == 0
    ids = [m["Message-ID"] for m in smtp_server.messages]
    assert len(ids) == total and len(set(ids)) == total
    assert sorted(to for _, [to] in smtp_server.envelopes) == sorted(
        f"p{i}@example.org" for i in range(total)
    )
    assert {(row.status, row.attempts) for row in outbox()} == {("sent", 1)}


def test_log_mailer_writes_the_mail_to_the_log(
    session, session_factory, clock, citizen_context, outbox, caplog
):
    queue(session, clock, citizen_context())
    session.commit()
    with caplog.at_level(logging.INFO, logger="maengelmelder.mail"):
        result = send_due(session_factory, mailer=LogMailer(), now=clock())
    assert result["sent"] == 1
    [record] = [r for r in caplog.records if r.name == "maengelmelder.mail"]
    text = record.getMessage()
    # Not the address: a log is no place for personal data; the row's id leads to it.
    assert f"To: (the recipient of outbox row {outbox()[0].id})" in text
    assert "@example.org" not in text
    assert "Subject: Ihre Meldung 2026-000042 wurde angenommen" in text
    assert "Straßenschäden / Schlagloch" in text
    assert "http://maengel.test/track/Tok3n-abc_XYZ" in text
    assert re.search(r"Message-ID: <outbox-\d+\.\d+@maengelmelder>", text)
    assert outbox()[0].status == "sent"


def test_rolled_back_change_leaves_no_outbox_row(
    session, session_factory, smtp_server, clock, citizen_context, outbox
):
    with pytest.raises(RuntimeError):
        try:
            queue(session, clock, citizen_context(), dedupe_key="1:resolved:1")
            raise RuntimeError("the status change failed after the mail was queued")
        except RuntimeError:
            session.rollback()
            raise
    assert outbox() == []
    assert send_due(session_factory, mailer=SmtpMailer(smtp_server.url, SENDER), now=clock()) == {
        "sent": 0,
        "retry": 0,
        "failed": 0,
    }
    # The key was not used up by the rolled-back attempt.
    assert queue(session, clock, citizen_context(), dedupe_key="1:resolved:1") is not None


def test_queued_mail_is_invisible_to_senders_until_the_caller_commits(
    session, session_factory, clock, citizen_context, outbox
):
    queue(session, clock, citizen_context())
    assert outbox() == []  # another session: the caller's transaction is still open
    session.commit()
    assert len(outbox()) == 1


def test_report_link_is_kept_and_cleared_when_the_report_goes(
    app, client, session, clock, citizen_context, outbox
):
    from maengelmelder.core.models import Report

    resp = client.post(
        "/api/v1/reports",
        json={"category": "schlagloch", "description": "Loch", "lat": 50.1005, "lon": 8.7655},
    )
    assert resp.status_code == 201, resp.json
    report = session.scalar(select(Report))
    queue(session, clock, citizen_context(), report_id=report.id)
    session.commit()
    assert outbox()[0].report_id == report.id
    session.delete(report)
    session.commit()
    [row] = outbox()
    assert row.report_id is None
    assert session.scalar(select(func.count()).select_from(Report)) == 0


def test_outbox_uses_the_shared_metadata(app):
    with app.app_context():
        table = db.metadata.tables["outbox"]
    assert {"ix_outbox_status_next_attempt_at", "ix_outbox_report_id"} <= {
        index.name for index in table.indexes
    }
    assert "uq_outbox_dedupe_key" in {c.name for c in table.constraints}
