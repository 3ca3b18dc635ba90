"""The forwarding sender is killed with SIGKILL while a hand-over is on its way: after a
restart every delivery ends delivered, none is lost, and none is filed twice where the other
side deduplicates.

Real services only: the real ``maengelmelder worker`` process (rq worker with its scheduler,
as in production) against a private PostgreSQL cluster and a private ``redis-server`` (never
the shared ones), and on the other side either

- an external body's Open311 back office: a second real ``maengelmelder serve`` with a
  database of its own, behind a proxy in this test that passes the POST on (the body files
  it) and then holds the answer until the worker has been killed. The proxy drops the
  ``Idempotency-Key`` header, so only the Open311 attribute ``maengelmelder_delivery``
  carries the key, as a plain Open311 client's attributes would; or
- a webhook receiver in this test that checks the signature, keeps every request by its
  ``Idempotency-Key`` and holds its answer to one of them until the worker has been killed.

What an operator would notice: a ``kill -9`` (the OOM killer, ``docker kill``) in the middle of
a batch of hand-overs leaves the one in flight claimed by the dead worker; once its claim has
run out (5 minutes) the restarted worker's sweep sends it again with the same key. The Open311
body files each report exactly once; the webhook receiver gets that one hand-over twice,
under one key, and every other once; every delivery row ends ``delivered``.
"""

from __future__ import annotations

import contextlib
import hmac
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import redis
import requests
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from maengelmelder.accounts.service import create_token
from maengelmelder.app import create_app
from maengelmelder.clock import system_clock
from maengelmelder.extensions import db
from maengelmelder.forwarding.channels import signature
from maengelmelder.forwarding.models import DELIVERED, PENDING, Delivery
from tests.faults.conftest import app_env
from tests.faults.services import wait_until
from tests.faults.test_worker_killed import TEST_APP, Worker, open_transactions
from tests.forwarding.counterparts import ExternalBody, _serve, external_body
from tests.tickets.helpers import file_ticket

TOTAL = 12
HELD = 5  # the hand-over during which the worker is killed
HOLD_LIMIT = 120  # seconds a held answer waits at most (the test releases it long before)


@dataclass
class Holder:
    """Counts the hand-overs the other side took and holds its answer to the HELD-th one."""

    # In the order they arrived: the webhook's Idempotency-Key, the Open311 request id filed.
    taken: list[str] = field(default_factory=list)
    secret: str = ""  # the webhook's, known once its destination is made
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def took(self, key: str) -> bool:
        """One more hand-over taken; True when the answer to this one is to be held."""
        with self.lock:
            self.taken.append(key)
            return len(self.taken) == HELD and not self.holding.is_set()

    def hold(self) -> None:
        self.holding.set()
        self.release.wait(HOLD_LIMIT)


@contextlib.contextmanager
def _serving(handler: type[BaseHTTPRequestHandler], holder: Holder) -> Iterator[str]:
    """Serve `handler` on a free loopback port; at the end no answer is held any more."""
    server, url = _serve(handler)
    try:
        yield url
    finally:
        holder.release.set()
        server.shutdown()
        server.server_close()


def _answer(handler: BaseHTTPRequestHandler, status: int, body: bytes, kind: str) -> None:
    # The client of a held answer is dead by then: writing to it may fail, as it would anywhere.
    with contextlib.suppress(OSError):
        handler.send_response(status)
        handler.send_header("Content-Type", kind)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)


@contextlib.contextmanager
def holding_open311(upstream: str, holder: Holder) -> Iterator[str]:
    """A proxy to an Open311 back office: passes every request on; a POST's answer to the
    HELD-th hand-over is held after the back office has filed it."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def _pass(self, method: str) -> requests.Response:
            length = int(self.headers.get("Content-Length") or 0)
            headers = {
                k: v
                for k, v in self.headers.items()
                if k.lower() not in ("host", "content-length", "connection", "idempotency-key")
            }
            return requests.request(
                method,
                upstream + self.path,
                data=self.rfile.read(length) if length else None,
                headers=headers,
                timeout=60,
            )

        def do_GET(self) -> None:  # the sweep that polls for answers
            resp = self._pass("GET")
            _answer(self, resp.status_code, resp.content, resp.headers["Content-Type"])

        def do_POST(self) -> None:
            resp = self._pass("POST")
            if resp.status_code == 201 and holder.took(resp.json()[0]["service_request_id"]):
                holder.hold()
            _answer(self, resp.status_code, resp.content, resp.headers["Content-Type"])

    with _serving(Handler, holder) as url:
        yield f"{url}/open311/v2"


@contextlib.contextmanager
def holding_webhook(holder: Holder) -> Iterator[str]:
    """A webhook receiver: takes each POST signed with `holder.secret` (by its
    Idempotency-Key), and holds its answer to the HELD-th one."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            stamp = self.headers.get("X-Maengelmelder-Timestamp", "")
            given = self.headers.get("X-Maengelmelder-Signature", "")
            if not hmac.compare_digest(given, signature(holder.secret, stamp, body)):
                return _answer(self, 401, b"{}", "application/json")
            if holder.took(self.headers.get("Idempotency-Key", "")):
                holder.hold()
            return _answer(self, 200, b"{}", "application/json")

    with _serving(Handler, holder) as url:
        yield f"{url}/hook"


@pytest.fixture(scope="module")
def external(tmp_path_factory) -> Iterator[ExternalBody]:
    with external_body(tmp_path_factory.mktemp("external")) as body:
        yield body


