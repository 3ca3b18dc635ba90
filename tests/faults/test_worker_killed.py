"""The mail worker is killed with SIGKILL while it sends: no mail is lost, none is sent twice.

Real services only: the real ``maengelmelder worker`` process (rq worker with its scheduler, as
in production) against a private PostgreSQL cluster and a private ``redis-server`` started for
this test (never the shared ones), and an aiosmtpd server in the test process that counts a
mail as delivered only when its 250 reply can reach the client (tests/faults/smtp.py).

What an operator would notice: after ``kill -9`` (or the OOM killer, or ``docker kill``) hits the
worker in the middle of a batch of citizen mails, a restarted worker sends what was left
within the schedule's interval (the one mail the killed worker had claimed once its claim has
run out, 10 minutes later), and every outbox row ends up marked sent. No citizen gets a
mail twice, except when the worker dies in the instant between the mail server's "accepted"
and the worker's "sent" commit: that one mail arrives twice with the same Message-ID, as
maengelmelder/notify/service.py documents. No mail is ever lost.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from maengelmelder.app import create_app
from maengelmelder.extensions import db
from maengelmelder.notify.models import SENT, OutboxMessage
from maengelmelder.notify.service import queue_mail
from tests.faults.conftest import app_env
from tests.faults.services import kill_tree, start_app_process, tcp_unread, wait_until
from tests.faults.smtp import HonestSmtp, smtp_server

TOTAL = 30
HELD = 10  # the mail around which the worker is killed


def queue_mails(url: str, instance: Path) -> list[str]:
    """Queue TOTAL citizen mails, due now by the real clock the worker reads; their Message-IDs."""
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "INSTANCE_PATH": str(instance)}
    )
    written = datetime.now(UTC) - timedelta(seconds=1)
    with app.app_context():
        messages = [
            queue_mail(
                db.session,
                kind="acknowledged",
                to=f"buerger{i}@example.org",
                template="acknowledged",
                context={
                    "public_id": f"2026-{i:06d}",
                    "category": "Schlagloch",
                    "status_label": "Angenommen",
                    "tracking_url": f"http://maengel.test/track/t{i}",
                    "note": None,
                    "city_name": "Musterstadt (Demo)",
                    "deadline_local": "12.03.2026 17:00",
                },
                now=written + timedelta(milliseconds=i),  # oldest first: sent in this order
                dedupe_key=f"{i}:acknowledged",
            )
            for i in range(TOTAL)
        ]
        db.session.commit()
        ids = [m.message_id for m in messages]
        db.session.remove()
        db.engine.dispose()
    return ids


class Worker:
    """`maengelmelder worker` as a subprocess; its log in a file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = start_app_process(["worker"], self.env, self.log)

    def kill(self) -> list[int]:
        """SIGKILL to the worker and everything it started (the work horse, the scheduler)."""
        pids = kill_tree(self.proc) if self.proc is not None else []
        self.proc = None
        return pids

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])


@pytest.fixture
def worker_env(pg_url, private_redis, tmp_path):
    def make(smtp_url: str) -> dict[str, str]:
        return app_env(
            DATABASE_URL=pg_url,
            REDIS_URL=private_redis.url(),
            SMTP_URL=smtp_url,
            SECRET_KEY="fault-test",
            INSTANCE_PATH=str(tmp_path / "instance"),
            MEDIA_DIR=str(tmp_path / "media"),
        )

    return make


def outbox_status(engine) -> Counter:
    with Session(engine) as session:
        return Counter(session.scalars(select(OutboxMessage.status)))


def open_transactions(engine, database: str) -> int:
    """Sessions of the killed worker still holding a transaction (and so a row lock)."""
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = :db "
                "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
            ),
            {"db": database},
        ).scalar()


TEST_APP = "fault-test"  # the application_name of this test's own connections


def end_claims(engine) -> int:
    """The killed worker's claim on the mail it was sending runs out (after CLAIM, 10 minutes)."""
    with engine.begin() as conn:
        return conn.execute(
            text(
                "UPDATE outbox SET next_attempt_at = now() - interval '1 second' "
                "WHERE status = 'pending' AND next_attempt_at > now()"
            )
        ).rowcount


