"""Send due outbox rows: claim a row, send it outside any transaction, record the outcome.

No network I/O inside a database transaction: a mail server that accepts the connection and
then never answers held SQLite's single write lock (and a PostgreSQL row lock) for the whole
SMTP timeout, and every citizen's report waited behind it. So each mail takes three steps:

1. **Claim** (a short transaction, committed): pick the oldest due row (maengelmelder/claim.py:
   PostgreSQL ``FOR UPDATE SKIP LOCKED``, so parallel senders take different rows; SQLite one
   claiming UPDATE), count the attempt and move its ``next_attempt_at`` to the end of the
   claim (``CLAIM``). Until then no other sender takes the row.
2. **Send**, with no transaction open.
3. **Record** the outcome in a new short transaction: sent; or a retry after the backoff; or
   failed for good.

Which failures are final: a 5xx reply to the recipient (``RCPT TO``) or to the mail itself
(``DATA``) is the receiving side's "never", so the row fails at once; a 4xx ("try later"), a
connection that fails or times out, and anything unexpected are retried with the backoff,
until ``max_attempts``. When the server itself is the trouble (unreachable, timed out, our
login or sender refused) the batch stops: the other due mails would only wait out the same
timeout one after another; they go with the next run.

A failed mail keeps its reply (without the address) in ``last_error``; staff see it on the
ticket and admins in the list of undeliverable mails, where they can send it again.

The one unavoidable window: if the process dies (or the database is unreachable) after the
SMTP server accepted a mail but before the outcome is recorded, the row is still pending, and
once its claim has run out it is sent again. The SMTP server and the database cannot commit
together; we prefer "at least once" over "at most once" (marking it sent before sending would
lose the mail, silently). The Message-ID is fixed per row, so a receiver can recognise it.

No e-mail address goes into the log or into ``last_error``: SMTP replies and exceptions quote
the recipient (``SMTPRecipientsRefused: {'erika@…': …}``), so every text is redacted first.
"""

from __future__ import annotations

import logging
import smtplib
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from ..claim import claim_oldest_due
from ..emails import redact
from .mailer import Mailer
from .models import FAILED, PENDING, SENT, OutboxMessage

log = logging.getLogger("maengelmelder.mail")

MAX_ERROR = 2000
BACKOFF_CAP = timedelta(hours=1)
# How long a claimed row belongs to its sender. Longer than any SMTP exchange can take (a few
# socket timeouts); if the sender dies, the row is due again after this.
CLAIM = timedelta(minutes=10)


