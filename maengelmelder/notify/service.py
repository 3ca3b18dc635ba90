"""Queue e-mails in the outbox with the change that causes them; undeliverable mails.

Why an outbox: a status change and "tell the citizen" must not drift apart. `queue_mail` writes
the rendered mail into the `outbox` table in the caller's transaction, so a rolled-back change
queues nothing and a committed one always has its mail. `sending.send_due` (a job, with its own
short transactions and no transaction open while it talks to the mail server) drains the table
later; an SMTP outage only delays mails. A mail the receiving side refused for good is
`failed`: staff see it on its ticket, admins in a list, and an admin can queue it again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..clock import isoformat
from ..emails import email_key
from ..errors import ApiError
from .models import FAILED, PENDING, OutboxMessage
from .wake import mark

TEMPLATE_DIR = Path(__file__).parent / "templates"
LANGS = ("de", "en")
DEFAULT_LANG = "de"
MAX_SUBJECT = 300
MAX_RECIPIENT = 254
MAX_DEDUPE_KEY = 200

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
        "recipient_key": email_key(recipient),
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
        mark(session)
        return message
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    new_id = session.execute(
        insert(OutboxMessage)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[OutboxMessage.dedupe_key])
        .returning(OutboxMessage.id)
    ).scalar()
    if new_id is None:
        return None
    mark(session)
    return session.get(OutboxMessage, new_id)


# -- undeliverable mails ----------------------------------------------------------------------

# Mails to staff (supervisors); every other kind goes to the reporter or a follower.
STAFF_KINDS = ("escalation", "digest")


@dataclass(frozen=True)
class Undeliverable:
    """A failed mail as staff may see it: what, to whom (a role, never the address), why."""

    id: int
    kind: str
    to: str  # "reporter", "follower" or "staff"
    failed_at: datetime | None
    attempts: int
    error: str | None

    def as_json(self) -> dict:
        """As the API shows it (the ticket's `mail_failures`, the admin's list)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "to": self.to,
            "failed_at": isoformat(self.failed_at),
            "attempts": self.attempts,
            "error": self.error,
        }


def undeliverable(message: OutboxMessage, reporter_email_key: str | None) -> Undeliverable:
    """The staff view of a failed mail; `reporter_email_key` is its report's, if any."""
    if message.kind in STAFF_KINDS:
        to = "staff"
    elif reporter_email_key is not None and message.recipient_key == reporter_email_key:
        to = "reporter"
    else:
        to = "follower"
    return Undeliverable(
        message.id, message.kind, to, message.failed_at, message.attempts, message.last_error
    )


def failed_for_report(session: Session, report_id: int) -> list[OutboxMessage]:
    """A report's mails that could not be delivered, oldest first."""
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.report_id == report_id, OutboxMessage.status == FAILED)
            .order_by(OutboxMessage.failed_at, OutboxMessage.id)
        )
    )


def retry_failed(session: Session, message_id: int, now: datetime) -> OutboxMessage:
    """Queue a failed mail again, due now, with fresh attempts; 404 unless it failed."""
    message = session.get(OutboxMessage, message_id) if 0 < message_id < 2**31 else None
    if message is None or message.status != FAILED:
        raise ApiError(404, "mail_not_failed")
    message.status = PENDING
    message.attempts = 0
    message.next_attempt_at = now
    message.failed_at = None
    message.last_error = None
    session.flush()
    return message


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
