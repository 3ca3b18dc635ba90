"""Fixtures: an app per test on SQLite and on the real PostgreSQL, a client, a clock, factories.

Every database test runs twice, once per backend. PostgreSQL tests use a schema of their own in
the `test` database, so parallel runs on one machine don't meet. With CI=true an unreachable
PostgreSQL fails the run instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import sqlalchemy as sa

from maengelmelder.app import create_app
from maengelmelder.extensions import db
from tests.media.seaweed import media_place, media_settings, s3_server  # noqa: F401

POSTGRES_URL = os.environ.get(
    "MAENGELMELDER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() == "true"
START = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
TEST_SESSION_MINUTES = 60 * 24 * 400  # longer than any test moves its clock


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def unavailable(what: str, exc: Exception) -> None:
    """Fail in CI, skip elsewhere, when a real service the tests need is not there."""
    message = f"{what} is not reachable: {exc}"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def postgres_schema_url(schema: str) -> str:
    sep = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"


def _admin_engine() -> sa.Engine:
    return sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)


def create_postgres_schema() -> tuple[str, str]:
    """A fresh schema in the PostgreSQL test database; returns its URL and its name."""
    schema = f"mm_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine()
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    except sa.exc.OperationalError as exc:
        unavailable("PostgreSQL at " + POSTGRES_URL, exc)
    finally:
        admin.dispose()
    return postgres_schema_url(schema), schema


def drop_postgres_schema(schema: str) -> None:
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    admin.dispose()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Database tests run on SQLite and PostgreSQL; those marked `pgbouncer` (or in a module
    tests/pgbouncer/__init__.py lists) also on PostgreSQL through a PgBouncer in transaction
    mode, which the `app` fixture reaches with DATABASE_POOLER=pgbouncer."""
    if "database_url" not in metafunc.fixturenames:
        return
    from tests.pgbouncer import runs_through_pgbouncer

    backends = ["sqlite", "postgresql"]
    if runs_through_pgbouncer(metafunc.definition):
        backends.append("pgbouncer")
    metafunc.parametrize("database_url", backends, indirect=True, scope="session")


# The URLs of the `database_url` fixture that lead through a PgBouncer.
POOLED_URLS: set[str] = set()


@pytest.fixture(scope="session")
def database_url(request, tmp_path_factory) -> Iterator[str]:
    """One database per backend for the whole run, with the models' schema."""
    schema = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
    else:
        url, schema = create_postgres_schema()
    instance = str(tmp_path_factory.mktemp("instance"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "INSTANCE_PATH": instance})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    if request.param == "pgbouncer":
        from tests.pgbouncer import start_pgbouncer

        try:
            bouncer = start_pgbouncer({schema: schema})
        except BaseException:
            drop_postgres_schema(schema)
            raise
        url = bouncer.url(schema)
        POOLED_URLS.add(url)
    yield url
    if schema is not None:
        if request.param == "pgbouncer":
            bouncer.close()  # its server connections first: they hold the schema
        drop_postgres_schema(schema)


@pytest.fixture
def backend(database_url: str) -> str:
    return "postgresql" if database_url.startswith("postgresql") else "sqlite"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def media_backend() -> str:
    """The photo storage of the `app` fixture: "local", or per test both (tests/media)."""
    return "local"


@pytest.fixture
def media_dir(request, media_backend: str, tmp_path: Path):
    """Where the test's app keeps photos: a folder, or with media_backend "s3" a prefix of its
    own in a bucket of a private SeaweedFS (tests/media)."""
    return media_place(request, media_backend, tmp_path)


@pytest.fixture
def app(database_url: str, clock: Clock, media_dir: Path, tmp_path: Path):
    """An app on a clean database with the demo city loaded."""
    from maengelmelder.demo import load_demo

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "DATABASE_POOLER": "pgbouncer" if database_url in POOLED_URLS else "",
            **media_settings(media_dir),
            "SECRET_KEY": "test-secret",
            "CLOCK": clock,
            "BASE_URL": "http://maengel.test",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            # Cheap hashes keep account tests fast; production uses Werkzeug's scrypt default.
            "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
            # Tests call job functions directly; no background thread races them.
            "INPROCESS_JOBS": False,
            # API and page tests run without the built citizen app; the browser tests set it.
            "FRONTEND_DIR": str(tmp_path / "no-frontend"),
            # The rate-limit tests switch this on; others file many reports quickly.
            "RATELIMIT_ENABLED": False,
            # Tests move the clock by days with staff logged in; the session tests put the
            # production lifetimes back (tests/accounts/test_sessions.py).
            "SESSION_IDLE_MINUTES": TEST_SESSION_MINUTES,
            "PERMANENT_SESSION_LIFETIME": TEST_SESSION_MINUTES * 60,
        }
    )
    with app.app_context():
        load_demo(db.session, now=clock())
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        _empty_all_tables()
        db.engine.dispose()


