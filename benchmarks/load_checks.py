"""What the load benchmark looks at in the database and the app's log: the reports stored,
the planner's statistics, every report stored exactly once, signs of trouble."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

LOG_SIGNS = {
    "worker timeouts": "WORKER TIMEOUT",
    "workers killed": "was sent SIGKILL",
    "tracebacks": "Traceback (most recent call last)",
    "5xx answers": '" 5',
}


def log_findings(path: Path) -> dict[str, list[str]]:
    """Lines of the app's log (gunicorn's and the access log) that point at trouble."""
    found: dict[str, list[str]] = {name: [] for name in LOG_SIGNS}
    with open(path, errors="replace") as fh:
        for line in fh:
            for name, sign in LOG_SIGNS.items():
                if sign in line:
                    found[name].append(line.strip()[:160])
    return found


def count_reports(db_url: str) -> int:
    engine = sa.create_engine(db_url, poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql("SELECT count(*) FROM reports").scalar_one()
    finally:
        engine.dispose()


def analyze(db_url: str) -> bool:
    """Give the planner statistics of the tables the seeding phases filled.

    A default PostgreSQL analyses a table by itself once a tenth of it changed; a server with
    autovacuum off never does, and plans the reads of 13,000 reports as if there were none
    (the whole-city map then read every report to sort it: 40-70 ms instead of about 1).
    Returns whether autovacuum is on.
    """
    engine = sa.create_engine(db_url, poolclass=sa.NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            return conn.exec_driver_sql("SHOW autovacuum").scalar_one() == "on"
    finally:
        engine.dispose()


def verify(db_url: str, prefix: str, mixed: dict) -> dict:
    """Every key answered with 201 is stored exactly once, as the report the client was given."""
    engine = sa.create_engine(db_url, poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT r.idempotency_key, count(*), min(r.public_id), "
                    "       (SELECT count(*) FROM photos p WHERE p.report_id = min(r.id)) "
                    "FROM reports r WHERE r.idempotency_key LIKE :prefix "
                    "GROUP BY r.idempotency_key"
                ),
                {"prefix": prefix + "%"},
            ).all()
    finally:
        engine.dispose()
    stored = {key: (count, public_id, photos) for key, count, public_id, photos in rows}
    created: dict[str, str] = mixed["created"]
    attempted = set(mixed["attempted"])
    retries = mixed["retries"]
    return {
        "keys_201": len(created),
        "keys_sent": len(attempted),
        "stored": len(stored),
        "duplicates": sum(1 for count, _, _ in stored.values() if count != 1),
        "missing": sum(1 for key in created if key not in stored),
        "wrong_id": sum(
            1 for key, pid in created.items() if key in stored and stored[key][1] != pid
        ),
        "without_photo": sum(1 for _, _, photos in stored.values() if photos != 1),
        "stored_without_201": sum(1 for key in stored if key not in created),
        "unknown_keys": sum(1 for key in stored if key not in attempted),
        "retries": len(retries),
        "retries_ok": sum(1 for r in retries if r["outcome"] == "same report"),
        "retries_unanswered": sum(1 for r in retries if r["outcome"] == "no answer"),
        "retries_wrong": [r for r in retries if r["outcome"] == "DIFFERENT"],
        "retries_racing": sum(1 for r in retries if r["kind"] == "racing"),
    }
