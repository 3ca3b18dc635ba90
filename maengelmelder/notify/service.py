"""Queue e-mails in the outbox with the change that causes them; send them later, with retries.

Why an outbox: a status change and "tell the citizen" must not drift apart. `queue_mail` writes
the rendered mail into the `outbox` table in the caller's transaction, so a rolled-back change
queues nothing and a committed one always has its mail. `send_due` (a job, with its own
sessions) drains the table later; an SMTP outage only delays mails.

Sending, one row per transaction: lock one due row (PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so
parallel senders take different rows; SQLite: a claiming UPDATE takes the database's single
write lock, so senders take turns), hand it to the mailer, mark it sent and commit at once.
Two senders running at the same time therefore never send the same row twice.

The one unavoidable window: if the process dies (or the database becomes unreachable) after
the SMTP server accepted a mail but before the "sent" commit, the row is still pending and that
one mail is sent again on the next run. Nothing can close this window, because the SMTP server
and the database cannot commit together. We prefer "at least once" over "at most once":
marking the row sent *before* sending would lose the mail instead, and nobody would ever notice;
a rare duplicate is harmless and visible. The Message-ID is fixed per row
(``<outbox-{id}.{created_at}@maengelmelder>``), so a receiving system can recognise it.
"""

from __future__ import annotations

import logging
import re
import smtplib
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from .mailer import Mailer
from .models import FAILED, PENDING, SENT, OutboxMessage

log = logging.getLogger("maengelmelder.mail")

TEMPLATE_DIR = Path(__file__).parent / "templates"
LANGS = ("de", "en")
DEFAULT_LANG = "de"
MAX_SUBJECT = 300
MAX_RECIPIENT = 254
MAX_DEDUPE_KEY = 200
MAX_ERROR = 2000
BACKOFF_CAP = timedelta(hours=1)

