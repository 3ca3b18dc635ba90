"""Sending without a transaction open, final and temporary refusals, no address in any log."""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta

import pytest
from sqlalchemy import text, update

from maengelmelder.notify.mailer import SmtpMailer
from maengelmelder.notify.models import OutboxMessage
from maengelmelder.notify.sending import CLAIM, _claim, classify, send_due
from maengelmelder.notify.service import queue_mail
from tests.faults.smtp import FrozenSmtp
from tests.notify.conftest import GONE, GREYLISTED

SENDER = "Mängelmelder Musterstadt <maengelmelder@musterstadt.example>"
FINE = "buerger@example.org"


def queue(session, clock, context, to: str = FINE, **overrides) -> OutboxMessage | None:
    return queue_mail(
        session,
        kind="acknowledged",
        to=to,
        template="acknowledged",
        context=context,
        now=clock(),
        **overrides,
    )


def our_log(caplog) -> str:
    """Every captured log line except the test SMTP server's own (aiosmtpd's `mail.log`)."""
    return "\n".join(
        f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records if r.name != "mail.log"
    )


def addresses_in(text_: str) -> list[str]:
    found = []
    for address in (GONE, GREYLISTED, FINE):
        for spelling in (address, address.lower()):
            if spelling in text_:
                found.append(spelling)
    return found


def test_550_fails_at_once_451_retries_and_no_address_is_logged_or_stored(
    session, session_factory, refusing_smtp, clock, citizen_context, outbox, caplog
):
    for to in (GONE, GREYLISTED, FINE):
        queue(session, clock, citizen_context(), to=to)
    session.commit()
    mailer = SmtpMailer(refusing_smtp.url, SENDER, timeout=5)

    with caplog.at_level(logging.DEBUG):
        result = send_due(session_factory, mailer=mailer, now=clock())

    assert result == {"sent": 1, "retry": 1, "failed": 1}
    gone, grey, fine = outbox()
    # 550: the receiving side's "never" ends it at the first attempt, not after two hours.
    assert (gone.status, gone.attempts, gone.failed_at) == ("failed", 1, clock())
    assert gone.last_error.startswith("recipient refused: 550 5.1.1 <<address>>")
    # 451: "try later" is retried with the backoff.
    assert (grey.status, grey.attempts, grey.failed_at) == ("pending", 1, None)
    assert grey.next_attempt_at == clock() + timedelta(minutes=1)
    assert grey.last_error.startswith("recipient refused: 451")
    assert fine.status == "sent"
    assert len(refusing_smtp.delivered) == 1
    # Nothing in the log (every logger of the whole path) nor in the stored errors names anyone.
    logged = our_log(caplog)
    assert addresses_in(logged) == []
    assert addresses_in(gone.last_error + grey.last_error) == []
    assert "refused for good" in logged and "not sent (attempt 1)" in logged


def test_the_recipients_refused_exception_itself_names_the_address():
    """What leaked before: smtplib's exception text is the dict of refused addresses."""
    exc = smtplib.SMTPRecipientsRefused({GONE: (550, b"5.1.1 <" + GONE.encode() + b"> unknown")})
    assert GONE in str(exc)
    failure = classify(exc, GONE)
    assert failure.permanent and not failure.server_trouble
    assert addresses_in(failure.text) == []
    assert failure.text == "recipient refused: 550 5.1.1 <<address>> unknown"


@pytest.mark.parametrize(
    ("exc", "permanent", "server_trouble"),
    [
        (smtplib.SMTPRecipientsRefused({GONE: (450, b"mailbox busy")}), False, False),
        (smtplib.SMTPDataError(554, b"5.7.1 rejected as spam"), True, False),
        (smtplib.SMTPDataError(452, b"4.3.1 insufficient storage"), False, False),
        (smtplib.SMTPSenderRefused(553, b"relay denied", "x@y"), False, True),
        (smtplib.SMTPAuthenticationError(535, b"bad credentials"), False, True),
        (smtplib.SMTPServerDisconnected("gone"), False, True),
        (TimeoutError("timed out"), False, True),
        (ConnectionRefusedError(111, "Connection refused"), False, True),
    ],
)
def test_which_failures_are_final_and_which_stop_the_batch(exc, permanent, server_trouble):
    failure = classify(exc, GONE)
    assert (failure.permanent, failure.server_trouble) == (permanent, server_trouble)


