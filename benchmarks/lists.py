"""Benchmark the lists: a page of a list must cost about the same with years of history.

Sets up two PostgreSQL schemas in the same run (each fresh, dropped at the end, also on error)
holding the history of one busy city that receives 1,000 reports a day:

* A: 1,000,000 reports (about three years);
* B: 10,000 reports (its first ten days).

Reports older than five days are done (resolved, closed, rejected, duplicate) except one in
2,000 still waiting for a third party; newer ones are open. Four in five are published. The
reports are bulk-inserted with one ``INSERT ... SELECT ... FROM generate_series`` statement,
then the table is analysed.

Each request below is answered by the app (Flask's test client, so routing, queries and
serialisation are timed, not the network): median of 9 runs after 2 warm-ups, in both cases.
Answers have a bounded size, so the ratio A/B should stay at or below 2 and every answer
under 200 ms. Exits 1 when a request fails.

Usage: ``.venv/bin/python benchmarks/lists.py [--quick] [--explain]``
(``--quick``: 20,000 vs 2,000 reports; takes a few seconds. ``--explain``: print the plans of
the ticket list's queries in case A.)
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

from maengelmelder.accounts.service import create_token
from maengelmelder.app import create_app
from maengelmelder.core.catalog import Category
from maengelmelder.demo import demo_catalog, load_catalog
from maengelmelder.extensions import db

POSTGRES_URL = os.environ.get(
    "MAENGELMELDER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
WARMUPS, RUNS = 2, 9
TARGET_RATIO, TARGET_MS = 2.0, 200.0
PER_DAY = 1000

# Every NOT NULL column; report g was created (n - g) * 86.4 s before :now (1,000 a day).
INSERT_REPORTS = """
INSERT INTO reports (
    public_id, category_id, department_id, description, lat, lon, location_source,
    status, created_at, updated_at, deadline, at_risk_at, resolved_at, notify_reporter, lang,
    tracking_salt, tracking_token_hash, routing, zone_keys, published, sla_hours,
    sla_calendar, pauses, at_risk_warned, breach_escalated, supporters, version
)
SELECT
    'B-' || g,
    (CAST(:categories AS integer[]))[1 + g % :ncat],
    (CAST(:departments AS integer[]))[1 + g % :ncat],
    'Loch in der Fahrbahn',
    50.09 + (g % 1000) * 0.00002,
    8.75 + (g % 997) * 0.00003,
    'client',
    status,
    at,
    at,
    at + interval '48 hours',
    at + interval '36 hours',
    CASE WHEN status IN ('resolved', 'closed') THEN at + interval '30 hours' END,
    false,
    'de',
    md5('salt' || g::text),
    md5(g::text) || md5((g + 1)::text),
    NULL,
    ',',
    g % 5 <> 0,
    48,
    'wall',
    '[]',
    status IN ('resolved', 'closed', 'rejected', 'duplicate'),
    status IN ('resolved', 'closed', 'rejected', 'duplicate'),
    0,
    1
FROM (
    SELECT g, at,
        CASE
            WHEN at > CAST(:now AS timestamptz) - interval '5 days'
                THEN (ARRAY['new', 'acknowledged', 'in_progress', 'waiting_external'])[1 + g % 4]
            WHEN g % 2000 = 0 THEN 'waiting_external'
            ELSE (ARRAY['closed', 'resolved', 'closed', 'rejected', 'closed', 'duplicate',
                        'closed', 'resolved'])[1 + (g / 13) % 8]
        END AS status
    FROM (
        SELECT g, CAST(:now AS timestamptz) - (:n - g) * interval '86.4 seconds' AS at
        FROM generate_series(1, :n) AS g
    ) AS timed
) AS reports_to_be
"""

ALL_STATES = "new,acknowledged,in_progress,waiting_external,resolved,closed,rejected,duplicate"

# (label, who, url): who is "crew" (Tiefbau), "admin" or "public".
REQUESTS = [
    ("crew queue", "crew", "/api/v1/tickets?limit=50"),
    ("moderation queue", "crew", "/api/v1/tickets?published=false&limit=100"),
    ("staff list, every state", "admin", f"/api/v1/tickets?status={ALL_STATES}&limit=50"),
    ("staff list, done, one category", "admin", "/api/v1/tickets?status=closed&category=graffiti"),
    ("flagged list", "crew", "/api/v1/tickets?flagged=true&limit=100"),
    ("staff export page (CSV)", "crew", "/api/v1/tickets?format=csv&limit=500"),
    (
        "Open311 open + service_code",
        "public",
        "/open311/v2/requests.json?status=open&service_code=schlagloch",
    ),
    ("Open311 default, 100 a page", "public", "/open311/v2/requests.json?page_size=100"),
    ("Open311 page 50 of 100", "public", "/open311/v2/requests.json?page_size=100&page=50"),
    ("public list", "public", "/api/v1/reports?limit=50"),
    ("open data CSV page", "public", "/api/v1/export/reports.csv?limit=1000"),
    ("admin users", "admin", "/api/v1/admin/users"),
]


def admin_engine() -> sa.Engine:
    return sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)


def schema_url(schema: str) -> str:
    sep = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"


def fill(n: int, now: datetime) -> dict[str, str]:
    """The catalogue, n reports and two API tokens; the tokens' headers by who."""
    load_catalog(db.session, demo_catalog())
    db.session.flush()
    cats = list(db.session.scalars(sa.select(Category).order_by(Category.id)))
    db.session.execute(
        sa.text(INSERT_REPORTS),
        {
            "categories": [c.id for c in cats],
            "departments": [c.default_department_id for c in cats],
            "ncat": len(cats),
            "now": now,
            "n": n,
        },
    )
    _, crew = create_token(db.session, name="crew", role="crew", departments=["tiefbau"], now=now)
    _, admin = create_token(db.session, name="admin", role="admin", now=now)
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
    return {
        "crew": {"Authorization": f"Bearer {crew}"},
        "admin": {"Authorization": f"Bearer {admin}"},
        "public": {},
    }