def backoff(attempts: int) -> timedelta:
    """Wait after the n-th failed attempt: 1, 2, 4, 8 ... minutes, at most an hour."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), BACKOFF_CAP)


@dataclass(frozen=True)
class Failure:
    """Why one mail was not sent, as the sender acts on it."""

    text: str  # for the log and last_error: no e-mail address in it
    permanent: bool = False  # the receiving side said no for good (5xx): do not retry
    server_trouble: bool = False  # the server, not this mail: stop the batch
    trace: str | None = None  # not an SMTP or network error: its traceback, redacted too


def send_due(
    session_factory: Callable[[], Session],
    *,
    mailer: Mailer,
    now: datetime,
    batch: int = 50,
    max_attempts: int = 8,
    clock: Callable[[], datetime] | None = None,
) -> dict[str, int]:
    """Send up to `batch` due mails, each claimed and recorded in its own short transaction.

    `clock` (when given) is read for each mail, so a long batch claims and records with the
    time it really is; otherwise every step uses `now`. Never raises for a mail failure.
    """
    counts = {"sent": 0, "retry": 0, "failed": 0}
    current = clock or (lambda: now)
    try:
        for _ in range(batch):
            message = _claim(session_factory, current())
            if message is None:
                break
            failure = _deliver(mailer, message)
            counts[_record(session_factory, message, failure, current(), max_attempts)] += 1
            if failure is not None and failure.server_trouble:
                log.warning(
                    "mail server trouble (%s): the other due mails wait for the next run",
                    failure.text,
                )
                break
    finally:
        close = getattr(mailer, "close", None)
        if close is not None:
            close()
    return counts


def _claim(session_factory: Callable[[], Session], now: datetime) -> OutboxMessage | None:
    """Claim the oldest due row until now + CLAIM and count the attempt; committed at once.

    Returns the row detached from its session (everything the mailer reads is loaded).
    """
    with session_factory() as session, session.begin():
        message = claim_oldest_due(session, OutboxMessage, now=now, hold=CLAIM, pending=PENDING)
        if message is None:
            return None
        session.expunge(message)  # keeps its loaded values past the commit
        return message


def _deliver(mailer: Mailer, message: OutboxMessage) -> Failure | None:
    """Hand one mail to the mailer, no transaction open; None when it was accepted."""
    try:
        mailer.send(message)
    except Exception as exc:  # a mail failure must not stop the queue or the job
        return classify(exc, message.recipient)
    return None


def _record(
    session_factory: Callable[[], Session],
    message: OutboxMessage,
    failure: Failure | None,
    now: datetime,
    max_attempts: int,
) -> str:
    """Write the outcome of one attempt in a short transaction of its own; its counter name."""
    if failure is None:
        outcome, values = "sent", {"status": SENT, "sent_at": now, "last_error": None}
    elif failure.permanent or message.attempts >= max_attempts:
        outcome = "failed"
        values = {"status": FAILED, "failed_at": now, "last_error": failure.text}
    else:
        outcome = "retry"
        values = {"next_attempt_at": now + backoff(message.attempts), "last_error": failure.text}
    with session_factory() as session, session.begin():
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message.id, OutboxMessage.status == PENDING)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    if failure is not None:
        _log_failure(message, failure, outcome, values)
    return outcome


def _log_failure(message: OutboxMessage, failure: Failure, outcome: str, values: dict) -> None:
    # The recipient stays out of the log (personal data); the row's id leads to it.
    if failure.trace is not None:
        log.error("mail %s: unexpected error in the mailer\n%s", message.id, failure.trace)
    if outcome == "retry":
        log.warning(
            "mail %s not sent (attempt %d), next try at %s: %s",
            message.id,
            message.attempts,
            values["next_attempt_at"].isoformat(),
            failure.text,
        )
    elif failure.permanent:
        log.error("mail %s refused for good by the mail server: %s", message.id, failure.text)
    else:
        log.error(
            "mail %s failed for good after %d attempts: %s",
            message.id,
            message.attempts,
            failure.text,
        )


def classify(exc: BaseException, recipient: str | None = None) -> Failure:
    """What a mailer's exception means for the mail; its text without any address."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = list(exc.recipients.values())
        codes = [code for code, _ in replies]
        text = "; ".join(_reply(code, reply) for code, reply in replies) or "no reply"
        permanent = bool(codes) and all(500 <= code < 600 for code in codes)
        return _failure(f"recipient refused: {text}", recipient, permanent=permanent)
    if isinstance(exc, smtplib.SMTPSenderRefused | smtplib.SMTPAuthenticationError):
        # Every mail would get this answer: our configuration, not this mail.
        what = "sender refused" if isinstance(exc, smtplib.SMTPSenderRefused) else "login failed"
        text = f"{what}: {_reply(exc.smtp_code, exc.smtp_error)}"
        return _failure(text, recipient, server_trouble=True)
    if isinstance(exc, smtplib.SMTPHeloError | smtplib.SMTPConnectError):
        text = f"{type(exc).__name__}: {_reply(exc.smtp_code, exc.smtp_error)}"
        return _failure(text, recipient, server_trouble=True)
    if isinstance(exc, smtplib.SMTPResponseException):  # SMTPDataError and others
        text = f"{type(exc).__name__}: {_reply(exc.smtp_code, exc.smtp_error)}"
        return _failure(text, recipient, permanent=500 <= exc.smtp_code < 600)
    if isinstance(exc, smtplib.SMTPServerDisconnected | OSError):  # timeouts, refused, reset
        return _failure(f"{type(exc).__name__}: {exc}", recipient, server_trouble=True)
    if isinstance(exc, smtplib.SMTPException):
        return _failure(f"{type(exc).__name__}: {exc}", recipient)
    trace = "".join(traceback.format_exception(exc)).rstrip()
    return Failure(
        redact(f"{type(exc).__name__}: {exc}", recipient)[:MAX_ERROR],
        trace=redact(trace, recipient),
    )


def _failure(text: str, recipient: str | None, **flags: bool) -> Failure:
    return Failure(redact(text, recipient)[:MAX_ERROR], **flags)


def _reply(code: int, reply: bytes | str) -> str:
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", "replace")
    return f"{code} {' '.join(reply.split())}".strip()