def test_an_unexpected_error_is_logged_with_its_traceback_but_without_the_address(
    session, session_factory, clock, citizen_context, outbox, caplog
):
    class Broken:
        def send(self, message):
            raise ValueError(f"cannot encode {message.recipient} for this server")

        def close(self):
            pass

    queue(session, clock, citizen_context(), to=GONE)
    session.commit()
    with caplog.at_level(logging.DEBUG):
        assert send_due(session_factory, mailer=Broken(), now=clock())["retry"] == 1
    assert "Traceback" in our_log(caplog) and "ValueError" in our_log(caplog)
    assert addresses_in(our_log(caplog)) == []
    assert outbox()[0].last_error == "ValueError: cannot encode <address> for this server"


def test_no_transaction_is_open_while_the_mail_server_is_talked_to(
    session, session_factory, backend, clock, citizen_context, outbox
):
    """While the mailer runs, another connection writes to the very row being sent.

    Before, the claim's transaction stayed open through the SMTP exchange: SQLite's write
    lock and PostgreSQL's row lock made this write wait (here: fail after 200 ms).
    """
    queue(session, clock, citizen_context())
    session.commit()
    written: list[bool] = []

    class Probe:
        def send(self, message):
            with session_factory() as other:
                if backend == "sqlite":
                    other.execute(text("PRAGMA busy_timeout = 200"))
                else:
                    other.execute(text("SET lock_timeout = '200ms'"))
                other.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == message.id)
                    .values(subject=OutboxMessage.subject)
                )
                other.commit()
                written.append(True)

        def close(self):
            pass

    assert send_due(session_factory, mailer=Probe(), now=clock()) == {
        "sent": 1,
        "retry": 0,
        "failed": 0,
    }
    assert written == [True]
    assert outbox()[0].status == "sent"


def test_a_claimed_mail_is_not_taken_by_another_sender_until_its_claim_ends(
    session, session_factory, smtp_server, clock, citizen_context, outbox
):
    queue(session, clock, citizen_context())
    session.commit()
    # A sender claimed the row and died before it recorded anything.
    claimed = _claim(session_factory, clock())
    assert claimed is not None and claimed.attempts == 1
    mailer = SmtpMailer(smtp_server.url, SENDER)
    assert send_due(session_factory, mailer=mailer, now=clock())["sent"] == 0
    clock.advance(seconds=CLAIM.total_seconds() - 1)
    assert send_due(session_factory, mailer=mailer, now=clock())["sent"] == 0
    clock.advance(seconds=1)  # the claim has run out: the mail goes (at least once)
    assert send_due(session_factory, mailer=mailer, now=clock())["sent"] == 1
    [row] = outbox()
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(smtp_server.messages) == 1


def test_a_hung_mail_server_costs_one_timeout_per_run_not_one_per_mail(
    session, session_factory, clock, citizen_context, outbox, caplog
):
    frozen = FrozenSmtp()
    try:
        for i in range(5):
            queue(session, clock, citizen_context(public_id=f"2026-00000{i}"))
        session.commit()
        mailer = SmtpMailer(frozen.url, SENDER, timeout=0.5)
        with caplog.at_level(logging.WARNING, logger="maengelmelder.mail"):
            assert send_due(session_factory, mailer=mailer, now=clock()) == {
                "sent": 0,
                "retry": 1,
                "failed": 0,
            }
    finally:
        frozen.close()
    rows = outbox()
    assert [r.attempts for r in rows] == [1, 0, 0, 0, 0]  # the others wait for the next run
    assert "timed out" in rows[0].last_error
    assert "the other due mails wait for the next run" in caplog.text
