"""Turn outbox rows into e-mails and hand them to an SMTP server, or to the log."""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import TYPE_CHECKING, Protocol
from urllib.parse import unquote, urlsplit

from ..core.settings import MailSettings

if TYPE_CHECKING:
    from .models import OutboxMessage

log = logging.getLogger("maengelmelder.mail")

_DEFAULTS = MailSettings()
DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


class Mailer(Protocol):
    """What `send_due` needs: send one message (raise on failure), then close."""

    def send(self, message: OutboxMessage) -> None: ...

    def close(self) -> None: ...


def build_email(message: OutboxMessage, sender: str) -> EmailMessage:
    """The outbox row as a UTF-8 plain-text e-mail with a Message-ID fixed per row."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.recipient
    mail["Subject"] = message.subject
    # The time the mail was written, so a resent copy is identical to the first.
    mail["Date"] = format_datetime(message.created_at)
    mail["Message-ID"] = message.message_id
    # Tells vacation responders and ticket systems not to answer a machine.
    mail["Auto-Submitted"] = "auto-generated"
    # Quoted-printable keeps the message 7-bit clean for servers without 8BITMIME.
    mail.set_content(message.body, subtype="plain", charset="utf-8", cte="quoted-printable")
    # After set_content, which replaces every Content-* header.
    mail["Content-Language"] = message.lang
    return mail


class SmtpMailer:
    """Sends over SMTP: smtp:// (plain), smtp+starttls:// or smtps:// (TLS), optional login."""

    def __init__(self, url: str, sender: str, timeout: float = _DEFAULTS.smtp_timeout) -> None:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            # Only the scheme: the URL may carry a password.
            raise ValueError(
                f"unsupported SMTP URL scheme {scheme!r}; use smtp://, smtp+starttls:// or smtps://"
            )
        try:
            port = parts.port
        except ValueError:
            raise ValueError("SMTP URL has an invalid port") from None
        if not parts.hostname:
            raise ValueError("SMTP URL has no host")
        self.scheme = scheme
        self.host = parts.hostname
        self.port = port or DEFAULT_PORTS[scheme]
        self.username = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else ""
        self.sender = sender
        self.envelope_sender = parseaddr(sender)[1] or sender
        self.timeout = timeout
        # One connection per thread and batch: senders in parallel threads never share one.
        self._local = threading.local()

    def __repr__(self) -> str:
        return f"SmtpMailer({self.scheme}://{self.host}:{self.port}, sender={self.sender!r})"

    def send(self, message: OutboxMessage) -> None:
        """Send one message; raises smtplib.SMTPException or OSError when it was not accepted."""
        self.send_email(build_email(message, self.sender), message.recipient)

    def send_email(self, mail: EmailMessage, recipient: str) -> None:
        """Send a built message to `recipient` only; raises as `send` does."""
        smtp = self._connection()
        try:
            # Explicit envelope: only the row's recipient gets it, whatever the headers say.
            smtp.send_message(mail, from_addr=self.envelope_sender, to_addrs=[recipient])
        except Exception:
            self._drop()
            raise

    def close(self) -> None:
        """End this thread's connection, if any."""
        smtp = getattr(self._local, "smtp", None)
        self._local.smtp = None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()

    def _connection(self) -> smtplib.SMTP:
        smtp = getattr(self._local, "smtp", None)
        if smtp is not None:
            try:
                smtp.noop()  # a server may have dropped an idle connection
                return smtp
            except (smtplib.SMTPException, OSError):
                self._drop()
        smtp = self._connect()
        self._local.smtp = smtp
        return smtp

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.scheme == "smtps":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.scheme == "smtp+starttls":
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self._password)
        except Exception:
            smtp.close()
            raise
        return smtp

    def _drop(self) -> None:
        smtp = getattr(self._local, "smtp", None)
        self._local.smtp = None
        if smtp is not None:
            smtp.close()


class LogMailer:
    """Writes mails to the `maengelmelder.mail` log: the default when no SMTP server is set.

    Without the recipient's address: a log is no place for personal data (the outbox row's id
    leads to it).
    """

    def __init__(self, sender: str = _DEFAULTS.sender) -> None:
        self.sender = sender

    def send(self, message: OutboxMessage) -> None:
        """Log the mail, readable (headers and the decoded body)."""
        build_email(message, self.sender)  # fails here as it would over SMTP
        log.info(
            "mail (not sent, no SMTP_URL set)\nFrom: %s\nTo: (the recipient of outbox row %s)\n"
            "Subject: %s\nMessage-ID: %s\n\n%s",
            self.sender,
            message.id,
            message.subject,
            message.message_id,
            message.body,
        )

    def send_email(self, mail: EmailMessage, recipient: str) -> None:
        """Log a built message's headers (not its recipient, not its attachments)."""
        log.info(
            "mail (not sent, no SMTP_URL set)\nSubject: %s\nMessage-ID: %s",
            mail["Subject"],
            mail["Message-ID"],
        )

    def close(self) -> None:
        """Nothing to close."""


def make_mailer(settings: MailSettings) -> SmtpMailer | LogMailer:
    """SmtpMailer when an SMTP server is set, else LogMailer.

    The timeout (seconds) bounds each step of the SMTP exchange: connecting, every reply.
    """
    if not settings.smtp_url:
        return LogMailer(settings.sender)
    return SmtpMailer(settings.smtp_url, settings.sender, timeout=settings.smtp_timeout)
