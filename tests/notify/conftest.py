"""Fixtures for the outbox tests: real SMTP servers (aiosmtpd) and fresh database sessions."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

# Imported before the session-scoped `database_url` fixture runs create_all, so the outbox
# table exists even while maengelmelder/models.py does not list it yet.
from maengelmelder.notify.models import OutboxMessage


def free_port() -> int:
    """A TCP port nothing listens on right now (aiosmtpd's Controller cannot take port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Collector:
    """An aiosmtpd handler that keeps every accepted mail and its envelope."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(
            email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        )
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    """A running test SMTP server: where it listens and what it received."""

    port: int
    scheme: str
    collector: Collector
    controller: Controller
    stopped: bool = False

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def messages(self) -> list[EmailMessage]:
        return self.collector.messages

    @property
    def envelopes(self) -> list[tuple[str, list[str]]]:
        return self.collector.envelopes

    def stop(self) -> None:
        """Stop listening (and drop open connections); stopping twice is fine."""
        if not self.stopped:
            self.stopped = True
            self.controller.stop()


@pytest.fixture
def start_smtp() -> Iterator[Callable[..., SmtpServer]]:
    """Start SMTP servers on demand (a given port, extra aiosmtpd options); all stop after."""
    servers: list[SmtpServer] = []

    def start(port: int | None = None, scheme: str = "smtp", **options: Any) -> SmtpServer:
        port = port or free_port()
        collector = Collector()
        controller = Controller(collector, hostname="127.0.0.1", port=port, **options)
        controller.start()
        servers.append(SmtpServer(port, scheme, collector, controller))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def smtp_server(start_smtp) -> SmtpServer:
    """A plain SMTP server on 127.0.0.1 and a free port; `.url` and `.messages`."""
    return start_smtp()


@pytest.fixture
def session_factory(app) -> Iterator[sessionmaker[Session]]:
    """New sessions on the app's engine, as a worker running send_due would open them."""
    from maengelmelder.extensions import db

    with app.app_context():
        yield sessionmaker(bind=db.engine)


@pytest.fixture
def outbox(session_factory) -> Callable[[], list[OutboxMessage]]:
    """Read the outbox afresh (a new session, so nothing is stale)."""

    def read() -> list[OutboxMessage]:
        with session_factory() as session:
            return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))

    return read


@pytest.fixture
def citizen_context() -> Callable[..., dict[str, Any]]:
    """The context a citizen mail gets, with umlauts, overridable per test."""

    def make(**overrides: Any) -> dict[str, Any]:
        context = {
            "public_id": "2026-000042",
            "category": "Straßenschäden / Schlagloch",
            "status_label": "Angenommen",
            "tracking_url": "http://maengel.test/track/Tok3n-abc_XYZ",
            "note": "Wir prüfen das bis Ende der Woche. Grüße aus dem Bauhof!",
            "city_name": "Musterstadt (Demo)",
            "deadline_local": "12.03.2026 17:00",
        }
        context.update(overrides)
        return context

    return make


@pytest.fixture
def refusing_smtp():
    """A real SMTP server that refuses Erika's mailbox for good (550) and greylists (451)
    another address; it quotes the address in its reply, as real servers do."""
    from tests.faults.smtp import RefusingSmtp

    handler = RefusingSmtp(refuse={GONE.lower(): 550, GREYLISTED.lower(): 451})
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.url = f"smtp://127.0.0.1:{port}"
    yield handler
    handler.release.set()
    controller.stop()


GONE = "Erika.Muster@Example.org"  # the server answers 550 (no such mailbox)
GREYLISTED = "grau@example.net"  # the server answers 451 (try later)
