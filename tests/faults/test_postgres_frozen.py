"""Every PostgreSQL process frozen: requests answer 503 within the timeout instead of hanging.

Real services only: the app under gunicorn (``maengelmelder serve``, 2 workers x 4 threads)
against a private PostgreSQL cluster, all of whose processes — the postmaster and every
backend serving the app's pooled connections — are stopped with SIGSTOP, as a server that
is swapped out, stuck on a dead disk or paused by its hypervisor. The server's kernel still
accepts connections and acknowledges every byte, so no TCP timeout fires; only the app's own
bound (``MAENGELMELDER_DB_TIMEOUT_SECONDS``, 5 s) ends the wait.

What a citizen would notice: the list, a report and a report being filed are answered
"Die Datenbank ist gerade nicht erreichbar ... / The database is unreachable right now ..."
(503 with ``Retry-After``) within a few seconds; before, they waited as long as the server
stayed frozen (60 s in the report of the fault) and ``/healthz`` said 200 at the end. What an
operator would notice: ``/healthz`` answers 503 within the same bound; after SIGCONT the
same gunicorn workers serve again, and the report sent again with its key is filed once,
with its photo.
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import requests
from sqlalchemy import create_engine, event, func, select

from maengelmelder import config
from maengelmelder.app import create_app
from maengelmelder.core.models import Photo
from maengelmelder.extensions import db
from tests import images
from tests.faults.conftest import app_env
from tests.faults.load import Answer, Load
from tests.faults.services import wait_until
from tests.faults.test_postgres_restart import Server, acceptable, check_storage
from tests.reports.helpers import media_files, post_multipart, report_json

TIMEOUT = config.from_env({})["DB_TIMEOUT_SECONDS"]
# The bound plus what the answer itself takes on a busy two-core machine.
ANSWER_BOUND = TIMEOUT + 3
# How long the clients wait for an answer; today's code would wait for the thaw.
CLIENT_PATIENCE = 45.0


@pytest.fixture
def server(pg_url, tmp_path):
    env = app_env(
        DATABASE_URL=pg_url,
        MEDIA_DIR=str(tmp_path / "media"),
        INSTANCE_PATH=str(tmp_path / "instance"),
        SECRET_KEY="fault-test",
        BASE_URL="http://maengel.test",
        FRONTEND_DIR=str(tmp_path / "no-frontend"),
        RATELIMIT_ENABLED="false",
    )
    server = Server(env, tmp_path / "serve.log")
    yield server
    server.close()


def ask_all(load: Load, keys: list[str]) -> dict[str, Answer]:
    """A list, a report, an Open311 list, `/healthz` and one filing per key, all at once,
    each on a connection of its own (so both workers take some)."""
    known = load.public_ids()[0]
    calls = {
        "list": lambda s: load.read(s, "list", None),
        "report": lambda s: load._call(s, "report", "GET", f"/api/v1/reports/{known}"),
        "open311": lambda s: load.read(s, "open311", None),
        "healthz": lambda s: load._call(s, "healthz", "GET", "/healthz"),
    }
    for n, key in enumerate(keys):
        calls[f"intake-{n}"] = lambda s, key=key: load.file(s, key)
    answers: dict[str, Answer] = {}

    def call(name: str) -> None:
        with requests.Session() as session:
            answers[name] = calls[name](session)

    threads = [threading.Thread(target=call, args=(name,), daemon=True) for name in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(CLIENT_PATIENCE + 5)
    assert not any(t.is_alive() for t in threads), "a client hangs"
    return answers


def unavailable(name: str, answer: Answer) -> bool:
    if name == "healthz":
        return (
            answer.status == 503
            and bool(answer.retry_after)
            and answer.body["checks"]["database"] == "unavailable"
        )
    return answer.status == 503 and acceptable(answer)


def test_a_frozen_database_is_answered_503_within_the_timeout_and_the_app_recovers(
    server, private_postgres, pg_url, tmp_path
):
    workers = server.workers()
    load = Load(server.url, images.phone_jpeg(width=800, height=600), timeout=CLIENT_PATIENCE)
    # Both workers hold pooled connections (each backend will be frozen with its server).
    for _ in range(6):
        with requests.Session() as session:
            assert load.file(session, str(uuid.uuid4())).status == 201
            assert load.read(session, "list", None).status == 200
    assert requests.get(server.url + "/healthz", timeout=10).status_code == 200
    # Their photos' privacy passes ran (the workers' job threads): the rounds below measure
    # the answers to a frozen database, not answers waiting for a core busy with a pass.
    engine = create_engine(pg_url)

    def passes_ran() -> bool:
        with engine.connect() as conn:
            pending = select(func.count()).where(Photo.privacy_state == "pending")
            return conn.scalar(pending) == 0

    try:
        wait_until(passes_ran, timeout=60, what="the privacy passes of the first reports")
    finally:
        engine.dispose()

    keys = [str(uuid.uuid4()) for _ in range(4)]
    private_postgres.freeze()
    frozen_at = time.monotonic()
    try:
        # The first round meets the pooled connections, the second new ones (the pool was
        # renewed after the first timeout), which meet the frozen postmaster.
        first = ask_all(load, keys[:2])
        second = ask_all(load, keys[2:])
        frozen_for = time.monotonic() - frozen_at
    finally:
        private_postgres.resume()
    thawed = time.monotonic()

    for answers in (first, second):
        wrong = {n: (a.status, a.problem) for n, a in answers.items() if not unavailable(n, a)}
        assert wrong == {}, server.tail()
        slow = {n: round(a.seconds, 1) for n, a in answers.items() if a.seconds > ANSWER_BOUND}
        assert slow == {}, f"answered later than {ANSWER_BOUND:g} s"

    # Back without a restart: the same workers answer, and every kind of request succeeds.
    def serving() -> bool:
        with requests.Session() as session:
            return load.read(session, "list", None).ok

    wait_until(serving, timeout=30, what="the list to be served again", every=0.2)
    recovered = time.monotonic() - thawed
    with requests.Session() as session:
        retried = [load.file(session, key) for key in keys]  # the citizen app sends them again
        assert load.read(session, "open311", None).ok
    assert [a.status for a in retried] == [201] * len(keys)
    assert requests.get(server.url + "/healthz", timeout=10).status_code == 200
    assert server.workers() == workers, "the app recovered without a restart"
    filed = {a.key: a.public_id for a in load.answers if a.kind == "intake" and a.ok}
    stored = check_storage(pg_url, tmp_path / "media", filed)

    def seconds(answers: dict[str, Answer]) -> str:
        return ", ".join(f"{n} {a.seconds:.1f}" for n, a in sorted(answers.items()))

    print(
        f"\n[frozen {frozen_for:.0f} s] 503 with Retry-After after (s): first round "
        f"{seconds(first)}; second round {seconds(second)}; served again {recovered:.1f} s "
        f"after the thaw by the same workers; retried reports filed once each; stored: {stored}"
    )


def test_a_report_whose_commit_met_the_frozen_database_keeps_its_photo(
    private_postgres, pg_url, tmp_path
):
    """The server freezes after the report's rows were sent and before its COMMIT is answered:
    the request answers 503 after the timeout, not knowing whether the report was stored.
    The server thaws and carries out the COMMIT it had received. The report must then have
    its photo files, and the citizen app's retry with the same key answers with it."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": pg_url,
            "SECRET_KEY": "fault-test",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "MEDIA_DIR": str(tmp_path / "media"),
            "FRONTEND_DIR": str(tmp_path / "no-frontend"),
            "RATELIMIT_ENABLED": False,
            "INPROCESS_JOBS": False,
            "MIN_FILL_SECONDS": 0,
        }
    )
    client = app.test_client()
    photo = images.phone_jpeg(width=800, height=600)
    assert post_multipart(client, report_json(), [photo]).status_code == 201
    with app.app_context():
        engine = db.engine

    armed = [True]

    def freeze_before_commit(conn) -> None:
        if armed:
            armed.clear()
            private_postgres.freeze()

    event.listen(engine, "commit", freeze_before_commit)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    started = time.monotonic()
    try:
        resp = post_multipart(client, report_json(), [photo], headers=key)
        seconds = time.monotonic() - started
    finally:
        private_postgres.resume()
        event.remove(engine, "commit", freeze_before_commit)
    assert resp.status_code == 503 and resp.headers["Retry-After"], resp.json
    assert seconds < ANSWER_BOUND

    again = post_multipart(client, report_json(), [photo], headers=key)
    assert again.status_code == 201, again.json
    [stored] = again.json["report"]["photos"]
    for url in (stored["url"], stored["thumbnail_url"]):
        assert client.get(url).status_code == 200, url
    files = media_files(tmp_path / "media")
    with app.app_context():
        db.engine.dispose()
    replayed = again.headers.get("Idempotent-Replayed") == "true"
    print(
        f"\n[frozen at commit] 503 after {seconds:.1f} s; the retry answered with "
        f"{'the report the thawed server had committed' if replayed else 'a new report'}; "
        f"{len(files)} photo files"
    )
