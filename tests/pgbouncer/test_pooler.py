"""MAENGELMELDER_DATABASE_POOLER=pgbouncer: what changes behind PgBouncer in transaction mode.

Two app instances (two hosts) share one PgBouncer whose pool has a single server connection,
so every transaction of both runs on that connection, one after the other, as in a busy
production pool. psycopg prepares a statement on the server after its fifth use on a connection
(until a rollback: reads roll back, so committing writes show it); without the setting the
second host's first prepared statement meets the name the first host's left on that server
connection, and its requests fail. With it, none do. The bound on a request's wait for
the database (DB_TIMEOUT_SECONDS) holds through the pooler as well.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from maengelmelder.app import create_app
from maengelmelder.core.models import Report
from maengelmelder.extensions import db
from tests.conftest import (
    POSTGRES_URL,
    START,
    create_postgres_schema,
    drop_postgres_schema,
)
from tests.pgbouncer import start_pgbouncer
from tests.reports.helpers import report_json

READS = 7  # more than psycopg's prepare_threshold (5)


@pytest.fixture
def pooled(tmp_path: Path) -> Iterator[str]:
    """A schema with the demo city, reached through a PgBouncer with one server connection."""
    from maengelmelder.demo import load_demo

    direct, schema = create_postgres_schema()
    try:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": direct,
                "SECRET_KEY": "x",
                "INSTANCE_PATH": str(tmp_path / "setup"),
            }
        )
        with app.app_context():
            db.create_all()
            load_demo(db.session, now=START)
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        bouncer = start_pgbouncer({schema: schema}, pool_size=1)
        try:
            yield bouncer.url(schema)
        finally:
            bouncer.close()
    finally:
        drop_postgres_schema(schema)


def host(url: str, tmp_path: Path, name: str, pooler: str, **settings):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "DATABASE_POOLER": pooler,
            "SECRET_KEY": "x",
            "INSTANCE_PATH": str(tmp_path / name),
            "FRONTEND_DIR": str(tmp_path / "no-frontend"),
            "INPROCESS_JOBS": False,
            "RATELIMIT_ENABLED": False,
            **settings,
        }
    )


def file_reports(app) -> list[int]:
    """What a citizen gets filing READS reports, one after the other (each commits)."""
    client = app.test_client()
    return [client.post("/api/v1/reports", json=report_json()).status_code for _ in range(READS)]


def stored_reports(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Report))


def dispose(*apps) -> None:
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def test_without_the_setting_the_second_host_fails_on_a_prepared_statement(pooled, tmp_path):
    first, second = (host(pooled, tmp_path, name, pooler="") for name in ("a", "b"))
    try:
        assert file_reports(first) == [201] * READS
        answers = file_reports(second)
        assert 500 in answers
        assert stored_reports(first) == READS + answers.count(201)
    finally:
        dispose(first, second)


def test_with_the_setting_both_hosts_file_through_one_server_connection(pooled, tmp_path):
    first, second = (host(pooled, tmp_path, name, pooler="pgbouncer") for name in ("a", "b"))
    try:
        for _ in range(2):
            assert file_reports(first) == [201] * READS
            assert file_reports(second) == [201] * READS
        assert stored_reports(second) == 4 * READS
    finally:
        dispose(first, second)


def test_a_request_waiting_behind_the_pooler_is_still_bounded(pooled, tmp_path):
    """A lock held elsewhere stalls the request's query: it is answered 503 with Retry-After
    within DB_TIMEOUT_SECONDS, and the next request, once the lock is gone, is served."""
    app = host(pooled, tmp_path, "a", pooler="pgbouncer", DB_TIMEOUT_SECONDS=1.0)
    schema = pooled.rsplit("/", 1)[1]
    locker = sa.create_engine(POSTGRES_URL, poolclass=sa.NullPool)
    try:
        client = app.test_client()
        assert client.get("/api/v1/categories").status_code == 200
        with locker.connect() as conn:
            conn.exec_driver_sql(f"LOCK TABLE {schema}.categories IN ACCESS EXCLUSIVE MODE")
            resp = client.get("/api/v1/categories")
            assert resp.status_code == 503
            assert resp.json["error"]["code"] == "database_unavailable"
            assert resp.headers["Retry-After"]
            conn.rollback()
        assert client.get("/api/v1/categories").status_code == 200
    finally:
        locker.dispose()
        dispose(app)


def test_the_setting_takes_pgbouncer_or_nothing():
    from maengelmelder.config import from_env

    assert from_env({})["DATABASE_POOLER"] == ""
    assert from_env({"MAENGELMELDER_DATABASE_POOLER": " PgBouncer "})["DATABASE_POOLER"] == (
        "pgbouncer"
    )
    with pytest.raises(RuntimeError, match="MAENGELMELDER_DATABASE_POOLER must be empty or"):
        from_env({"MAENGELMELDER_DATABASE_POOLER": "pgpool"})
