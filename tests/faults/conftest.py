"""Fixtures for the fault tests: private PostgreSQL and Redis servers, a database per test.

The servers are the project's own private instances (see tests/faults/services.py), never the
shared ones. They are torn down in fixture finalizers, also when a test fails while a server
is stopped or frozen. With CI=true a missing binary fails the run instead of skipping it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from maengelmelder.app import create_app
from maengelmelder.extensions import db
from tests.conftest import START, unavailable
from tests.faults.services import PostgresCluster, RedisServer, Unavailable

TEMPLATE = "mm_template"
FAULTS_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Under pytest-xdist (--dist loadgroup) the fault tests share one worker, so one private
    # PostgreSQL cluster is made for them, not one per worker. The hook sees the whole
    # session's items: mark only the ones in this directory.
    for item in items:
        if FAULTS_DIR in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.xdist_group("faults"))


@pytest.fixture(scope="session")
def private_postgres(tmp_path_factory) -> Iterator[PostgresCluster]:
    """A PostgreSQL cluster of our own, with a template database: the schema and the demo city."""
    from maengelmelder.demo import load_demo

    try:
        cluster = PostgresCluster()
    except Unavailable as exc:
        unavailable("a private PostgreSQL", exc)
    try:
        cluster.init()
        cluster.execute(f"CREATE DATABASE {TEMPLATE}")
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": cluster.url(TEMPLATE),
                "SECRET_KEY": "x",
                "INSTANCE_PATH": str(tmp_path_factory.mktemp("template-instance")),
            }
        )
        with app.app_context():
            db.create_all()
            load_demo(db.session, now=START)
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        yield cluster
    finally:
        cluster.close()


@pytest.fixture
def pg_url(private_postgres: PostgresCluster) -> Iterator[str]:
    """A fresh database (schema and demo city) on the private cluster; dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    private_postgres.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    yield private_postgres.url(name)
    # A test may have left the server stopped or frozen: bring it back for the next one.
    private_postgres.resume()
    if not private_postgres.running:
        private_postgres.start()
    private_postgres.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of our own on a free port; stopped afterwards, whatever happened."""
    try:
        server = RedisServer(tmp_path / "redis")
    except Unavailable as exc:
        unavailable("a private Redis", exc)
    try:
        server.start()
        yield server
    finally:
        server.stop()


def app_env(**settings: str) -> dict[str, str]:
    """The environment of an app subprocess: ours, without the caller's MAENGELMELDER_* ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAENGELMELDER_")}
    env.update({f"MAENGELMELDER_{key}": value for key, value in settings.items()})
    return env