_loader = FileSystemLoader(TEMPLATE_DIR)
# Plain text mails: no HTML escaping; a missing variable is a bug and must fail loudly.
env = Environment(
    loader=_loader,
    autoescape=False,
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


@lru_cache(maxsize=64)
def _compiled(name: str) -> tuple[Template, Template]:
    """The subject line and the body of one template file, compiled separately.

    Rendering them apart means a line break inside a context value can never move text from
    the subject into the body or the other way round.
    """
    source, filename, _ = _loader.get_source(env, name)
    first, _, rest = source.partition("\n")
    blank, _, body = rest.partition("\n")
    if not first.startswith("Subject:") or blank.strip():
        raise ValueError(f"{filename}: must start with 'Subject: ...' and a blank line")
    return env.from_string(first.removeprefix("Subject:").strip()), env.from_string(body)


def render(template: str, context: dict[str, Any], lang: str = DEFAULT_LANG) -> tuple[str, str]:
    """Subject (one clean line) and body of `template` in `lang` (unknown languages: German)."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", template):
        raise ValueError(f"invalid template name {template!r}")
    subject_template, body_template = _compiled(f"{template}.{_lang(lang)}.txt")
    return _one_line(subject_template.render(context))[:MAX_SUBJECT], body_template.render(context)


def queue_mail(
    session: Session,
    *,
    kind: str,
    to: str,
    template: str,
    context: dict[str, Any],
    now: datetime,
    lang: str = DEFAULT_LANG,
    report_id: int | None = None,
    dedupe_key: str | None = None,
) -> OutboxMessage | None:
    """Render a mail and add it to the outbox in the caller's transaction (the caller commits).

    Returns None, adding nothing, when a mail with the same `dedupe_key` is already queued
    (or was sent). With a dedupe key the row is written with ``INSERT ... ON CONFLICT DO
    NOTHING``: two transactions queuing the same key at once queue it once (on PostgreSQL the
    second waits for the first to finish). Another database would see the check-then-insert
    race as an IntegrityError, for the caller to roll back and retry.
    """
    lang = _lang(lang)
    recipient = _recipient(to)
    if dedupe_key is not None and len(dedupe_key) > MAX_DEDUPE_KEY:
        raise ValueError(f"dedupe_key is longer than {MAX_DEDUPE_KEY} characters")
    subject, body = render(template, context, lang)
    values = {
        "created_at": now,
        "report_id": report_id,
        "kind": kind,
        "dedupe_key": dedupe_key,
        "recipient": recipient,
        "lang": lang,
        "subject": subject,
        "body": body,
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
    }
    dialect = session.get_bind().dialect.name
    if dedupe_key is None or dialect not in ("postgresql", "sqlite"):
        if dedupe_key is not None and session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
        ):
            return None
        message = OutboxMessage(**values)
        session.add(message)
        session.flush()
        return message
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    new_id = session.execute(
        insert(OutboxMessage)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[OutboxMessage.dedupe_key])
        .returning(OutboxMessage.id)
    ).scalar()
    return None if new_id is None else session.get(OutboxMessage, new_id)


def send_due(
    session_factory: Callable[[], Session],
    *,
    mailer: Mailer,
    now: datetime,
    batch: int = 50,
    max_attempts: int = 8,
) -> dict[str, int]:
    """Send up to `batch` due mails, one row per transaction; never raises for a mail failure."""
    counts = {"sent": 0, "retry": 0, "failed": 0}
    try:
        for _ in range(batch):
            outcome = _send_one(session_factory, mailer, now, max_attempts)
            if outcome is None:
                break
            counts[outcome] += 1
    finally:
        close = getattr(mailer, "close", None)
        if close is not None:
            close()
    return counts


def backoff(attempts: int) -> timedelta:
    """Wait after the n-th failed attempt: 1, 2, 4, 8 ... minutes, at most an hour."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), BACKOFF_CAP)


def _send_one(
    session_factory: Callable[[], Session], mailer: Mailer, now: datetime, max_attempts: int
) -> str | None:
    with session_factory() as session, session.begin():
        message = _claim(session, now)
        if message is None:
            return None
        try:
            mailer.send(message)
        except Exception as exc:  # a mail failure must not stop the queue or the job
            return _failed_attempt(message, exc, now, max_attempts)
        message.status = SENT
        message.sent_at = now
        message.last_error = None
        # Leaving the block commits right away: the window for a duplicate stays tiny.
        return "sent"


def _claim(session: Session, now: datetime) -> OutboxMessage | None:
    """Lock the oldest due row for this transaction and count the attempt; None if none is due."""
    due = (OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now)
    order = (OutboxMessage.next_attempt_at, OutboxMessage.id)
    if session.get_bind().dialect.name == "postgresql":
        # Rows other senders hold are skipped, not waited for; a row sent meanwhile no longer
        # matches because PostgreSQL re-checks the WHERE clause on the locked row.
        message = session.scalars(
            select(OutboxMessage)
            .where(*due)
            .order_by(*order)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if message is not None:
            message.attempts += 1
        return message
    # SQLite ignores FOR UPDATE. An UPDATE that picks the row itself takes the write lock
    # before it reads, so a second sender waits here and then sees the row as sent.
    pick = aliased(OutboxMessage)
    oldest_due = (
        select(pick.id)
        .where(pick.status == PENDING, pick.next_attempt_at <= now)
        .order_by(pick.next_attempt_at, pick.id)
        .limit(1)
        .scalar_subquery()
    )
    claimed = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == oldest_due, *due)
        .values(attempts=OutboxMessage.attempts + 1)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    return None if claimed is None else session.get(OutboxMessage, claimed)


def _failed_attempt(message: OutboxMessage, exc: Exception, now: datetime, limit: int) -> str:
    message.last_error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
    expected = isinstance(exc, smtplib.SMTPException | OSError)
    # The recipient stays out of the log: it is personal data; the id leads to it.
    if message.attempts >= limit:
        message.status = FAILED
        log.error(
            "mail %s failed for good after %d attempts: %s",
            message.id,
            message.attempts,
            message.last_error,
            exc_info=not expected,
        )
        return "failed"
    message.next_attempt_at = now + backoff(message.attempts)
    log.warning(
        "mail %s not sent (attempt %d), next try at %s: %s",
        message.id,
        message.attempts,
        message.next_attempt_at.isoformat(),
        message.last_error,
        exc_info=not expected,
    )
    return "retry"


def _lang(lang: str | None) -> str:
    lang = (lang or "").strip().lower()
    return lang if lang in LANGS else DEFAULT_LANG


def _one_line(text: str) -> str:
    # Any line break (CR, LF, U+2028 ...) and other whitespace runs become one space, so a
    # value can never start a new mail header.
    return " ".join(text.split())


def _recipient(to: str) -> str:
    # Everything from the first line break on is dropped: it can only be an injection attempt
    # ("a@example.org\r\nBcc: ..."), and the address before it is the one meant.
    lines = (to or "").strip().splitlines()
    recipient = lines[0].strip() if lines else ""
    if not recipient or len(recipient) > MAX_RECIPIENT:
        raise ValueError("recipient address is empty or too long")
    return recipient
