"""PostgreSQL restarts under load: clients get 2xx or a quick 503, never a 500, never half a report.

Real services only: the app under gunicorn (``maengelmelder serve``, 2 workers x 4 threads, as in
production) against a private PostgreSQL cluster started for these tests (restarted, stopped,
frozen; the shared PostgreSQL is never touched), photos in a temporary media directory. Four
client threads file reports with a photo and an ``Idempotency-Key`` and read the public list,
single reports and Open311 requests while the database goes away and comes back.

What a citizen would notice: during the few seconds the database is away, the app answers
"Die Datenbank ist gerade nicht erreichbar ... / The database is unreachable right now ..."
(503 with ``Retry-After``) at once instead of hanging or failing with an internal error; sending
the same report again afterwards files it exactly once. What an operator would notice: the same
gunicorn workers serve again as soon as the database is back; no restart of the app, no report
without its photos, no stray photo files.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session, selectinload

from maengelmelder.app import CONNECT_TIMEOUT, create_app
from maengelmelder.core.models import Report
from maengelmelder.extensions import db
from tests import images
from tests.faults.conftest import app_env
from tests.faults.load import READS, Answer, Load
from tests.faults.services import (
    children,
    free_port,
    start_app_process,
    stop_process,
    wait_until,
)

LOAD_BOUND = 15.0  # seconds: no answer may take longer, restart or not


class Server:
    """`maengelmelder serve` (gunicorn) on a free port; its access and error log in a file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = start_app_process(
            ["serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", "2"],
            env,
            log,
        )
        self.log = log

        def healthy() -> bool:
            assert self.proc.poll() is None, self.tail()
            try:
                return requests.get(self.url + "/healthz", timeout=5).status_code == 200
            except requests.RequestException:
                return False

        try:
            wait_until(healthy, timeout=60, what="gunicorn to serve", every=0.2)
            wait_until(lambda: len(self.workers()) == 2, timeout=30, what="two gunicorn workers")
        except BaseException:
            self.close()
            raise

    def workers(self) -> set[int]:
        return set(children(self.proc.pid))

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def close(self) -> None:
        stop_process(self.proc)


@pytest.fixture
def server(pg_url, tmp_path) -> Server:
    env = app_env(
        DATABASE_URL=pg_url,
        MEDIA_DIR=str(tmp_path / "media"),
        INSTANCE_PATH=str(tmp_path / "instance"),
        SECRET_KEY="fault-test",
        BASE_URL="http://maengel.test",
        FRONTEND_DIR=str(tmp_path / "no-frontend"),
        RATELIMIT_ENABLED="false",  # every client comes from 127.0.0.1
    )
    server = Server(env, tmp_path / "serve.log")
    yield server
    server.close()


def acceptable(answer: Answer) -> bool:
    """2xx, or a 503 with Retry-After that says in German and English what happened."""
    if answer.ok:
        return True
    if answer.status != 503 or not answer.retry_after:
        return False
    if answer.kind == "open311":  # the GeoReport v2 error list
        [error] = answer.body
        return error["code"] == 503 and " / " in error["description"]
    error = answer.body["error"]
    return (error["status"], error["code"], set(error["message"])) == (
        503,
        "database_unavailable",
        {"de", "en"},
    )


def check_storage(pg_url: str, media: Path, filed: dict[str, str]) -> dict[str, int]:
    """Each filed report once, with its photo files; no file without its row. Returns counts.

    A photo's files are those under its `storage_key` and, once its privacy pass ran, the
    unblurred ones under its `original_key`. The server's job threads may still be running
    passes: one writes its new files before the commit that names them and removes the old
    ones after it, so the files are compared with the rows once no pass is midway (a file
    left without its row stays so, and fails the test).
    """
    engine = create_engine(pg_url)

    def snapshot() -> tuple[list[Report], set[str], set[str]]:
        with Session(engine) as session:
            reports = session.scalars(select(Report).options(selectinload(Report.photos))).all()
        expected = set()
        for report in reports:
            for photo in report.photos:
                keys = {photo.storage_key, photo.original_key} - {None}
                expected |= {f"{k}-{kind}.jpg" for k in keys for kind in ("web", "thumb")}
        return reports, expected, {p.name for p in media.rglob("*") if p.is_file()}

    last: list = []

    def settled() -> bool:
        last[:] = snapshot()
        return last[1] == last[2]

    try:
        wait_until(settled, timeout=30, what="the photo files to match their rows", every=0.2)
    except TimeoutError:
        pass  # the asserts below say what is wrong
    finally:
        engine.dispose()
    reports, expected, on_disk = last
    by_key = Counter(r.idempotency_key for r in reports)
    assert [k for k, n in by_key.items() if n > 1] == []
    public_ids = {r.idempotency_key: r.public_id for r in reports}
    assert {k: public_ids.get(k) for k in filed} == filed  # every 201 is the stored report
    for report in reports:
        assert len(report.photos) == 1, f"{report.public_id} lost its photo row"
    assert expected - on_disk == set(), "reports without their photo files"
    assert on_disk - expected == set(), "photo files without their report (orphans)"
    passes = Counter(p.privacy_state for r in reports for p in r.photos)
    return {"reports": len(reports), "files": len(on_disk), "passes_done": passes["done"]}


def run_outage(load: Load, outage) -> tuple[float, float]:
    """Run `outage()` under load; returns when it started and when the database was back."""
    wait_until(lambda: len(load.since(0)) >= 40, timeout=60, what="load before the outage")
    began = time.monotonic()
    outage()
    return began, time.monotonic()


