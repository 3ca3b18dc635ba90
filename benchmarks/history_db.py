"""The history benchmark's databases: built with the project's own commands and kept
(PostgreSQL databases and SQLite files), and the request parameters sampled from them.
Used by history.py, which puts the repository on sys.path first."""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from maengelmelder import paging
from maengelmelder.core import states
from maengelmelder.core.catalog import Category, Department
from maengelmelder.core.models import Report, publicly_listed
from maengelmelder.opendata.routes import CURSOR_TAG as EXPORT_TAG

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_URL = os.environ.get(
    "MAENGELMELDER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SQLITE_DIR = ROOT / "instance" / "bench-history"
PREFIX = "mm_history_"
CLI = [sys.executable, "-m", "maengelmelder"]
MAX_YEARS = 50  # what demo history accepts
SAMPLE = 20  # reports read by id, spread over the history
PASSWORD = "history-benchmark-password"
STAFF = {
    "crew": ["--role", "crew", "--department", "tiefbau"],
    "supervisor": ["--role", "supervisor", "--citywide"],
    "admin": ["--role", "admin"],
}


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


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
