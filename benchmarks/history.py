"""Benchmark the read endpoints with years of history: a small database against a large one.

Targets (issue "Years of history"): every endpoint whose answer size is bounded answers in at
most twice the time with 1,000,000 reports as with 10,000 (ratio <= 2), and in under 200 ms
with 1,000,000 reports on PostgreSQL; on SQLite, the same endpoints answer in under 500 ms with
100,000 reports.

What runs, all on this machine, on loopback:

* databases filled by the project's own commands: ``maengelmelder db upgrade``, ``demo load``,
  ``demo history --reports N --seed S --years Y``, and three staff accounts (``users create``:
  crew of ``tiefbau``, a citywide supervisor, an admin). On PostgreSQL each is then
  ``VACUUM ANALYZE``d, as autovacuum would have done over the years; SQLite gets nothing (the
  app runs no ANALYZE). Both histories come from a city of the same size, 100,000 reports a
  year (``--rate``): a million reports are ten years of history, ten thousand about five
  weeks, and both have about as many open tickets, so the lists of them give answers of the
  same size. ``--years 1`` puts both sizes into the same year instead (a city a hundred times
  busier, a hundred times as many open tickets). Building a million reports takes minutes, so
  the built databases are **kept** and used again: PostgreSQL databases
  ``mm_history_<reports>_s<seed>_y<years>_<schema>`` and SQLite files of the same names in
  ``instance/bench-history/``, where ``<schema>`` is the newest migration. A database is built
  under another name and renamed only when complete. ``--rebuild`` builds them again (do so
  after ``demo history`` changed, and when the run says a database is over a week old: a
  history ends on the day it was written, so the lists of recent days thin out);
  ``--drop-cached`` drops every one of them and stops;
* ``maengelmelder serve --workers 1`` (gunicorn, the command's default threads) for each
  database, both running at once, with background jobs off (no Redis, no in-process runner:
  this measures reads, and the kept databases stay as they were built, but for the staff's
  login sessions);
* a plain ``http.client`` client, one keep-alive connection per server and user. Staff
  endpoints are called with the session cookie of a login, as the staff app does.

Every endpoint is warmed up, then requested alternately on the small and the large database
(so a machine that slows down hits both alike), 15 times each (``--reps``), fewer when one
side has spent ``--budget`` seconds. Reports are read by id from a sample spread over the
whole history (different ids per request), lists from their start and from a cursor in the
middle of the history. Printed per endpoint: median (and p90) of the time to the end of the
answer, the median time to first byte, answer bytes, the ratio large/small of the medians,
and whether the target is met. The open data downloads' default page (25,000 reports,
streamed) is judged by its time to first byte; their pages of 1,000 by the whole answer.
Endpoints whose answer grows with the history or the number of open reports (the staff
queue's CSV download, nearby reports, Open311's default 90-day list, lists without pages)
are printed too, marked ``grows``, without a target. A benchmark reports: missed targets are
printed as MISSED and the exit code is still 0; it is 1 only when the run itself broke.

    .venv/bin/python benchmarks/history.py           # PostgreSQL 10,000 vs 1,000,000, then
                                                     # SQLite 10,000 vs 100,000
    .venv/bin/python benchmarks/history.py --quick   # 2,000 vs 50,000 (SQLite 2,000 vs 20,000)
    .venv/bin/python benchmarks/history.py --backend sqlite

PostgreSQL: ``MAENGELMELDER_TEST_POSTGRES_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``; the server on which the benchmark's
databases are created).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from maengelmelder import paging  # noqa: E402
from maengelmelder.core import states  # noqa: E402
from maengelmelder.core.catalog import Category, Department  # noqa: E402
from maengelmelder.core.models import Report, publicly_listed  # noqa: E402
from maengelmelder.opendata.routes import CURSOR_TAG as EXPORT_TAG  # noqa: E402

POSTGRES_URL = os.environ.get(
    "MAENGELMELDER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SQLITE_DIR = ROOT / "instance" / "bench-history"
PREFIX = "mm_history_"
CLI = [sys.executable, "-m", "maengelmelder"]

SIZES = {  # (small, large) reports per backend
    ("postgres", False): (10_000, 1_000_000),
    ("postgres", True): (2_000, 50_000),
    ("sqlite", False): (10_000, 100_000),
    ("sqlite", True): (2_000, 20_000),
}
TARGET_MS = {"postgres": 200.0, "sqlite": 500.0}
# A big city's reports a year: a million reports are ten years of history, ten thousand about
# five weeks, so both have about as many open tickets and the lists of them fill alike.
RATE = 100_000
MAX_YEARS = 50  # what demo history accepts
STALE_DAYS = 7  # a kept database older than this has no reports of the last days
RATIO_TARGET = 2.0
SAMPLE = 20  # reports read by id, spread over the history
PASSWORD = "history-benchmark-password"
STAFF = {
    "crew": ["--role", "crew", "--department", "tiefbau"],
    "supervisor": ["--role", "supervisor", "--citywide"],
    "admin": ["--role", "admin"],
}
# The demo city's bounding box (lon/lat, maengelmelder/demo/boundary.geojson) and a viewport
# of about a fifth of it around the centre (a district on a tablet).
CITY_BBOX = "8.715,50.08036,8.815,50.11964"
VIEWPORT_BBOX = "8.745,50.09,8.785,50.11"
OPEN = ",".join(sorted(states.OPEN))


class Interrupted(Exception):
    pass


def _on_signal(signum, _frame):
    raise Interrupted(signal.Signals(signum).name)


# --------------------------------------------------------------------------- databases


def schema_version() -> str:
    """The newest migration's revision: a database built for another schema is not used."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(ROOT / "migrations")).get_current_head() or "none"
    return re.sub(r"[^0-9a-z]", "", head.lower())[:12]


