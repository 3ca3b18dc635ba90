"""Mail trouble and a restart without Redis: nothing stalls, nothing leaks, nothing is forgotten.

Real services only: the app under gunicorn (`maengelmelder serve`, 2 workers) or the real rq
worker (`maengelmelder worker`), against a SQLite file, a private PostgreSQL cluster and a
private redis-server started for these tests; mail goes to servers in the test process: one
that accepts connections and never answers (tests/faults/smtp.py FrozenSmtp), one that refuses
some recipients (RefusingSmtp), an honest one (HonestSmtp).

What a citizen would notice: nothing. Reports are filed (201) at the usual speed while the mail
server hangs. What staff would notice: a mail the receiving server refused for good is marked
on its ticket at once ("Mail an den Meldenden nicht zustellbar") and listed for admins, who
can send it again. What an operator would notice: no e-mail address in the worker's log; a
server restarted without Redis sends due mails, escalates breaches and runs the retention
without waiting for a request; an erasure finds an address however it was typed.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from maengelmelder import jobs
from maengelmelder.app import create_app
from maengelmelder.core.events import TicketEvent
from maengelmelder.core.models import Report
from maengelmelder.demo import load_demo
from maengelmelder.extensions import db
from maengelmelder.notify.models import OutboxMessage
from maengelmelder.notify.service import queue_mail
from tests import images
from tests.conftest import START, Clock, Staff
from tests.faults.conftest import app_env
from tests.faults.load import Load
from tests.faults.services import ROOT, wait_until
from tests.faults.smtp import FrozenSmtp, HonestSmtp, RefusingSmtp, smtp_server
from tests.faults.test_postgres_restart import Server
from tests.faults.test_worker_killed import Worker
from tests.tickets.helpers import file_ticket

GONE = "Erika.Muster@Example.org"  # 550: no such mailbox
GREYLISTED = "grau@example.net"  # 451: try later
FINE = "buerger@example.org"
SMTP_TIMEOUT = 20  # seconds; MAENGELMELDER_SMTP_TIMEOUT (before, always smtplib's 10)
INTAKE_BOUND = 5.0  # seconds: no report may take longer while mail hangs


def sqlite_database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'faults.db'}"
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path / "i0")}
    )
    with app.app_context():
        db.create_all()
        load_demo(db.session, now=START)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return url


def make_app(url: str, tmp_path: Path, **config):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "fault-test",
            "INSTANCE_PATH": str(tmp_path / "setup-instance"),
            "MEDIA_DIR": str(tmp_path / "media"),
            "FRONTEND_DIR": str(tmp_path / "no-frontend"),
            "BASE_URL": "http://maengel.test",
            "RATELIMIT_ENABLED": False,
            "INPROCESS_JOBS": False,
            "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
            **config,
        }
    )


def queue(app, to: str, report_id: int | None = None, n: int = 0) -> str:
    """Queue a citizen mail, due now by the real clock the servers read; its Message-ID."""
    with app.app_context():
        message = queue_mail(
            db.session,
            kind="acknowledged",
            to=to,
            template="acknowledged",
            context={
                "public_id": f"2026-{n:06d}",
                "category": "Schlagloch",
                "status_label": "Angenommen",
                "tracking_url": f"http://maengel.test/track/t{n}",
                "note": None,
                "city_name": "Musterstadt (Demo)",
                "deadline_local": "12.03.2026 17:00",
            },
            now=datetime.now(UTC) - timedelta(seconds=1) + timedelta(milliseconds=n),
            report_id=report_id,
        )
        db.session.commit()
        message_id = message.message_id
        db.session.remove()
    return message_id


def serve_env(url: str, tmp_path: Path, smtp_url: str, **more: str) -> dict[str, str]:
    return app_env(
        DATABASE_URL=url,
        MEDIA_DIR=str(tmp_path / "media"),
        INSTANCE_PATH=str(tmp_path / "instance"),
        SECRET_KEY="fault-test",
        BASE_URL="http://maengel.test",
        FRONTEND_DIR=str(tmp_path / "no-frontend"),
        RATELIMIT_ENABLED="false",  # every client comes from 127.0.0.1
        SMTP_URL=smtp_url,
        **more,
    )


# -- 1: a mail server that never answers, SQLite, no Redis ------------------------------------


def test_sqlite_intake_goes_on_while_the_mail_server_hangs(tmp_path):
    """The mail server accepts the connection and never answers; the in-process runner sends.

    Before: the claim's transaction stayed open through the SMTP exchange, so the sender held
    SQLite's only write lock for the whole timeout and intake waited out the busy timeout and
    answered 503 (15 of 124 reports in one run). Now no transaction is open while it waits;
    reports are filed at the usual speed, and the batch stops after the first timeout.
    """
    url = sqlite_database(tmp_path)
    setup = make_app(url, tmp_path)
    for n in range(5):
        queue(setup, f"buerger{n}@example.org", n=n)
    frozen = FrozenSmtp()
    server = None
    load = Load("", images.phone_jpeg(width=800, height=600))
    try:
        server = Server(
            serve_env(url, tmp_path, frozen.url, SMTP_TIMEOUT=str(SMTP_TIMEOUT)),
            tmp_path / "serve.log",
        )
        load.base_url = server.url
        load.start()
        # The runner sends from the start (before: only a minute after the first report).
        assert frozen.connected.wait(timeout=90), "nobody tried to send the due mails"
        hang_began = time.monotonic()
        assert frozen.closed.wait(timeout=SMTP_TIMEOUT + 30), "the sender never gave up"
        hang_ended = time.monotonic()
        wait_until(
            lambda: len([a for a in load.since(hang_ended) if a.kind == "intake"]) >= 4,
            timeout=30,
            what="reports after the hang",
        )
    finally:
        load.stop()
        if server is not None:
            server.close()
        frozen.close()

    during = [a for a in load.answers if hang_began <= a.started < hang_ended]
    intake = [a for a in during if a.kind == "intake"]
    bad = [a for a in load.answers if not a.ok]
    assert bad == [], f"{len(bad)} failed answers, e.g. {bad[:3]}\n{server.tail()}"
    assert len(intake) >= 10
    assert max(a.seconds for a in during) < INTAKE_BOUND
    assert hang_ended - hang_began >= SMTP_TIMEOUT - 2  # the timeout setting is used
    engine = create_engine(url)
    with Session(engine) as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    engine.dispose()
    # One mail waited out the timeout; the others wait for the next run instead of 5 x 20 s.
    assert [r.attempts for r in rows] == [1, 0, 0, 0, 0]
    assert "timed out" in rows[0].last_error and rows[0].status == "pending"
    print(
        f"\n[frozen SMTP, SQLite] the sender waited {hang_ended - hang_began:.1f} s; meanwhile "
        f"{len(intake)} reports filed (all 201), slowest answer "
        f"{max(a.seconds for a in during):.2f} s; {len(load.answers)} requests in all, "
        f"{len(bad)} failed; connections to the mail server: {frozen.connections}"
    )


# -- 4 and 5: a refusing mail server, the rq worker, no address in its log ---------------------


def test_a_refused_mail_fails_at_once_shows_on_its_ticket_and_no_address_is_logged(
    pg_url, private_redis, tmp_path
):
    """550 for one recipient, 451 for another, a third accepted; the real rq worker sends.

    Before: the 550 was retried with the backoff for about two hours, then `failed` showed
    only in the outbox table; the worker's log and `last_error` held
    `SMTPRecipientsRefused: {'Erika.Muster@Example.org': …}`.
    """
    clock = Clock(datetime.now(UTC))
    app = make_app(pg_url, tmp_path, CLOCK=clock)
    client = app.test_client()
    reports = {
        to: file_ticket(client, email=to)["report"]["public_id"] for to in (GONE, GREYLISTED, FINE)
    }
    with app.app_context():
        ids = dict(db.session.execute(select(Report.public_id, Report.id)).all())
        db.session.remove()
    for n, (to, public_id) in enumerate(reports.items()):
        queue(app, to, ids[public_id], n)

    handler = RefusingSmtp(refuse={GONE.lower(): 550, GREYLISTED.lower(): 451})
    engine = create_engine(pg_url)

    def outbox() -> dict[str, OutboxMessage]:
        with Session(engine) as session:
            return {m.recipient: m for m in session.scalars(select(OutboxMessage))}

    with smtp_server(handler) as smtp_url:
        env = app_env(
            DATABASE_URL=pg_url,
            REDIS_URL=private_redis.url(),
            SMTP_URL=smtp_url,
            SECRET_KEY="fault-test",
            INSTANCE_PATH=str(tmp_path / "instance"),
            MEDIA_DIR=str(tmp_path / "media"),
        )
        worker = Worker(env, tmp_path / "worker.log")
        try:
            worker.start()
            wait_until(
                lambda: (
                    [outbox()[to].status for to in (GONE, GREYLISTED, FINE)]
                    == ["failed", "pending", "sent"]
                    and outbox()[GREYLISTED].attempts == 1
                ),
                timeout=60,
                what=f"the worker to send\n{worker.tail()}",
            )
        finally:
            worker.kill()
    rows = outbox()
    engine.dispose()
    assert rows[GONE].attempts == 1 and rows[GONE].failed_at is not None
    assert rows[GREYLISTED].next_attempt_at > rows[GREYLISTED].created_at + timedelta(seconds=50)
    log = (tmp_path / "worker.log").read_text(errors="replace")
    assert "refused for good" in log and "not sent (attempt 1)" in log  # our lines are there
    stored = " ".join(r.last_error or "" for r in rows.values())
    for address in (GONE, GREYLISTED, FINE):
        for local in {address.split("@")[0], address.split("@")[0].lower()}:
            assert local not in log, f"{local} in the worker's log"
            assert local not in stored, f"{local} in last_error"

    # Staff see it on the ticket, admins in their list, and an admin sends it again.
    staff = Staff(app, clock)
    admin = {"Authorization": "Bearer " + staff.token("admin")}
    ticket = client.get(f"/api/v1/tickets/{reports[GONE]}", headers=admin).json
    [failure] = ticket["mail_failures"]
    assert (failure["to"], failure["kind"]) == ("reporter", "acknowledged")
    assert failure["error"].startswith("recipient refused: 550 5.1.1 <<address>>")
    assert (
        client.get(f"/api/v1/tickets/{reports[GREYLISTED]}", headers=admin).json["mail_failures"]
        == []
    )
    listed = client.get("/api/v1/admin/mails/failed", headers=admin).json["items"]
    assert [(i["report"], i["to"]) for i in listed] == [(reports[GONE], "reporter")]
    retried = client.post(f"/api/v1/admin/mails/{listed[0]['id']}/retry", headers=admin)
    assert retried.status_code == 200 and retried.json["status"] == "pending"
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    print(
        f"\n[refusing SMTP, rq worker] 550: failed after {rows[GONE].attempts} attempt; 451: "
        f"retry at +{(rows[GREYLISTED].next_attempt_at - rows[GREYLISTED].created_at).seconds} "
        f"s; accepted: sent; addresses in the worker's log ({len(log.splitlines())} lines) "
        "and in last_error: 0"
    )


# -- 3: a restarted server without Redis and without requests ----------------------------------


def test_without_redis_a_started_server_runs_the_schedule_before_any_request(pg_url, tmp_path):
    """Only /healthz is asked. Due mails go out, a breached ticket is escalated once and the
    retention runs, by the runner threads of two gunicorn workers, each job by one of them.

    Before: the runner thread started when a request first queued a job, so nothing of this
    happened until the next report; and the first retention ran 24 hours after it started.
    """
    app = make_app(pg_url, tmp_path)
    client = app.test_client()
    recurring = len(jobs.schedule(app))  # each recurring job gets its row when first looked at
    now = datetime.now(UTC)
    breached = file_ticket(client, email="wartend@example.org")["report"]["public_id"]
    done = file_ticket(client, email="alt@example.org")["report"]["public_id"]
    waiting = queue(app, "wartet@example.org")
    with app.app_context():
        db.session.execute(
            text(
                "UPDATE reports SET deadline = :past, at_risk_at = :past, created_at = :long "
                "WHERE public_id = :id"
            ),
            {"past": now - timedelta(hours=1), "long": now - timedelta(days=3), "id": breached},
        )
        db.session.execute(
            text(
                "UPDATE reports SET status = 'closed', closed_at = :old, updated_at = :old "
                "WHERE public_id = :id"
            ),
            {"old": now - timedelta(days=100), "id": done},
        )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    engine = create_engine(pg_url)

    def state() -> dict:
        with Session(engine) as session:
            events = Counter(
                session.execute(
                    select(Report.public_id, TicketEvent.kind).join(
                        Report, Report.id == TicketEvent.report_id
                    )
                ).all()
            )
            email = session.scalar(select(Report.reporter_email).where(Report.public_id == done))
            runs = session.scalar(text("SELECT count(*) FROM recurring_runs"))
        return {
            "breach_events": events[(breached, "sla_breached")],
            "privacy_events": events[(done, "privacy")],
            "old_address": email,
            "runs": runs,
        }

    handler = HonestSmtp()
    with smtp_server(handler) as smtp_url:
        started = time.monotonic()
        server = Server(serve_env(pg_url, tmp_path, smtp_url), tmp_path / "serve.log")
        try:
            wait_until(
                lambda: (
                    waiting in handler.delivered
                    and state()["breach_events"] == 1
                    and state()["old_address"] is None
                    and state()["runs"] == recurring
                ),
                timeout=60,
                what=f"the schedule to run without a request\n{server.tail()}",
            )
            after = state()
            seconds = time.monotonic() - started
        finally:
            server.close()
    with Session(engine) as session:
        unsent = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status != "sent")
        )
    engine.dispose()
    assert after == {
        "breach_events": 1,
        "privacy_events": 1,
        "old_address": None,
        "runs": recurring,
    }
    assert Counter(handler.delivered)[waiting] == 1
    assert max(Counter(handler.delivered).values()) == 1
    print(
        f"\n[no Redis, no request] within {seconds:.1f} s of starting gunicorn: delivered "
        f"{len(handler.delivered)} mails, the waiting one "
        f"once; breach escalated {after['breach_events']}x, retention ran "
        f"{after['privacy_events']}x; unsent mails left: {unsent}"
    )


# -- 6: erasure of an address typed with other capitals ----------------------------------------


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_erasure_finds_an_address_typed_with_other_unicode_capitals(backend, request, tmp_path):
    """`ÄNNE@example.org` reported, `änne@EXAMPLE.org` asked to be erased (the command line).

    Before: on SQLite nothing was erased (its lower() folds only ASCII), and the summary said
    "0 reports, 0 emails, …" without saying what it had done.
    """
    url = sqlite_database(tmp_path) if backend == "sqlite" else request.getfixturevalue("pg_url")
    app = make_app(url, tmp_path)
    client = app.test_client()
    public_id = file_ticket(client, email="ÄNNE@example.org")["report"]["public_id"]
    with app.app_context():
        db.engine.dispose()
    done = subprocess.run(
        [sys.executable, "-m", "maengelmelder", "privacy", "erase", "änne@EXAMPLE.org"],
        env=app_env(DATABASE_URL=url, SECRET_KEY="fault-test", INSTANCE_PATH=str(tmp_path / "cli")),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:3] == [
        "1 Meldung: Adresse entfernt; 0 Einträge als Unterstützende: entfernt; "
        "0 Mails an die Adresse: gelöscht; 0 Bestätigungen der Adresse: vergessen",
        "1 report: address removed; 0 follower entries: removed; "
        "0 mails to the address: deleted; 0 confirmations of the address: forgotten",
        f"Meldungen / reports: {public_id}",
    ]
    engine = create_engine(url)
    with Session(engine) as session:
        assert session.scalar(select(Report.reporter_email)) is None
    engine.dispose()
