"""Benchmark the SLA sweep's query: its cost must follow the due tickets, not all tickets.

Sets up two PostgreSQL schemas in the same run (each fresh, dropped at the end, also on error):

* A: a large table of open tickets (1,000,000) of which a few (1,000) are due;
* B: a small table of open tickets (10,000) with the same number due.

"Due" means deadline and at-risk moment in the past, not yet warned or escalated; the other
tickets run on a deadline far in the future. The due tickets are spread evenly over the id
range, so a sequential scan cannot stop early. Tickets are bulk-inserted with one
``INSERT ... SELECT ... FROM generate_series`` statement, then the table is analysed.

``maengelmelder.sla.service.due_ids`` is timed (median of 15 runs after 3 warm-ups) in both
cases; thanks to the partial indexes ``ix_reports_sweep_breach`` / ``ix_reports_sweep_at_risk``
the ratio A/B should stay at or below 2. Prints the EXPLAIN (ANALYZE) of the breach query for
case A to show the index is used. Exits 1 unless both cases return exactly the due ids.

Usage: ``.venv/bin/python benchmarks/sla_sweep.py [--quick]``
(``--quick``: 20,000 vs 2,000 tickets with 100 due; takes a few seconds.)
PostgreSQL URL: ``MAENGELMELDER_TEST_POSTGRES_URL``
(default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from maengelmelder.app import create_app
from maengelmelder.core.catalog import Category
from maengelmelder.core.models import Report
from maengelmelder.demo import demo_catalog, load_catalog
from maengelmelder.extensions import db
from maengelmelder.sla.service import breach_select, due_ids

POSTGRES_URL = os.environ.get(
    "MAENGELMELDER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
WARMUPS, RUNS = 3, 15
TARGET_RATIO = 2.0

# One statement fills every NOT NULL column; :due of the :n tickets (every :step-th) are due.
INSERT_TICKETS = """
INSERT INTO reports (
    public_id, category_id, department_id, description, lat, lon, location_source,
    status, created_at, updated_at, deadline, at_risk_at, notify_reporter, lang,
    tracking_salt, tracking_token_hash, routing, zone_keys, published, sla_hours,
    sla_calendar, pauses, at_risk_warned, breach_escalated, supporters, version
)
SELECT
    'B-' || g,
    :category_id,
    :department_id,
    '',
    50.1 + (g % 1000) * 0.00001,
    8.765 + (g % 997) * 0.00001,
    'client',
    'new',
    CAST(:now AS timestamptz) - interval '3 days',
    CAST(:now AS timestamptz) - interval '3 days',
    CASE WHEN g % :step = 0 THEN CAST(:now AS timestamptz) - interval '1 hour'
         ELSE CAST(:now AS timestamptz) + interval '3650 days' END,
    CASE WHEN g % :step = 0 THEN CAST(:now AS timestamptz) - interval '13 hours'
         ELSE CAST(:now AS timestamptz) + interval '3640 days' END,
    false,
    'de',
    md5('salt' || g::text),
    md5(g::text) || md5((g + 1)::text),
    NULL,
    ',',
    false,
    48,
    'wall',
    '[]',
    false,
    false,
    0,
    1
FROM generate_series(1, :n) AS g
"""


def admin_engine() -> sa.Engine:
    return sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)


def schema_url(schema: str) -> str:
    sep = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"


def explain(session, stmt: sa.Select, limit: int) -> str:
    compiled = stmt.limit(limit).compile(
        dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True}
    )
    conn = session.connection()
    rows = conn.exec_driver_sql(
        "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + str(compiled), compiled.params
    )
    return "\n".join(r[0] for r in rows)


def run_case(label: str, n: int, due: int, now: datetime, tmpdir: str, want_explain: bool):
    schema = f"mm_bench_{uuid.uuid4().hex[:12]}"
    admin = admin_engine()
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        instance = os.path.join(tmpdir, schema)
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": schema_url(schema),
                "SECRET_KEY": "x",
                "INSTANCE_PATH": instance,
                "INPROCESS_JOBS": False,
            }
        )
        with app.app_context():
            try:
                t0 = time.perf_counter()
                db.create_all()
                load_catalog(db.session, demo_catalog())
                db.session.commit()
                cat = db.session.scalars(sa.select(Category).order_by(Category.id)).first()
                db.session.execute(
                    sa.text(INSERT_TICKETS),
                    {
                        "category_id": cat.id,
                        "department_id": cat.default_department_id,
                        "now": now,
                        "step": n // due,
                        "n": n,
                    },
                )
                db.session.commit()
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                    c.exec_driver_sql("ANALYZE reports")
                setup = time.perf_counter() - t0
                total = db.session.scalar(sa.select(sa.func.count()).select_from(Report))

                times = []
                ids: list[int] = []
                for i in range(WARMUPS + RUNS):
                    t = time.perf_counter()
                    ids = due_ids(db.session, now)
                    elapsed = time.perf_counter() - t
                    db.session.rollback()
                    if i >= WARMUPS:
                        times.append(elapsed)
                median_ms = statistics.median(times) * 1000
                plan = None
                if want_explain:
                    plan = explain(db.session, breach_select(now), 1000)
                db.session.rollback()
            finally:
                db.session.remove()
                db.engine.dispose()
        print(
            f"{label}: {total:>9,} tickets, {due:,} due -> due_ids {len(ids):,} ids, "
            f"median {median_ms:.2f} ms (min {min(times) * 1000:.2f}, "
            f"max {max(times) * 1000:.2f}); setup {setup:.1f} s",
            flush=True,
        )
        return median_ms, len(ids), plan
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 vs 2,000 tickets, 100 due")
    args = parser.parse_args()
    big, small, due = (20_000, 2_000, 100) if args.quick else (1_000_000, 10_000, 1_000)
    now = datetime.now(UTC).replace(microsecond=0)

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mm_bench_") as tmpdir:
        a_ms, a_count, plan = run_case("A", big, due, now, tmpdir, want_explain=True)
        b_ms, b_count, _ = run_case("B", small, due, now, tmpdir, want_explain=False)
    ratio = a_ms / b_ms if b_ms else float("inf")

    print()
    print("EXPLAIN ANALYZE of the breach query as due_ids builds it, case A:")
    print(plan)
    print()
    index_used = "ix_reports_sweep_breach" in (plan or "")
    print(f"A ({big:,} tickets): {a_ms:.2f} ms")
    print(f"B ({small:,} tickets): {b_ms:.2f} ms")
    print(f"ratio A/B: {ratio:.2f} (target <= {TARGET_RATIO:g})")
    print(f"partial index ix_reports_sweep_breach used: {'yes' if index_used else 'NO'}")
    print(f"total run time: {time.perf_counter() - started:.1f} s")

    ok = True
    for label, count in (("A", a_count), ("B", b_count)):
        if count != due:
            print(f"FAIL: case {label} returned {count} ids, expected {due}", file=sys.stderr)
            ok = False
    if ratio > TARGET_RATIO:
        print(f"WARNING: ratio {ratio:.2f} above target {TARGET_RATIO:g}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