def hand_over(url: str, instance: Path, target: dict) -> tuple[list[str], str]:
    """TOTAL tickets filed and handed over to one new destination, due now by the real clock
    the worker reads, oldest first; their keys, and the webhook's secret (shown once)."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "fault-test",
            "INSTANCE_PATH": str(instance),
            "RATELIMIT_ENABLED": False,
            "INPROCESS_JOBS": False,
        }
    )
    try:
        with app.app_context():
            _, token = create_token(db.session, name="admin", role="admin", now=system_clock())
            db.session.commit()
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        made = client.post(
            "/api/v1/admin/destinations",
            json={"name_de": "Stadtwerke", "name_en": "Public utilities", **target},
            headers=headers,
        )
        assert made.status_code == 201, made.json
        keys = []
        for _ in range(TOTAL):
            public_id = file_ticket(client)["report"]["public_id"]
            etag = client.get(f"/api/v1/tickets/{public_id}", headers=headers).headers["ETag"]
            resp = client.post(
                f"/api/v1/tickets/{public_id}/forward-external",
                json={"destination": made.json["id"], "note": "Bitte Leuchte prüfen"},
                headers={**headers, "If-Match": etag},
            )
            assert resp.status_code == 201, resp.json
            keys.append(resp.json["delivery"]["key"])
        return keys, made.json.get("secret") or ""
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def deliveries(engine) -> dict[str, Delivery]:
    with Session(engine) as session:
        rows = session.scalars(select(Delivery).order_by(Delivery.id)).all()
        session.expunge_all()
        return {row.key: row for row in rows}


def end_claims(engine) -> int:
    """The killed worker's claim on the delivery it was sending runs out (after CLAIM, 5
    minutes, by the clock the worker reads)."""
    with engine.begin() as conn:
        return conn.execute(
            text(
                "UPDATE deliveries SET next_attempt_at = now() - interval '1 second' "
                "WHERE status = 'pending' AND next_attempt_at > now()"
            )
        ).rowcount


@pytest.mark.parametrize("channel", ["open311", "webhook"])
def test_sigkill_mid_delivery_loses_no_hand_over(
    channel, pg_url, private_redis, external, tmp_path
):
    """Kill -9 while the other side holds its answer to the 5th of 12 hand-overs (it has
    taken it); the restarted worker delivers the rest and that one again, with its key.

    Open311: every report filed there exactly once. Webhook: that one hand-over arrives twice
    under one key, every other once. Every delivery ends delivered.
    """
    holder = Holder()
    with contextlib.ExitStack() as stack:
        if channel == "open311":
            url = stack.enter_context(holding_open311(external.url, holder))
            target = {
                "channel": "open311",
                "url": url,
                "api_key": external.api_key,
                "jurisdiction_id": "demo",
                "service_codes": {"schlagloch": "schlagloch"},
            }
        else:
            url = stack.enter_context(holding_webhook(holder))
            target = {"channel": "webhook", "url": url}
        keys, holder.secret = hand_over(pg_url, tmp_path / "setup-instance", target)
        held = keys[HELD - 1]

        engine = create_engine(
            pg_url, pool_pre_ping=True, connect_args={"application_name": TEST_APP}
        )
        database = pg_url.rsplit("/", 1)[1]
        env = app_env(
            DATABASE_URL=pg_url,
            REDIS_URL=private_redis.url(),
            SECRET_KEY="fault-test",
            INSTANCE_PATH=str(tmp_path / "instance"),
            MEDIA_DIR=str(tmp_path / "media"),
            # Longer than the test needs to kill it: the worker waits for the held answer.
            FORWARDING_TIMEOUT=str(HOLD_LIMIT),
        )
        worker = Worker(env, tmp_path / "worker.log")
        try:
            worker.start()
            assert holder.holding.wait(timeout=90), worker.tail()
            # The worker waits for the answer with no transaction open (no row lock held).
            assert open_transactions(engine, database) == 0
            killed = worker.kill()
            assert len(killed) >= 2, "the worker and its work horse"
            holder.release.set()

            before = deliveries(engine)
            delivered = [key for key in keys if before[key].status == DELIVERED]
            assert delivered == keys[: HELD - 1]
            assert before[held].status == PENDING and before[held].attempts == 1
            assert len(holder.taken) == HELD

            # The hand-over in flight stays claimed by the dead worker for 5 minutes; the
            # restarted worker's scheduler runs the sweep once its interval has passed.
            # Expiring both is that time passing.
            assert end_claims(engine) == 1
            redis.Redis.from_url(private_redis.url()).delete(
                "maengelmelder:recurring:forwarding-deliver"
            )
            worker.start()
            wait_until(
                lambda: all(r.status == DELIVERED for r in deliveries(engine).values()),
                timeout=90,
                what="the restarted worker to deliver every hand-over",
            )
        finally:
            worker.kill()

    after = deliveries(engine)
    engine.dispose()
    assert len(after) == TOTAL
    assert all(row.last_error is None and row.delivered_at is not None for row in after.values())
    assert {key: row.attempts for key, row in after.items() if row.attempts != 1} == {held: 2}
    taken = Counter(holder.taken)
    if channel == "open311":
        # The proxy counts the body's request ids: the second POST of the held hand-over was
        # answered with the request filed the first time.
        filed = {key: external.filed(key) for key in keys}
        assert all(len(rows) == 1 for rows in filed.values()), filed
        assert {key: row.remote_id for key, row in after.items()} == {
            key: rows[0][0] for key, rows in filed.items()
        }
        assert taken[filed[held][0][0]] == 2 and max(taken.values()) == 2
        duplicates = 0
    else:
        assert set(taken) == set(keys)  # nothing lost
        assert {key: n for key, n in taken.items() if n > 1} == {held: 2}
        duplicates = 1
    print(
        f"\n[{channel}] hand-overs: {TOTAL}, requests the other side took: "
        f"{len(holder.taken)}, distinct: {len(taken)}, filed or received twice: {duplicates}"
    )