# Restarts the sequences the tables own (serial and identity columns) in the connection's
# schema, the ones TRUNCATE ... RESTART IDENTITY restarts: their next value is their start.
RESTART_OWNED_SEQUENCES = """
SELECT setval(s.oid, q.seqstart, false) FROM pg_class s
JOIN pg_sequence q ON q.seqrelid = s.oid
JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid
    AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
WHERE s.relkind = 'S' AND s.relnamespace = current_schema()::regnamespace
"""


def _empty_all_tables() -> None:
    """Every table emptied, children first, and on PostgreSQL the tables' sequences restarted.

    DELETE rather than TRUNCATE: the tables hold a few hundred rows, and TRUNCATE, which
    gives each table a new file, costs PostgreSQL several times as long for that.
    """
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as conn:
        for table in tables:
            conn.execute(table.delete())
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(RESTART_OWNED_SEQUENCES)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def session(app):
    """The app's database session inside an app context."""
    with app.app_context():
        yield db.session


def worker_redis_url(url: str) -> str:
    """Under pytest-xdist, worker gwN uses the Redis database N below the given one (so with
    the default 15: 15, 14, ...); without xdist, the given one."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return url
    parts = urlsplit(url)
    number = int(parts.path.lstrip("/") or 0) - int(worker[2:])
    if number < 0:
        raise pytest.UsageError(f"too many test workers for the Redis databases below {url}")
    return urlunsplit(parts._replace(path=f"/{number}"))


REDIS_URL = worker_redis_url(
    os.environ.get("MAENGELMELDER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
)


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The real Redis (database 15, one below per xdist worker, emptied before use); fails in CI
    when it is not there."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        unavailable("Redis at " + REDIS_URL, exc)
    client.flushdb()
    client.close()
    return REDIS_URL


PASSWORD = "correct horse battery staple"


class Staff:
    """Creates staff accounts and API tokens, and logs clients in."""

    def __init__(self, app, clock: Clock) -> None:
        self.app, self.clock = app, clock

    def user(self, role: str, *departments: str, citywide: bool = False, email: str | None = None):
        from maengelmelder.accounts.service import create_user

        with self.app.app_context():
            user = create_user(
                db.session,
                email=email or f"{role}-{uuid.uuid4().hex[:8]}@stadt.example",
                name=f"{role.title()} {' '.join(departments)}".strip(),
                role=role,
                password=PASSWORD,
                departments=departments,
                citywide=citywide,
                now=self.clock(),
                hash_method=self.app.config["PASSWORD_HASH_METHOD"],
            )
            db.session.commit()
            return user.id, user.email

    def token(self, role: str, *departments: str, citywide: bool = False) -> str:
        from maengelmelder.accounts.service import create_token

        with self.app.app_context():
            _, plaintext = create_token(
                db.session,
                name=f"{role} token",
                role=role,
                departments=departments,
                citywide=citywide,
                now=self.clock(),
            )
            db.session.commit()
            return plaintext

    def client(self, role: str, *departments: str, citywide: bool = False):
        """A test client logged in as a new user; its CSRF header is sent on every call."""
        _, email = self.user(role, *departments, citywide=citywide)
        client = self.app.test_client()
        resp = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert resp.status_code == 200, resp.json
        client.environ_base["HTTP_X_CSRF_TOKEN"] = resp.json["csrf_token"]
        client.user_id = resp.json["user"]["id"]
        client.user_name = resp.json["user"]["name"]
        return client


@pytest.fixture
def staff(app, clock) -> Staff:
    return Staff(app, clock)


@pytest.fixture
def admin_headers(staff) -> dict[str, str]:
    return {"Authorization": "Bearer " + staff.token("admin")}


@pytest.fixture(scope="session")
def browser(e2e_requirements):
    """One Chromium for the whole run, here so every directory's browser tests share it.

    Playwright's sync API refuses a second instance while one is running, and a session
    fixture imported into two conftest files would be set up once per file.
    """
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request, tmp_path) -> Iterator[str]:
    """A database without tables, per test and backend, for tests that run the migrations."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.db'}"
        return
    url, schema = create_postgres_schema()
    try:
        yield url
    finally:
        drop_postgres_schema(schema)


def migration_app(url: str, tmp_path: Path, clock: Clock):
    """An app on `url` configured as the `app` fixture's, but with no schema created."""
    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "x",
            "CLOCK": clock,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "MEDIA_DIR": str(tmp_path / "media"),
            "INPROCESS_JOBS": False,
            "RATELIMIT_ENABLED": False,
            "FRONTEND_DIR": str(tmp_path / "no-frontend"),
        }
    )
