"""The history benchmark's servers (`maengelmelder serve`, one per database) and its
keep-alive HTTP client, logged in per staff account."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from history_db import CLI, PASSWORD, ROOT, Database, Samples, tail

# --------------------------------------------------------------------------- servers, client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    db: Database
    popen: subprocess.Popen
    port: int
    log: Path

    def stop(self) -> None:
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(30)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(10)


def start_server(db: Database, tmp: Path) -> Server:
    port = free_port()
    home = tmp / f"serve-{db.name}"
    home.mkdir(exist_ok=True)
    env = dict(os.environ)
    env.update(
        {
            "MAENGELMELDER_DATABASE_URL": db.url,
            "MAENGELMELDER_SECRET_KEY": secrets.token_urlsafe(32),
            "MAENGELMELDER_INSTANCE_PATH": str(home / "instance"),
            "MAENGELMELDER_MEDIA_DIR": str(home / "media"),
            "MAENGELMELDER_INPROCESS_JOBS": "false",
            "MAENGELMELDER_COOKIE_SECURE": "false",
        }
    )
    env.pop("MAENGELMELDER_REDIS_URL", None)
    log = home / "serve.log"
    with open(log, "wb") as out:
        popen = subprocess.Popen(
            [*CLI, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped with its workers
        )
    server = Server(db, popen, port, log)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if popen.poll() is not None:
            raise RuntimeError(f"the server for {db.name} exited:\n{tail(log)}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as resp:
                if resp.status == 200:
                    return server
        except OSError:
            pass
        time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"the server for {db.name} did not answer /healthz within 90 s")


@dataclass
class Answer:
    status: int
    ttfb: float  # seconds to the status line and headers
    total: float  # seconds to the end of the answer
    size: int  # bytes read
    body: bytes


class Client:
    """One keep-alive HTTP connection; `get` times a request to first byte and to the end."""

    def __init__(self, port: int, timeout: float = 900) -> None:
        self.port, self.timeout = port, timeout
        self.conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        body: bytes | None = None,
    ) -> tuple[Answer, http.client.HTTPResponse]:
        for attempt in (0, 1):  # a kept-alive connection the server has closed is retried once
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                started = time.perf_counter()
                self.conn.request(method, path, body=body, headers=headers)
                resp = self.conn.getresponse()
                ttfb = time.perf_counter() - started
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt:
                    raise
        data = resp.read()
        total = time.perf_counter() - started
        if resp.will_close:
            self.close()
        return Answer(resp.status, ttfb, total, len(data), data), resp


@dataclass
class Side:
    """One database, its server and a logged-in client per staff account."""

    label: str  # "small" or "large"
    server: Server
    samples: Samples
    cookies: dict[str | None, str] = field(default_factory=dict)
    clients: dict[str | None, Client] = field(default_factory=dict)

    def client(self, user: str | None) -> Client:
        if user not in self.clients:
            self.clients[user] = Client(self.server.port)
        return self.clients[user]

    def login(self, user: str) -> None:
        body = json.dumps({"email": f"{user}@history.invalid", "password": PASSWORD}).encode()
        answer, resp = self.client(user).request(
            "POST", "/api/v1/auth/login", {"Content-Type": "application/json"}, body
        )
        if answer.status != 200:
            raise RuntimeError(f"login of {user} failed ({answer.status}): {answer.body[:300]!r}")
        cookie = resp.getheader("Set-Cookie") or ""
        self.cookies[user] = cookie.split(";", 1)[0]

    def get(self, path: str, user: str | None) -> Answer:
        headers = {"Accept": "application/json"}
        if user is not None:
            headers["Cookie"] = self.cookies[user]
        answer, _ = self.client(user).request("GET", path, headers)
        return answer

    def json(self, path: str, user: str | None) -> tuple[int, object]:
        answer = self.get(path, user)
        try:
            return answer.status, json.loads(answer.body)
        except ValueError:
            return answer.status, None

    def close(self) -> None:
        for client in self.clients.values():
            client.close()
