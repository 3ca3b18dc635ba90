"""An Open311 back office with batch services answers our POST with a `token`: the poll asks
`GET tokens/<token>.json` until it names the request id, then polls that request's status.

Our own Open311 server issues no tokens, so the body here is a small real HTTP server that
speaks GeoReport v2's documented format."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from maengelmelder.forwarding.jobs import poll_answers

from .helpers import deliver, delivery_row, destination, file_ticket, forward, report_row


@dataclass
class BatchBody:
    """Files every POST under a token; a token names its request id once `made` holds it."""

    posts: list[dict] = field(default_factory=list)
    made: dict[str, str] = field(default_factory=dict)  # token -> service_request_id
    status: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    token_asks: list[str] = field(default_factory=list)
    token_answer: bytes | None = None  # when set, every token lookup gets this instead
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextlib.contextmanager
def batch_body() -> Iterator[tuple[str, BatchBody]]:
    state = BatchBody()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def _answer(self, code: int, body: object) -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if urlsplit(self.path).path != "/v2/requests.json":
                return self._answer(404, [{"code": 404, "description": "not found"}])
            with state.lock:
                state.posts.append({k: v[0] for k, v in parse_qs(body.decode()).items()})
                token = f"tok-{len(state.posts)}"
            return self._answer(201, [{"token": token}])

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            if parts.path.startswith("/v2/tokens/") and parts.path.endswith(".json"):
                token = parts.path.removeprefix("/v2/tokens/").removesuffix(".json")
                state.token_asks.append(token)
                if state.token_answer is not None:
                    return self._answer(200, state.token_answer)
                if not token.startswith("tok-") or int(token[4:]) > len(state.posts):
                    return self._answer(404, [{"code": 404, "description": "unknown token"}])
                row = {"token": token}
                if token in state.made:
                    row["service_request_id"] = state.made[token]
                return self._answer(200, [row])
            if parts.path == "/v2/requests.json":
                wanted = query.get("service_request_id", [""])[0]
                if wanted not in state.made.values():
                    return self._answer(404, [{"code": 404, "description": "unknown request"}])
                status, notes = state.status.get(wanted, ("open", None))
                row = {"service_request_id": wanted, "status": status, "status_notes": notes}
                return self._answer(200, [row])
            return self._answer(404, [{"code": 404, "description": "not found"}])

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v2", state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def body():
    with batch_body() as served:
        yield served


def _handed_over(app, client, admin_headers, url: str, email: str | None = None) -> tuple:
    target = destination(
        client,
        admin_headers,
        channel="open311",
        url=url,
        api_key="their-key",
        service_codes={"schlagloch": "pothole"},
    )
    filed = file_ticket(client, email=email) if email else file_ticket(client)
    public_id = filed["report"]["public_id"]
    delivery = forward(client, admin_headers, public_id, target["id"])["delivery"]
    assert deliver(app)["delivered"] == 1
    return public_id, delivery


def _poll(app) -> dict[str, int]:
    with app.app_context():
        return poll_answers()


def test_a_token_is_resolved_then_its_request_polled_until_closed(app, client, admin_headers, body):
    url, there = body
    public_id, delivery = _handed_over(app, client, admin_headers, url, "erika@example.org")
    assert len(there.posts) == 1
    assert there.posts[0]["attribute[maengelmelder_delivery]"] == delivery["key"]
    row = delivery_row(app, delivery["id"])
    assert row.remote_token == "tok-1" and row.remote_id is None

    # Not made there yet: asked for the token, nothing stored, the status not asked.
    assert _poll(app) == {"asked": 1, "changed": 0, "resolved": 0, "failed": 0}
    assert there.token_asks == ["tok-1"]
    assert delivery_row(app, delivery["id"]).remote_id is None

    there.made["tok-1"] = "4711"
    counts = _poll(app)  # the token names the id, and its status is read in the same run
    assert counts == {"asked": 2, "changed": 0, "resolved": 0, "failed": 0}
    assert delivery_row(app, delivery["id"]).remote_id == "4711"
    shown = client.get(f"/api/v1/tickets/{public_id}/deliveries", headers=admin_headers).json
    assert shown["items"][0]["remote_id"] == "4711"

    there.status["4711"] = ("closed", "Schlagloch verfüllt")
    assert _poll(app)["resolved"] == 1
    assert there.token_asks == ["tok-1", "tok-1"]  # never asked again once resolved
    assert report_row(app, public_id).status == "resolved"
    history = client.get(f"/api/v1/tickets/{public_id}", headers=admin_headers).json
    assert "Schlagloch verfüllt" in str(history)


@pytest.mark.parametrize(
    "answer",
    [b"<html>busy</html>", b'{"token": "tok-1", "service_request_id": null}', b"[1, 2]"],
)
def test_a_garbled_or_empty_token_answer_stores_nothing_and_is_asked_again(
    app, client, admin_headers, body, answer
):
    url, there = body
    public_id, delivery = _handed_over(app, client, admin_headers, url)
    there.token_answer = answer
    counts = _poll(app)
    assert counts["asked"] == 1 and counts["resolved"] == 0
    assert counts["failed"] == (0 if b"null" in answer else 1)
    row = delivery_row(app, delivery["id"])
    assert row.remote_id is None and row.remote_token == "tok-1"
    assert report_row(app, public_id).status == "waiting_external"

    there.token_answer = None
    there.made["tok-1"] = "99"
    _poll(app)
    assert delivery_row(app, delivery["id"]).remote_id == "99"


def test_an_unknown_token_is_a_failed_question_not_a_resolution(app, client, admin_headers, body):
    url, there = body
    public_id, delivery = _handed_over(app, client, admin_headers, url)
    there.posts.clear()  # the body forgot the token
    assert _poll(app) == {"asked": 1, "changed": 0, "resolved": 0, "failed": 1}
    assert delivery_row(app, delivery["id"]).remote_id is None
    assert report_row(app, public_id).status == "waiting_external"