def admin_engine() -> sa.Engine:
    return sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)


def run_cli(args: list[str], db_url: str, log: Path, *, show: bool = False) -> None:
    """One `maengelmelder` command against `db_url`; its output goes to `log` (and the screen)."""
    env = dict(os.environ)
    env.update(
        {
            "MAENGELMELDER_DATABASE_URL": db_url,
            "MAENGELMELDER_SECRET_KEY": "history-benchmark",
            "MAENGELMELDER_INSTANCE_PATH": str(log.parent / "instance"),
            "MAENGELMELDER_INPROCESS_JOBS": "false",
        }
    )
    env.pop("MAENGELMELDER_REDIS_URL", None)
    started = time.monotonic()
    with open(log, "ab") as out:
        out.write(f"$ maengelmelder {' '.join(args)}\n".encode())
        out.flush()
        if show:  # a long step: its progress lines go to the screen too
            proc = subprocess.Popen(
                CLI + args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
            )
            assert proc.stdout is not None
            for line in proc.stdout:
                out.write(line)
                print("      " + line.decode(errors="replace").rstrip(), flush=True)
            code = proc.wait()
        else:
            code = subprocess.run(
                CLI + args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            ).returncode
    if code != 0:
        raise RuntimeError(f"maengelmelder {' '.join(args)} failed ({code}):\n{tail(log)}")
    print(f"    maengelmelder {' '.join(args[:2])}: {time.monotonic() - started:.0f} s", flush=True)


@dataclass(frozen=True)
class History:
    """What `demo history` is asked for."""

    reports: int
    seed: int
    years: float

    @property
    def name(self) -> str:
        span = f"{self.years:g}".replace(".", "p")
        return f"{PREFIX}{self.reports}_s{self.seed}_y{span}_{schema_version()}"

    def args(self) -> list[str]:
        return [
            *("demo", "history", "--reports", str(self.reports)),
            *("--seed", str(self.seed), "--years", f"{self.years:g}"),
        ]


def span_years(reports: int, args: argparse.Namespace) -> float:
    """The history's span: `--years`, else what `--rate` reports a year take (3 decimals)."""
    if args.years is not None:
        return args.years
    return min(MAX_YEARS, max(0.01, round(reports / args.rate, 3)))


def fill(db_url: str, history: History, log: Path) -> None:
    """Migrate, load the demo city, write the history, create the staff accounts."""
    run_cli(["db", "upgrade"], db_url, log)
    run_cli(["demo", "load"], db_url, log)
    run_cli(history.args(), db_url, log, show=True)
    for role, options in STAFF.items():
        run_cli(
            [
                *("users", "create", "--email", f"{role}@history.invalid"),
                *("--name", f"{role} bench", *options, "--password", PASSWORD),
            ],
            db_url,
            log,
        )


@dataclass
class Database:
    backend: str  # "postgres" or "sqlite"
    reports: int
    name: str
    url: str
    built: str  # when and for what it was built


