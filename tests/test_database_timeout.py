"""A request waits for PostgreSQL at most DB_TIMEOUT_SECONDS per answer; commands wait on.

Here the server is alive but slow (`pg_sleep`); tests/faults/test_postgres_frozen.py freezes a
private server's every process, which no server-side timeout can catch.
"""

from __future__ import annotations

import time

import pytest
from flask import jsonify
from sqlalchemy import text

from maengelmelder.app import create_app
from maengelmelder.extensions import db


@pytest.fixture
def slow_app(database_url, backend, tmp_path):
    if backend != "postgresql":
        pytest.skip("the bound is PostgreSQL's (SQLite waits on its busy timeout)")

    def make(seconds: float):
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": database_url,
                "SECRET_KEY": "x",
                "INSTANCE_PATH": str(tmp_path / "instance"),
                "FRONTEND_DIR": str(tmp_path / "no-frontend"),
                "INPROCESS_JOBS": False,
                "RATELIMIT_ENABLED": False,
                "DB_TIMEOUT_SECONDS": seconds,
            }
        )

        def sleep(seconds: str):
            db.session.execute(text("SELECT pg_sleep(:s)"), {"s": float(seconds)})
            return jsonify({"slept": float(seconds)})

        app.add_url_rule("/api/v1/_sleep/<seconds>", view_func=sleep)
        made.append(app)
        return app

    made = []
    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


def timed_get(client, path):
    started = time.monotonic()
    resp = client.get(path)
    return resp, time.monotonic() - started


def test_a_request_waiting_longer_than_the_timeout_is_answered_503(slow_app):
    app = slow_app(1.0)
    client = app.test_client()
    assert client.get("/api/v1/_sleep/0").status_code == 200  # a pooled connection

    resp, seconds = timed_get(client, "/api/v1/_sleep/3")
    assert resp.status_code == 503, resp.get_data(as_text=True)
    assert resp.json["error"]["code"] == "database_unavailable"
    assert resp.headers["Retry-After"]
    assert 1.0 <= seconds < 2.0

    # The cut connection was dropped; the next request gets a fresh one.
    resp, seconds = timed_get(client, "/api/v1/_sleep/0.5")
    assert resp.status_code == 200 and seconds < 1.0


def test_commands_and_jobs_wait_for_as_long_as_their_work_takes(slow_app):
    app = slow_app(1.0)
    with app.app_context():  # as the CLI, the job runner and the rq worker use the app
        started = time.monotonic()
        db.session.execute(text("SELECT pg_sleep(1.5)"))
        db.session.commit()
        assert time.monotonic() - started >= 1.5


def test_no_bound_with_a_timeout_of_zero(slow_app):
    client = slow_app(0).test_client()
    resp, seconds = timed_get(client, "/api/v1/_sleep/1.5")
    assert resp.status_code == 200 and seconds >= 1.5