class FrozenBackend:
    """Freezes the worker's database session (SIGSTOP) while it waits for the mail server's
    reply; no transaction is open then, so the "sent" it records afterwards never arrives."""

    def __init__(self, engine, database: str) -> None:
        self.engine, self.database = engine, database
        self.pid: int | None = None
        self.client_port: int | None = None

    def freeze(self) -> None:
        with self.engine.connect() as conn:
            [(self.pid, self.client_port)] = conn.execute(
                text(
                    "SELECT pid, client_port FROM pg_stat_activity WHERE datname = :db "
                    "AND state = 'idle' AND application_name <> :me "
                    "AND pid <> pg_backend_pid()"
                ),
                {"db": self.database, "me": TEST_APP},
            ).all()
        os.kill(self.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        if self.pid is not None:
            os.kill(self.pid, signal.SIGCONT)
            self.pid = None


MOMENTS = {
    # The server got the 10th mail and holds its 250; the worker dies waiting for it. Not
    # delivered (the server drops it), so it must be sent again, once.
    "before-the-250": {"delivered_before": HELD - 1, "dropped": 1, "sent_twice": 0},
    # The worker has sent 10 mails and dies at the next MAIL FROM: nothing is in flight.
    "between-two-mails": {"delivered_before": HELD, "dropped": 0, "sent_twice": 0},
    # The documented window: the 10th mail's 250 reached the worker, which dies before its
    # "sent" commit (its database session is frozen). That one mail goes out again, with the
    # same Message-ID; nothing is lost.
    "after-the-250-before-the-commit": {"delivered_before": HELD, "dropped": 0, "sent_twice": 1},
}


@pytest.mark.parametrize("moment", list(MOMENTS))
def test_sigkill_while_sending_loses_no_mail(moment, pg_url, private_redis, worker_env, tmp_path):
    """Kill -9 at one moment of sending the 10th of 30 mails; the restarted worker sends the rest.

    Every mail arrives; none twice, except in the one window notify/service.py documents, where
    exactly that mail arrives twice under one Message-ID.
    """
    expected = MOMENTS[moment]
    ids = queue_mails(pg_url, tmp_path / "queue-instance")
    engine = create_engine(pg_url, pool_pre_ping=True, connect_args={"application_name": TEST_APP})
    database = pg_url.rsplit("/", 1)[1]
    backend = FrozenBackend(engine, database)
    handler = {
        "before-the-250": lambda: HonestSmtp(hold_data_at=HELD),
        "between-two-mails": lambda: HonestSmtp(hold_mail_at=HELD + 1),
        "after-the-250-before-the-commit": lambda: HonestSmtp(
            before_reply_at=HELD, before_reply=backend.freeze
        ),
    }[moment]()
    with smtp_server(handler) as smtp_url:
        worker = Worker(worker_env(smtp_url), tmp_path / "worker.log")
        try:
            worker.start()
            if moment == "after-the-250-before-the-commit":
                wait_until(lambda: len(handler.delivered) == HELD, timeout=60, what="10 mails")
                # The worker read the 250 and sent its UPDATE, which waits unread by the frozen
                # session: the worker is stuck between the 250 and its commit.
                wait_until(
                    lambda: tcp_unread(private_postgres_port(pg_url), backend.client_port) > 0,
                    timeout=20,
                    what="the worker's UPDATE to reach its frozen session",
                )
            else:
                assert handler.holding.wait(timeout=60), worker.tail()
            killed = worker.kill()
            assert len(killed) >= 2, "the worker and its work horse"
            backend.thaw()
            # The database ends the killed sender's transaction when its connection closes.
            wait_until(
                lambda: open_transactions(engine, database) == 0,
                timeout=20,
                what="the killed worker's transaction to end",
            )
            handler.release.set()
            if moment != "after-the-250-before-the-commit":
                assert handler.settled.wait(timeout=10)

            before_restart = list(handler.delivered)
            assert before_restart == ids[: expected["delivered_before"]]
            assert len(handler.dropped) == expected["dropped"]
            sent = expected["delivered_before"] - expected["sent_twice"]
            assert outbox_status(engine) == {SENT: sent, "pending": TOTAL - sent}

            # The mail in flight stays claimed by the dead worker for 10 minutes; the restarted
            # worker's scheduler sends the outbox again once the interval of the recurring job
            # has passed. Expiring both is that time passing.
            assert end_claims(engine) == 1
            redis.Redis.from_url(private_redis.url()).delete("maengelmelder:recurring:outbox-send")
            worker.start()
            wait_until(
                lambda: outbox_status(engine)[SENT] == TOTAL,
                timeout=60,
                what="the restarted worker to drain the outbox",
            )
        finally:
            backend.thaw()
            worker.kill()

    delivered = Counter(handler.delivered)
    assert set(delivered) == set(ids)  # nothing lost
    twice = [mid for mid, n in delivered.items() if n > 1]
    assert twice == ([ids[HELD - 1]] if expected["sent_twice"] else [])
    assert max(delivered.values()) <= 2
    with Session(engine) as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert {row.status for row in rows} == {SENT}
        assert all(row.sent_at is not None and row.last_error is None for row in rows)
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == TOTAL
    engine.dispose()
    print(
        f"\n[{moment}] delivered before the kill: {len(before_restart)}, dropped unacknowledged: "
        f"{len(handler.dropped)}, received by the server in all: {len(handler.received)}, "
        f"delivered: {len(delivered)} of {TOTAL} distinct Message-IDs, "
        f"{len(handler.delivered)} deliveries, duplicates: {len(twice)}"
    )


def private_postgres_port(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/")[0])
