"""Real counterparts for the forwarding tests: a second maengelmelder as an external body's
Open311 back office, a switchable proxy in front of it, a webhook receiver, an SMTP server."""

from __future__ import annotations

import contextlib
import email
import email.policy
import json
import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests
from aiosmtpd.controller import Controller

from maengelmelder.forwarding.channels import signature
from tests.faults.services import free_port, start_app_process, stop_process, wait_until


@dataclass
class ExternalBody:
    """`maengelmelder serve` with a SQLite database of its own: the body's back office."""

    url: str
    api_key: str
    database: Path

    @property
    def open311(self) -> str:
        return f"{self.url}/open311/v2"

    def filed(self, key: str) -> list[tuple[str, str]]:
        """The reports filed there under an idempotency key: (public id, description)."""
        with contextlib.closing(sqlite3.connect(self.database)) as conn:
            return conn.execute(
                "SELECT public_id, description FROM reports WHERE idempotency_key = ?", (key,)
            ).fetchall()


def _run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "maengelmelder", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@contextlib.contextmanager
def external_body(tmp: Path) -> Iterator[ExternalBody]:
    database = tmp / "external.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAENGELMELDER_")}
    env.update(
        {
            "MAENGELMELDER_DATABASE_URL": f"sqlite:///{database}",
            "MAENGELMELDER_INSTANCE_PATH": str(tmp / "instance"),
            "MAENGELMELDER_SECRET_KEY": "external-body",
            "MAENGELMELDER_COOKIE_SECURE": "false",
            "MAENGELMELDER_RATELIMIT_ENABLED": "false",
        }
    )
    _run(["db", "upgrade"], env)
    _run(["demo", "load"], env)
    out = _run(["tokens", "create", "--name", "city", "--role", "admin"], env)
    api_key = out.strip().splitlines()[-1]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp / "external.log"
    proc = start_app_process(
        ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"], env, log
    )

    def healthy() -> bool:
        assert proc.poll() is None, log.read_text(errors="replace")
        try:
            return requests.get(url + "/healthz", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    try:
        wait_until(healthy, timeout=60, what="the external body's server", every=0.2)
        yield ExternalBody(url, api_key, database)
    finally:
        stop_process(proc)


class Switch:
    """What the proxy does with the next requests: a list of modes, used up in order, then
    `default`. `pass`: forward; `down`: drop the connection unanswered; `500`: answer 500
    without forwarding; `lose`: forward, then drop the connection before answering."""

    def __init__(self) -> None:
        self.plan: list[str] = []
        self.default = "pass"
        self.seen: list[str] = []
        self.lock = threading.Lock()

    def next(self) -> str:
        with self.lock:
            mode = self.plan.pop(0) if self.plan else self.default
            self.seen.append(mode)
            return mode


def _serve(handler: type[BaseHTTPRequestHandler]) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@contextlib.contextmanager
def proxy(upstream: str) -> Iterator[tuple[str, Switch]]:
    """A loopback HTTP proxy in front of `upstream`, switched by the test."""
    switch = Switch()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def _drop(self) -> None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(2)

        def _forward(self, method: str) -> requests.Response:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {
                k: v
                for k, v in self.headers.items()
                if k.lower() not in ("host", "content-length", "connection")
            }
            return requests.request(
                method, upstream + self.path, data=body, headers=headers, timeout=30
            )

        def _handle(self, method: str) -> None:
            mode = switch.next()
            if mode == "down":
                return self._drop()
            if mode == "500":
                self.send_response(500)
                self.send_header("Content-Length", "5")
                self.end_headers()
                self.wfile.write(b"oops\n"[:5])
                return None
            resp = self._forward(method)
            if mode == "lose":
                return self._drop()
            self.send_response(resp.status_code)
            for name in ("Content-Type", "Location", "Idempotent-Replayed"):
                if name in resp.headers:
                    self.send_header(name, resp.headers[name])
            self.send_header("Content-Length", str(len(resp.content)))
            self.end_headers()
            self.wfile.write(resp.content)
            return None

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

    server, url = _serve(Handler)
    try:
        yield url, switch
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class WebhookReceiver:
    """Keeps every POST to /hook whose signature checks out with `secret`; answers `status`
    with `answer`. Other paths answer 201 with `answer`, unsigned (a garbage Open311 body)."""

    secret: str = ""
    status: int = 200
    answer: bytes = b"{}"
    received: list[dict] = field(default_factory=list)
    # While set, a request to /hook is held unanswered until it is released (a slow body).
    hold: threading.Event | None = None
    refused: int = 0
    unsigned: int = 0
    keys: list[str] = field(default_factory=list)


@contextlib.contextmanager
def webhook_receiver() -> Iterator[tuple[str, WebhookReceiver]]:
    state = WebhookReceiver()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            stamp = self.headers.get("X-Maengelmelder-Timestamp", "")
            given = self.headers.get("X-Maengelmelder-Signature", "")
            if not self.path.startswith("/hook"):  # posing as an Open311 back office
                state.unsigned += 1
                self.send_response(201)
                self.send_header("Content-Length", str(len(state.answer)))
                self.end_headers()
                self.wfile.write(state.answer)
                return
            if state.hold is not None:
                state.hold.wait(30)
                return
            if given != signature(state.secret, stamp, body):
                state.refused += 1
                self.send_response(401)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            state.received.append(json.loads(body))
            state.keys.append(self.headers.get("Idempotency-Key", ""))
            self.send_response(state.status)
            self.send_header("Content-Length", str(len(state.answer)))
            self.end_headers()
            self.wfile.write(state.answer)

    server, url = _serve(Handler)
    try:
        yield url + "/hook", state
    finally:
        server.shutdown()
        server.server_close()


class _Collector:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.recipients.append(list(envelope.rcpt_tos))
        self.messages.append(
            email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        )
        return "250 Message accepted for delivery"


@contextlib.contextmanager
def smtp_server() -> Iterator[tuple[str, _Collector]]:
    collector = _Collector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", collector
    finally:
        controller.stop()