def met_outage(load: Load, since: float, times: int = 5) -> bool:
    """Each kind of request has been answered 503 `times` times since `since`."""
    unavailable = Counter(a.kind for a in load.since(since) if a.status == 503)
    return all(unavailable[kind] >= times for kind in (*READS, "intake"))


def recovered(load: Load, back: float) -> bool:
    """Every kind of request succeeded after the database was back, and 40 requests in all."""
    after = [a for a in load.since(back) if a.ok]
    return len(after) >= 40 and {a.kind for a in after} == {"intake", "list", "report", "open311"}


@pytest.mark.parametrize("variant", ["restart", "stop-pause-start"])
def test_database_restart_under_load(variant, server, private_postgres, pg_url, tmp_path):
    """`restart`: pg_ctl restart -m fast (every session ended, back within a second or two).
    `stop-pause-start`: pg_ctl stop -m fast; the database stays away until each kind of request
    has been answered 503 five times; then pg_ctl start.
    """
    workers_before = server.workers()
    load = Load(server.url, images.phone_jpeg(width=800, height=600))
    load.start()
    try:
        if variant == "restart":
            began, back = run_outage(load, private_postgres.restart)
        else:

            def stop_pause_start() -> None:
                private_postgres.stop()
                stopped = time.monotonic()
                wait_until(
                    lambda: met_outage(load, stopped),
                    timeout=30,
                    what="every kind of request to meet the stopped database",
                )
                private_postgres.start()

            began, back = run_outage(load, stop_pause_start)
        wait_until(lambda: recovered(load, back), timeout=60, what="requests to succeed again")
        first_ok = min(a.started + a.seconds for a in load.since(back) if a.ok)
    finally:
        load.stop()

    bad = [a for a in load.answers if not acceptable(a)]
    assert bad == [], f"{len(bad)} bad answers, e.g. {bad[:3]}\n{server.tail()}"
    assert max(a.seconds for a in load.answers) < LOAD_BOUND
    assert server.workers() == workers_before, "the app recovered without a restart"

    # A citizen whose report got a 503 sends it again: the citizen app keeps it with its key.
    unanswered = {a.key for a in load.answers if a.kind == "intake"} - {
        a.key for a in load.answers if a.kind == "intake" and a.ok
    }
    with requests.Session() as session:
        retried = [load.file(session, key) for key in sorted(unanswered)]
    assert all(a.status == 201 for a in retried), retried
    filed = {a.key: a.public_id for a in load.answers if a.kind == "intake" and a.ok}
    stored = check_storage(pg_url, tmp_path / "media", filed)

    during = [a for a in load.answers if a.started >= began - 1 and a.started < back + 1]
    unavailable = Counter(a.kind for a in load.answers if a.status == 503)
    # A retry answered with the first report: its 503 came after the report was stored.
    replayed = sum(a.replayed for a in retried)
    print(
        f"\n[{variant}] {len(load.answers)} requests, {sum(unavailable.values())} answered 503 "
        f"({dict(unavailable)}), none 500; database away {back - began:.1f} s, first success "
        f"{max(first_ok - back, 0):.2f} s after it was back; slowest answer "
        f"{max(a.seconds for a in load.answers):.2f} s (around the outage: "
        f"{max((a.seconds for a in during), default=0):.2f} s); {len(retried)} retried keys "
        f"filed once each ({replayed} of them had been stored before their 503); stored: {stored}; "
        f"duplicates: 0"
    )


def test_a_frozen_database_server_is_answered_503_within_the_connect_timeout(
    private_postgres, pg_url, tmp_path
):
    """The database host stops answering (frozen, or a network that drops packets): a request
    that needs a new connection waits at most the connect timeout, then answers 503 with
    Retry-After; /healthz says so too; once the server answers again, so does the app.
    Without a connect timeout the request would wait as long as the server stays frozen.
    """
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": pg_url,
            "SECRET_KEY": "fault-test",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "MEDIA_DIR": str(tmp_path / "media"),
            "FRONTEND_DIR": str(tmp_path / "no-frontend"),
            "RATELIMIT_ENABLED": False,
            "INPROCESS_JOBS": False,
        }
    )
    client = app.test_client()
    answers: dict[str, tuple[int, str | None, float]] = {}

    def ask() -> None:
        for path in ("/api/v1/reports", "/healthz"):
            started = time.monotonic()
            resp = client.get(path)
            answers[path] = (
                resp.status_code,
                resp.headers.get("Retry-After"),
                time.monotonic() - started,
            )

    private_postgres.pause()  # new connections are accepted by the kernel, never answered
    try:
        asking = threading.Thread(target=ask, daemon=True)
        asking.start()
        asking.join(timeout=2 * (CONNECT_TIMEOUT + 10))
        assert not asking.is_alive(), "a request waits for the frozen database"
    finally:
        private_postgres.resume()

    bound = CONNECT_TIMEOUT + 2
    assert {path: (status, bool(retry)) for path, (status, retry, _) in answers.items()} == {
        "/api/v1/reports": (503, True),
        "/healthz": (503, True),
    }
    assert all(seconds < bound for _, _, seconds in answers.values()), answers
    assert client.get("/api/v1/reports").status_code == 200
    with app.app_context():
        db.engine.dispose()
    print(
        "\n[frozen] answered 503 after "
        + ", ".join(f"{path} {seconds:.1f} s" for path, (_, _, seconds) in answers.items())
    )
