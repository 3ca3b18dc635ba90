"""A real SMTP server (aiosmtpd) that counts a mail as delivered the way RFC 5321 does.

A server takes responsibility for a mail only by answering the end of its data with 250; a
client that never read that reply must assume the mail was not delivered (RFC 5321, 4.1.1.4
and 6.1). So the handler records a mail as delivered only when the client connection is still
open at the moment it answers. A mail whose sender died while the server held its reply is
dropped, as a real mail server drops a transaction that lost its connection.

The handler can hold one command (the n-th end of data, or the n-th MAIL FROM) until the test
releases it, or run a function just before it answers the n-th end of data, to stop the sender
at a precise point.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller

from tests.faults.services import free_port


def client_connected(server) -> bool:
    """Whether the client of this aiosmtpd session would still read a reply."""
    transport = server.transport
    if transport is None or transport.is_closing():
        return False
    sock = transport.get_extra_info("socket")
    if sock is None or sock.fileno() < 0:
        return False
    probe = socket.socket(fileno=os.dup(sock.fileno()))
    try:
        data = probe.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except BlockingIOError:
        return True  # open, nothing sent by the client: it is waiting for our reply
    except OSError:
        return False  # reset
    finally:
        probe.close()
    return bool(data)  # b"": the client closed its side


@dataclass
class HonestSmtp:
    """aiosmtpd handler: `delivered` holds the Message-ID of each mail whose 250 was sent."""

    hold_data_at: int | None = None
    hold_mail_at: int | None = None
    # Called (in a thread) just before the 250 to the n-th end of data is sent.
    before_reply_at: int | None = None
    before_reply: Callable[[], object] | None = None
    delivered: list[str] = field(default_factory=list)
    received: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    settled: threading.Event = field(default_factory=threading.Event)
    mail_commands: int = 0

    async def _hold(self) -> None:
        self.holding.set()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self.release.wait, 120)

    async def handle_MAIL(self, server, session, envelope, address, mail_options) -> str:
        self.mail_commands += 1
        if self.mail_commands == self.hold_mail_at:
            try:
                await self._hold()
            finally:
                self.settled.set()
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        mail = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        message_id = str(mail["Message-ID"])
        self.received.append(message_id)
        held = len(self.received) == self.hold_data_at
        try:
            if held:
                await self._hold()
            if not client_connected(server):
                self.dropped.append(message_id)
                return "451 4.4.2 Connection lost before the reply; mail not accepted"
            if self.before_reply is not None and len(self.received) == self.before_reply_at:
                await asyncio.get_running_loop().run_in_executor(None, self.before_reply)
            self.delivered.append(message_id)
            return "250 Message accepted for delivery"
        except asyncio.CancelledError:
            # aiosmtpd cancels the handler when the client's connection ends (EOF or reset).
            self.dropped.append(message_id)
            raise
        finally:
            if held:
                self.settled.set()


@contextmanager
def smtp_server(handler: HonestSmtp) -> Iterator[str]:
    """Run `handler` on a free port; yields the SMTP URL; stops the server afterwards."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}"
    finally:
        handler.release.set()  # never leave an executor thread waiting
        controller.stop()


@dataclass
class RefusingSmtp(HonestSmtp):
    """HonestSmtp that answers RCPT TO for some recipients with a fixed reply (550, 451 ...).

    The reply quotes the address, as real servers do ("550 5.1.1 <erika@…>: User unknown"):
    the sender must keep it out of its log and its stored error.
    """

    refuse: dict[str, int] = field(default_factory=dict)  # lower-cased address -> code
    refused: list[str] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        code = self.refuse.get(address.lower())
        if code is not None:
            self.refused.append(address)
            if code >= 500:
                return f"{code} 5.1.1 <{address}>: Recipient address rejected: User unknown"
            return f"{code} 4.2.0 <{address}>: Recipient address rejected: Greylisted, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"


class FrozenSmtp:
    """A mail server that accepts connections and never says a word (a hung server, a
    firewall that lets SYN through): a client waits for the greeting until its timeout.

    `connected` is set at the first connection, `closed` once a client gave up and closed
    its side; `connections` counts them.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"smtp://127.0.0.1:{self.port}"
        self.connected = threading.Event()
        self.closed = threading.Event()
        self.connections = 0
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._listener.settimeout(0.2)
        self._clients: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, name="frozen-smtp", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                self._watch()
                continue
            except OSError:
                return
            client.setblocking(False)
            self._clients.append(client)
            self.connections += 1
            self.connected.set()
            self._watch()

    def _watch(self) -> None:
        for client in list(self._clients):
            try:
                data = client.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:  # the client gave up and closed (or reset) its side
                self._clients.remove(client)
                client.close()
                self.closed.set()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()
        for client in self._clients:
            client.close()