def time_request(client, url: str, headers: dict) -> tuple[float, int, int]:
    """Median milliseconds, status and answer size of one request."""
    times = []
    status = size = 0
    for i in range(WARMUPS + RUNS):
        t = time.perf_counter()
        resp = client.get(url, headers=headers)
        body = resp.get_data()
        elapsed = time.perf_counter() - t
        status, size = resp.status_code, len(body)
        if i >= WARMUPS:
            times.append(elapsed)
    return statistics.median(times) * 1000, status, size


def explain_ticket_queries(app, now: datetime) -> None:
    """The plans of the ticket list's page queries, as the route builds them."""
    from maengelmelder.accounts.service import Principal
    from maengelmelder.tickets import queue as q

    with app.app_context():
        tiefbau = db.session.execute(
            sa.text("SELECT id FROM departments WHERE code = 'tiefbau'")
        ).scalar()
        crew = Principal(
            kind="token",
            id=1,
            name="crew",
            role="crew",
            citywide=False,
            department_ids=frozenset({tiefbau}),
        )
        every = tuple(ALL_STATES.split(","))
        for label, flt in (
            ("crew queue", q.QueueFilter(limit=50)),
            ("moderation queue", q.QueueFilter(published=False, limit=100)),
            ("crew, every state", q.QueueFilter(statuses=every, limit=50)),
        ):
            stmt = q.page_query(db.session, crew, flt, now)
            compiled = stmt.compile(
                dialect=db.engine.dialect, compile_kwargs={"render_postcompile": True}
            )
            rows = db.session.connection().exec_driver_sql(
                "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + str(compiled), compiled.params
            )
            print(f"EXPLAIN ANALYZE, {label}:")
            print("\n".join(r[0] for r in rows))
            print()
        db.session.rollback()


def run_case(label: str, n: int, now: datetime, tmpdir: str, want_explain: bool) -> dict:
    schema = f"mm_bench_{uuid.uuid4().hex[:12]}"
    admin = admin_engine()
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": schema_url(schema),
                "SECRET_KEY": "x",
                "INSTANCE_PATH": os.path.join(tmpdir, schema),
                "INPROCESS_JOBS": False,
                "RATELIMIT_ENABLED": False,
                "BASE_URL": "http://bench.test",
                "CLOCK": lambda: now,
            }
        )
        results = {}
        with app.app_context():
            t0 = time.perf_counter()
            db.create_all()
            headers = fill(n, now)
            print(f"{label}: {n:,} reports, setup {time.perf_counter() - t0:.1f} s", flush=True)
            db.session.remove()
        client = app.test_client()
        for name, who, url in REQUESTS:
            results[name] = time_request(client, url, headers[who])
        if want_explain:
            explain_ticket_queries(app, now)
        with app.app_context():
            db.engine.dispose()
        return results
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 vs 2,000 reports")
    parser.add_argument("--explain", action="store_true", help="plans of the ticket lists")
    args = parser.parse_args()
    big, small = (20_000, 2_000) if args.quick else (1_000_000, 10_000)
    now = datetime.now(UTC).replace(microsecond=0)

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mm_bench_") as tmpdir:
        a = run_case("A", big, now, tmpdir, want_explain=args.explain)
        b = run_case("B", small, now, tmpdir, want_explain=False)

    print()
    print(f"{'request':<34} {'A ms':>8} {'B ms':>8} {'A/B':>6} {'status':>7} {'A bytes':>9}")
    ok = True
    for name, _, _ in REQUESTS:
        (a_ms, a_status, a_size), (b_ms, b_status, _) = a[name], b[name]
        ratio = a_ms / b_ms if b_ms else float("inf")
        flag = "" if ratio <= TARGET_RATIO and a_ms <= TARGET_MS else "  <- above target"
        print(
            f"{name:<34} {a_ms:8.1f} {b_ms:8.1f} {ratio:6.2f} {a_status:>3}/{b_status:<3} "
            f"{a_size:9,}{flag}"
        )
        if a_status != 200 or b_status != 200:
            ok = False
    print(
        f"A: {big:,} reports, B: {small:,}; target A/B <= {TARGET_RATIO:g}, A <= {TARGET_MS:g} ms"
    )
    print(f"total run time: {time.perf_counter() - started:.1f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