def pg_url(name: str) -> str:
    return sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def ensure_postgres(history: History, rebuild: bool, tmp: Path) -> Database:
    name, reports = history.name, history.reports
    building = name + "_building"
    admin = admin_engine()
    try:
        with admin.connect() as conn:
            exists = conn.exec_driver_sql(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).scalar()
            if exists and rebuild:
                conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
                exists = False
            if not exists:
                print(f"  building PostgreSQL database {name} ({reports:,} reports)", flush=True)
                started = time.monotonic()
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
                conn.exec_driver_sql(f'CREATE DATABASE "{building}"')
                fill(pg_url(building), history, tmp / f"build-{name}.log")
                target = sa.create_engine(
                    pg_url(building), isolation_level="AUTOCOMMIT", poolclass=sa.NullPool
                )
                with target.connect() as c:
                    c.exec_driver_sql("VACUUM ANALYZE")
                target.dispose()
                note = built_note(time.monotonic() - started)
                conn.exec_driver_sql(f"COMMENT ON DATABASE \"{building}\" IS '{note}'")
                conn.exec_driver_sql(  # a connection left behind would stop the rename
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    (building,),
                )
                conn.exec_driver_sql(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
            built = conn.exec_driver_sql(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                (name,),
            ).scalar()
    finally:
        admin.dispose()
    return Database("postgres", reports, name, pg_url(name), built or "")


def ensure_sqlite(history: History, rebuild: bool, tmp: Path) -> Database:
    name, reports = history.name, history.reports
    path = SQLITE_DIR / f"{name}.db"
    note_path = path.with_suffix(".txt")
    if rebuild:
        for p in (path, note_path):
            p.unlink(missing_ok=True)
    if not path.exists():
        print(f"  building SQLite database {path.name} ({reports:,} reports)", flush=True)
        started = time.monotonic()
        SQLITE_DIR.mkdir(parents=True, exist_ok=True)
        building = path.with_suffix(".building.db")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{building}{suffix}").unlink(missing_ok=True)
        fill(f"sqlite:///{building}", history, tmp / f"build-{name}.log")
        import sqlite3

        with contextlib.closing(sqlite3.connect(building)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        note_path.write_text(built_note(time.monotonic() - started))
        os.replace(building, path)
        for suffix in ("-wal", "-shm"):
            Path(f"{building}{suffix}").unlink(missing_ok=True)
    built = note_path.read_text() if note_path.exists() else ""
    return Database("sqlite", reports, name, f"sqlite:///{path}", built)


def built_note(seconds: float) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"built {stamp} in {seconds:.0f} s by benchmarks/history.py"


def age_days(note: str) -> float | None:
    """Days since the build a note names, or None when it names none."""
    found = re.search(r"built (\d{4}-\d{2}-\d{2} \d{2}:\d{2}) UTC", note)
    if found is None:
        return None
    built = datetime.strptime(found.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    return (datetime.now(UTC) - built).total_seconds() / 86400


def drop_cached() -> None:
    admin = admin_engine()
    try:
        with admin.connect() as conn:
            names = conn.exec_driver_sql(
                "SELECT datname FROM pg_database WHERE datname LIKE %s", (PREFIX + "%",)
            ).scalars()
            for name in list(names):
                conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
                print(f"dropped PostgreSQL database {name}")
    finally:
        admin.dispose()
    if SQLITE_DIR.exists():
        for path in sorted(SQLITE_DIR.glob(PREFIX + "*")):
            path.unlink()
            print(f"removed {path.relative_to(ROOT)}")


# --------------------------------------------------------------------------- what to read


@dataclass
class Samples:
    """Request parameters taken from one database, so that each answer exists there."""

    public_ids: list[str]  # publicly listed reports, spread over the whole history
    crew_ids: list[str]  # tickets of the crew's department (tiefbau)
    nearby: list[tuple[float, float, str]]  # (lat, lon, category) of open public reports
    deep_cursor: str  # the public list's cursor at the middle of the history (newest first)
    export_cursor: str  # the exports' cursor there (oldest first)
    reports: int  # what the database holds


def _spread(conn, query: sa.Select, lo: int, hi: int, n: int) -> list:
    """Up to `n` rows of `query`, the first at or after each of n ids spread over [lo, hi]."""
    rows = []
    for k in range(n):
        start = lo + (hi - lo) * (k + 0.5) / n
        row = conn.execute(
            query.where(Report.id >= int(start)).order_by(Report.id).limit(1)
        ).first()
        if row is not None:
            rows.append(row)
    return rows


def samples_of(db: Database) -> Samples:
    engine = sa.create_engine(db.url, poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            lo, hi, count = conn.execute(
                sa.select(sa.func.min(Report.id), sa.func.max(Report.id), sa.func.count())
            ).one()
            public = sa.select(Report.public_id).where(publicly_listed())
            tiefbau = sa.select(Department.id).where(Department.code == "tiefbau")
            crew = sa.select(Report.public_id).where(
                Report.department_id.in_(tiefbau.scalar_subquery())
            )
            near = (
                sa.select(Report.lat, Report.lon, Category.code)
                .join(Category, Category.id == Report.category_id)
                .where(publicly_listed(), Report.status.in_(states.OPEN))
            )
            middle = conn.execute(
                sa.select(Report.created_at, Report.id)
                .where(publicly_listed(), Report.id >= (lo + hi) // 2)
                .order_by(Report.id)
                .limit(1)
            ).one()
            return Samples(
                public_ids=[r[0] for r in _spread(conn, public, lo, hi, SAMPLE)],
                crew_ids=[r[0] for r in _spread(conn, crew, lo, hi, SAMPLE)],
                nearby=[
                    (round(r[0], 6), round(r[1], 6), r[2]) for r in _spread(conn, near, lo, hi, 5)
                ],
                deep_cursor=paging.encode_cursor((_utc(middle[0]), middle[1])),
                export_cursor=paging.encode_cursor((_utc(middle[0]), middle[1]), EXPORT_TAG),
                reports=count,
            )
    finally:
        engine.dispose()


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)  # SQLite: naive UTC


# --------------------------------------------------------------------------- the endpoints

Paths = Callable[["Side"], list[str]]


@dataclass
class Endpoint:
    name: str
    group: str  # citizen, crew, supervisor, admin, public, Open311, open data
    paths: Paths  # the requests (rotated over the repetitions)
    user: str | None = None  # staff account whose session is sent
    bounded: bool | Callable[[dict], bool] = True  # or: decided from the large answer
    streamed: bool = False  # judged by the time to its first byte, not to its end

    def is_bounded(self, body: object) -> bool:
        if callable(self.bounded):
            return isinstance(body, dict) and self.bounded(body)
        return self.bounded


def fixed(path: str) -> Paths:
    return lambda _side: [path]


def paged(body: dict) -> bool:
    """A list answer counts as bounded once it is a page (it names a limit or a next page)."""
    return any(k in body for k in ("limit", "next_cursor", "next", "cursor"))


def next_page(first: str, user: str | None) -> Paths:
    """The second page of a list: its `next_cursor` when it has one, else offset = limit."""

    def paths(side: Side) -> list[str]:
        status, body = side.json(first, user)
        sep = "&" if "?" in first else "?"
        if status == 200 and isinstance(body, dict) and body.get("next_cursor"):
            return [f"{first}{sep}cursor={body['next_cursor']}"]
        limit = body.get("limit", 50) if isinstance(body, dict) else 50
        return [f"{first}{sep}offset={limit}"]

    return paths


def endpoints() -> list[Endpoint]:
    e = Endpoint
    return [
        # The citizen app: at start city and categories, then the map of where the phone is.
        e("city", "citizen", fixed("/api/v1/city")),
        e("categories", "citizen", fixed("/api/v1/categories")),
        e(
            "map, whole city (500)",
            "citizen",
            fixed(f"/api/v1/reports?format=geojson&view=map&limit=500&bbox={CITY_BBOX}"),
        ),
        e(
            "map, district viewport (500)",
            "citizen",
            fixed(f"/api/v1/reports?format=geojson&view=map&limit=500&bbox={VIEWPORT_BBOX}"),
        ),
        e(
            "map, open reports (500)",
            "citizen",
            fixed(
                f"/api/v1/reports?format=geojson&view=map&limit=500&bbox={CITY_BBOX}&status={OPEN}"
            ),
        ),
        e("list (50)", "citizen", fixed("/api/v1/reports?limit=50")),
        e(
            "list, mid-history page (50)",
            "citizen",
            lambda s: [f"/api/v1/reports?limit=50&cursor={s.samples.deep_cursor}"],
        ),
        e(
            "report by id",
            "citizen",
            lambda s: [f"/api/v1/reports/{pid}" for pid in s.samples.public_ids],
        ),
        e(
            "nearby (50 m, category)",
            "citizen",
            lambda s: [
                f"/api/v1/reports/nearby?lat={lat}&lon={lon}&category={cat}&radius=50"
                for lat, lon, cat in s.samples.nearby
            ],
            bounded=False,
        ),
        # Staff: the crew's queue of its department, soonest deadline first.
        e("queue (50)", "crew", fixed("/api/v1/tickets?limit=50"), "crew"),
        e("queue, page 2", "crew", next_page("/api/v1/tickets?limit=50", "crew"), "crew"),
        e(
            "ticket by id",
            "crew",
            lambda s: [f"/api/v1/tickets/{pid}" for pid in s.samples.crew_ids],
            "crew",
        ),
        e("queue as CSV (all open)", "crew", fixed("/api/v1/tickets?format=csv"), "crew"),
        # Supervisor: the board, the citywide queue, moderation.
        e("queue, citywide (50)", "supervisor", fixed("/api/v1/tickets?limit=50"), "supervisor"),
        e(
            "queue, breached (50)",
            "supervisor",
            fixed("/api/v1/tickets?limit=50&sla=breached"),
            "supervisor",
        ),
        e(
            "moderation, unpublished (100)",
            "supervisor",
            fixed("/api/v1/tickets?published=false&limit=100"),
            "supervisor",
        ),
        e(
            "moderation, flagged (100)",
            "supervisor",
            fixed("/api/v1/tickets?flagged=true&limit=100"),
            "supervisor",
        ),
        e("SLA summary", "supervisor", fixed("/api/v1/sla/summary"), "supervisor"),
        e(
            "SLA summary, one department",
            "supervisor",
            fixed("/api/v1/sla/summary?department=tiefbau"),
            "supervisor",
        ),
        e(
            "SLA breaches (50)",
            "supervisor",
            fixed("/api/v1/sla/breaches?limit=50"),
            "supervisor",
            bounded=paged,
        ),
        e("SLA trend, 30 days", "supervisor", fixed("/api/v1/sla/trend?days=30"), "supervisor"),
        # Admin lists: none of them grows with the reports.
        e("me", "admin", fixed("/api/v1/auth/me"), "admin"),
        e("users", "admin", fixed("/api/v1/admin/users"), "admin"),
        e("departments", "admin", fixed("/api/v1/admin/departments"), "admin"),
        e("categories (admin)", "admin", fixed("/api/v1/admin/categories"), "admin"),
        e("zones", "admin", fixed("/api/v1/admin/zones"), "admin"),
        e("rules", "admin", fixed("/api/v1/admin/rules"), "admin"),
        e("rule versions", "admin", fixed("/api/v1/admin/rules/versions"), "admin"),
        e("API tokens", "admin", fixed("/api/v1/admin/tokens"), "admin"),
        # Public figures and interfaces.
        # By month and category: one more month of history, a dozen more rows.
        e("SLA transparency", "public", fixed("/api/v1/sla/transparency"), bounded=False),
        e("discovery", "Open311", fixed("/open311/v2/discovery.json")),
        e("services", "Open311", fixed("/open311/v2/services.json")),
        e(
            "requests, open potholes (50)",
            "Open311",
            fixed("/open311/v2/requests.json?status=open&service_code=schlagloch&page_size=50"),
        ),
        e("requests, newest (50)", "Open311", fixed("/open311/v2/requests.json?page_size=50")),
        e("requests, default (90 days, <= 1000)", "Open311", fixed("/open311/v2/requests.json")),
        e(
            "request by id",
            "Open311",
            lambda s: [f"/open311/v2/requests/{pid}.json" for pid in s.samples.public_ids],
        ),
        # Open data: downloads in pages, oldest first. The default page (25,000 reports) is
        # judged by its first byte; pages of 1,000 by the whole answer, from the start and from
        # the middle of the history.
        *(
            e(
                f"reports.{kind}, first byte",
                "open data",
                fixed(f"/api/v1/export/reports.{kind}"),
                streamed=True,
            )
            for kind in ("csv", "geojson")
        ),
        *(
            e(
                f"reports.{kind}, page of 1,000",
                "open data",
                fixed(f"/api/v1/export/reports.{kind}?limit=1000"),
            )
            for kind in ("csv", "geojson")
        ),
        *(
            e(
                f"reports.{kind}, mid-history page of 1,000",
                "open data",
                lambda s, kind=kind: [
                    f"/api/v1/export/reports.{kind}?limit=1000&cursor={s.samples.export_cursor}"
                ],
            )
            for kind in ("csv", "geojson")
        ),
    ]


# --------------------------------------------------------------------------- servers, client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@dataclass
class Server:
    db: Database
    popen: subprocess.Popen
    port: int
    log: Path

    def stop(self) -> None:
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(30)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(10)


def start_server(db: Database, tmp: Path) -> Server:
    port = free_port()
    home = tmp / f"serve-{db.name}"
    home.mkdir(exist_ok=True)
    env = dict(os.environ)
    env.update(
        {
            "MAENGELMELDER_DATABASE_URL": db.url,
            "MAENGELMELDER_SECRET_KEY": secrets.token_urlsafe(32),
            "MAENGELMELDER_INSTANCE_PATH": str(home / "instance"),
            "MAENGELMELDER_MEDIA_DIR": str(home / "media"),
            "MAENGELMELDER_INPROCESS_JOBS": "false",
            "MAENGELMELDER_COOKIE_SECURE": "false",
        }
    )
    env.pop("MAENGELMELDER_REDIS_URL", None)
    log = home / "serve.log"
    with open(log, "wb") as out:
        popen = subprocess.Popen(
            [*CLI, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped with its workers
        )
    server = Server(db, popen, port, log)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if popen.poll() is not None:
            raise RuntimeError(f"the server for {db.name} exited:\n{tail(log)}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as resp:
                if resp.status == 200:
                    return server
        except OSError:
            pass
        time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"the server for {db.name} did not answer /healthz within 90 s")


@dataclass
class Answer:
    status: int
    ttfb: float  # seconds to the status line and headers
    total: float  # seconds to the end of the answer
    size: int  # bytes read
    body: bytes


class Client:
    """One keep-alive HTTP connection; `get` times a request to first byte and to the end."""

    def __init__(self, port: int, timeout: float = 900) -> None:
        self.port, self.timeout = port, timeout
        self.conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        body: bytes | None = None,
    ) -> tuple[Answer, http.client.HTTPResponse]:
        for attempt in (0, 1):  # a kept-alive connection the server has closed is retried once
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                started = time.perf_counter()
                self.conn.request(method, path, body=body, headers=headers)
                resp = self.conn.getresponse()
                ttfb = time.perf_counter() - started
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt:
                    raise
        data = resp.read()
        total = time.perf_counter() - started
        if resp.will_close:
            self.close()
        return Answer(resp.status, ttfb, total, len(data), data), resp


@dataclass
class Side:
    """One database, its server and a logged-in client per staff account."""

    label: str  # "small" or "large"
    server: Server
    samples: Samples
    cookies: dict[str | None, str] = field(default_factory=dict)
    clients: dict[str | None, Client] = field(default_factory=dict)

    def client(self, user: str | None) -> Client:
        if user not in self.clients:
            self.clients[user] = Client(self.server.port)
        return self.clients[user]

    def login(self, user: str) -> None:
        body = json.dumps({"email": f"{user}@history.invalid", "password": PASSWORD}).encode()
        answer, resp = self.client(user).request(
            "POST", "/api/v1/auth/login", {"Content-Type": "application/json"}, body
        )
        if answer.status != 200:
            raise RuntimeError(f"login of {user} failed ({answer.status}): {answer.body[:300]!r}")
        cookie = resp.getheader("Set-Cookie") or ""
        self.cookies[user] = cookie.split(";", 1)[0]

    def get(self, path: str, user: str | None) -> Answer:
        headers = {"Accept": "application/json"}
        if user is not None:
            headers["Cookie"] = self.cookies[user]
        answer, _ = self.client(user).request("GET", path, headers)
        return answer

    def json(self, path: str, user: str | None) -> tuple[int, object]:
        answer = self.get(path, user)
        try:
            return answer.status, json.loads(answer.body)
        except ValueError:
            return answer.status, None

    def close(self) -> None:
        for client in self.clients.values():
            client.close()


# --------------------------------------------------------------------------- measuring


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


@dataclass
class Timing:
    totals: list[float] = field(default_factory=list)
    ttfbs: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    spent: float = 0.0
    first: float = float("nan")  # ms of the very first request (cold: nothing cached yet)
    failure: str = ""  # a non-2xx answer or a broken request, shown once
    body: object = None  # the last answer, parsed, when it was JSON

    def add(self, answer: Answer, keep: bool) -> None:
        self.spent += answer.total
        self.statuses[answer.status] = self.statuses.get(answer.status, 0) + 1
        if not 200 <= answer.status < 300:
            if not self.failure:
                text = answer.body[:200].decode(errors="replace")
                self.failure = f"HTTP {answer.status}: {text}"
            return
        if keep:
            self.totals.append(answer.total)
            self.ttfbs.append(answer.ttfb)
            self.sizes.append(answer.size)

    @property
    def median(self) -> float:
        return statistics.median(self.totals) * 1000 if self.totals else float("nan")

    @property
    def p90(self) -> float:
        return percentile(self.totals, 0.9) * 1000

    @property
    def ttfb(self) -> float:
        return statistics.median(self.ttfbs) * 1000 if self.ttfbs else float("nan")

    @property
    def size(self) -> int:
        return int(statistics.median(self.sizes)) if self.sizes else 0


@dataclass
class Result:
    endpoint: Endpoint
    small: Timing
    large: Timing
    bounded: bool

    def ms(self, timing: Timing) -> float:
        """The time the target is about: to the first byte of a download, else to the end."""
        return timing.ttfb if self.endpoint.streamed else timing.median

    @property
    def ratio(self) -> float:
        if not (self.small.totals and self.large.totals):
            return float("nan")
        return self.ms(self.large) / self.ms(self.small)


def measure(ep: Endpoint, sides: list[Side], reps: int, budget: float) -> Result:
    """Warm both sides up, then request alternately until `reps` each or the budget is spent."""
    paths = {}
    for side in sides:
        try:
            paths[side.label] = ep.paths(side)
        except (OSError, http.client.HTTPException) as exc:
            paths[side.label] = []
            print(f"    {ep.name}: could not prepare the request: {exc}")
    timings = {side.label: Timing() for side in sides}

    def one(side: Side, index: int, keep: bool) -> None:
        timing = timings[side.label]
        todo = paths[side.label]
        if not todo:
            return
        path = todo[index % len(todo)]
        try:
            answer = side.get(path, ep.user)
        except (OSError, http.client.HTTPException) as exc:
            side.client(ep.user).close()
            timing.failure = timing.failure or f"{type(exc).__name__}: {exc}"
            timing.spent += budget  # a broken request is not tried again and again
            return
        timing.add(answer, keep)
        if not ep.streamed and answer.body[:1] in (b"{", b"["):
            with contextlib.suppress(ValueError):
                timing.body = json.loads(answer.body)

    for side in sides:  # warm-up: two requests, or one when it is slow
        one(side, 0, keep=False)
        timings[side.label].first = timings[side.label].spent * 1000
        if timings[side.label].spent < 5:
            one(side, 1, keep=False)
        timings[side.label].spent = 0.0
    for index in range(reps):
        for side in sides:
            timing = timings[side.label]
            if timing.failure or (len(timing.totals) >= 3 and timing.spent > budget):
                continue
            one(side, index, keep=True)
    small, large = timings["small"], timings["large"]
    return Result(ep, small, large, ep.is_bounded(large.body))


# --------------------------------------------------------------------------- report


def ms(value: float) -> str:
    if math.isnan(value):
        return "-"
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def size_text(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1e6:.1f} MB"
    if n >= 10_000:
        return f"{n / 1e3:.0f} KB"
    return f"{n:,} B"


def verdict(result: Result, backend: str) -> str:
    if result.small.failure or result.large.failure:
        return "FAILED"
    if not result.bounded:
        return "grows"
    target = TARGET_MS[backend]
    fast = result.ms(result.large) < target
    if backend == "sqlite":  # on SQLite the target is the time alone
        return "ok" if fast else "MISSED"
    steady = result.ratio <= RATIO_TARGET
    if fast and steady:
        return "ok"
    why = [part for part, bad in (("ratio", not steady), (f">= {target:.0f} ms", not fast)) if bad]
    return f"MISSED ({', '.join(why)})"


def print_results(
    backend: str, small: Database, large: Database, results: list[Result], reps: int
) -> None:
    target = TARGET_MS[backend]
    print()
    print(
        f"{'PostgreSQL' if backend == 'postgres' else 'SQLite'}: {small.reports:,} vs "
        f"{large.reports:,} reports; median (p90) ms to the end of the answer, median time "
        f"to first byte (TTFB), the first request (cold); ratio and target of downloads "
        f"('first byte') by their TTFB"
    )
    header = (
        f"  {'endpoint':<44} {'small ms':>16} {'large ms':>16} {'TTFB s/l':>13} "
        f"{'1st s/l':>13} {'ratio':>6} {'bytes small / large':>21}  target"
    )
    print(header)
    print("  " + "-" * (len(header) - 2))
    group = None
    for r in results:
        if r.endpoint.group != group:
            group = r.endpoint.group
            print(f"  [{group}]")
        s, g = r.small, r.large
        sizes = f"{size_text(s.size)} / {size_text(g.size)}"
        if r.bounded and s.size and g.size and not 0.8 <= g.size / s.size <= 1.25:
            sizes += " *"
        print(
            f"  {r.endpoint.name:<44} {ms(s.median):>7} ({ms(s.p90):>6}) "
            f"{ms(g.median):>7} ({ms(g.p90):>6}) {ms(s.ttfb):>6}/{ms(g.ttfb):<6} "
            f"{ms(s.first):>6}/{ms(g.first):<6} {r.ratio:>6.2f} {sizes:>21}  {verdict(r, backend)}"
        )
        for label, timing in (("small", s), ("large", g)):
            if timing.failure:
                print(f"      {label}: {timing.failure[:160]}")
            elif len(timing.totals) < min(5, reps):
                print(f"      {label}: only {len(timing.totals)} requests within the budget")
    print("  * answers of different size on the two databases")
    bounded = [r for r in results if r.bounded and not (r.small.failure or r.large.failure)]
    missed = [r for r in bounded if verdict(r, backend) != "ok"]
    failed = [r for r in results if r.small.failure or r.large.failure]
    goal = f"< {target:.0f} ms"
    if backend == "postgres":
        goal += f" and ratio <= {RATIO_TARGET:g}"
    print(
        f"  targets ({goal} at {large.reports:,} reports, bounded answers): "
        f"{len(bounded) - len(missed)} of {len(bounded)} met"
        + (f"; missed: {', '.join(r.endpoint.name for r in missed)}" if missed else "")
        + (f"; failed: {', '.join(r.endpoint.name for r in failed)}" if failed else "")
    )


def print_markdown(backend: str, small: Database, large: Database, results: list[Result]) -> None:
    print()
    print(
        f"| {'PostgreSQL' if backend == 'postgres' else 'SQLite'} | endpoint | "
        f"{small.reports:,} | {large.reports:,} | ratio | bytes | target |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in results:
        target = verdict(r, backend)
        print(
            f"| {r.endpoint.group} | {r.endpoint.name} | {ms(r.ms(r.small))} ms | "
            f"{ms(r.ms(r.large))} ms | {r.ratio:.2f} | {size_text(r.small.size)} / "
            f"{size_text(r.large.size)} | {target} |"
        )


def server_trouble(server: Server) -> list[str]:
    signs = ("Traceback (most recent call last)", "WORKER TIMEOUT", '" 5')
    lines = server.log.read_text(errors="replace").splitlines()
    return [line[:160] for line in lines if any(sign in line for sign in signs)]


# --------------------------------------------------------------------------- the run


def run_backend(backend: str, args: argparse.Namespace, tmp: Path) -> None:
    small_n, large_n = SIZES[(backend, args.quick)]
    small_n, large_n = args.small or small_n, args.large or large_n
    ensure = ensure_postgres if backend == "postgres" else ensure_sqlite
    print()
    print(f"== {backend}: {small_n:,} vs {large_n:,} reports (seed {args.seed})", flush=True)
    dbs = [
        ensure(History(n, args.seed, span_years(n, args)), args.rebuild, tmp)
        for n in (small_n, large_n)
    ]
    for db in dbs:
        print(f"  {db.name}: {db.built or 'built earlier'}")
        age = age_days(db.built)
        if age is not None and age > STALE_DAYS:
            # A history ends on the day it was written; the lists of recent days thin out.
            print(f"    built {age:.0f} days ago: the recent days are empty; --rebuild")
    servers: list[Server] = []
    sides: list[Side] = []
    try:
        for label, db in zip(("small", "large"), dbs, strict=True):
            samples = samples_of(db)
            server = start_server(db, tmp)
            servers.append(server)
            side = Side(label, server, samples)
            for user in STAFF:
                side.login(user)
            sides.append(side)
            print(f"  {label}: {samples.reports:,} reports, served on port {server.port}")
        chosen = [ep for ep in endpoints() if not args.only or args.only.lower() in ep.name.lower()]
        results = []
        for ep in chosen:
            result = measure(ep, sides, args.reps, args.budget)
            results.append(result)
            print(
                f"  {ep.group:>10} | {ep.name:<44} {ms(result.ms(result.small)):>7} "
                f"{ms(result.ms(result.large)):>8} ms",
                flush=True,
            )
        trouble = {s.label: server_trouble(s.server) for s in sides}
    finally:
        for side in sides:
            side.close()
        for server in servers:
            server.stop()
    print_results(backend, dbs[0], dbs[1], results, args.reps)
    for label, lines in trouble.items():
        if lines:
            print(f"  server log ({label}): {len(lines)} lines of trouble, first: {lines[0]}")
    print()
    print("for the README:")
    print_markdown(backend, dbs[0], dbs[1], results)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 vs 50,000 (20,000 on SQLite)")
    parser.add_argument("--backend", choices=["both", "postgres", "sqlite"], default="both")
    parser.add_argument("--seed", type=int, default=1, help="demo history's seed (1)")
    parser.add_argument(
        "--rate",
        type=float,
        default=RATE,
        help=f"reports a year: the span of each history follows from it ({RATE:,})",
    )
    parser.add_argument("--years", type=float, help="one span for both histories instead")
    parser.add_argument("--small", type=int, help="reports in the small database")
    parser.add_argument("--large", type=int, help="reports in the large database")
    parser.add_argument("--reps", type=int, default=15, help="requests per endpoint and side")
    parser.add_argument(
        "--budget", type=float, default=60.0, help="seconds per endpoint and side (at least 3)"
    )
    parser.add_argument("--only", help="only endpoints whose name contains this")
    parser.add_argument("--rebuild", action="store_true", help="build the databases again")
    parser.add_argument(
        "--drop-cached", action="store_true", help="drop the kept databases, then stop"
    )
    args = parser.parse_args(argv)
    if args.drop_cached:
        drop_cached()
        return 0
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)
    backends = ["postgres", "sqlite"] if args.backend == "both" else [args.backend]
    load = os.getloadavg()
    print(
        f"history benchmark: {os.cpu_count()} cores, load average {load[0]:.2f} / "
        f"{load[1]:.2f} / {load[2]:.2f} (1/5/15 min); schema {schema_version()}; "
        f"{args.reps} requests per endpoint and side, budget {args.budget:g} s"
    )
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="mm_history_") as tmpdir:
            for backend in backends:
                run_backend(backend, args, Path(tmpdir))
    except (KeyboardInterrupt, Interrupted) as exc:
        print(f"\ninterrupted ({exc or 'Ctrl-C'}); servers stopped", file=sys.stderr)
        return 130
    except RuntimeError as exc:
        print(f"\nthe run broke: {exc}", file=sys.stderr)
        return 1
    load = os.getloadavg()
    print()
    print(
        f"load average after {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}; "
        f"total run time {time.monotonic() - started:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
