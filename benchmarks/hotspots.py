"""Benchmark the board's hotspot reads against the board's summary, on years of history.

The hotspot view ("Brennpunkte") counts open and breached tickets per zone and per grid cell.
Both count only the open tickets, as the board summary's live figures do, so at any size of
history they should cost about what the summary costs. This script times, in one run and
alternately on the same database, through the app's own routes (Flask's test client, a
citywide supervisor's API token):

* the baseline: ``GET /api/v1/sla/summary`` (the board as supervisors open it);
* ``GET /api/v1/board/hotspots`` for districts, for areas, and filtered by a category;
* ``GET /api/v1/board/hotspots/cells`` over the whole city at zoom 13 and at zoom 16.

Databases: ``--database URL`` (any number; e.g. one built before with ``demo history``), else
one built (and kept) the way ``benchmarks/history.py`` builds its own: ``maengelmelder db
upgrade``, ``demo load``, ``demo history --reports N --seed 1 --years Y`` (a city of 100,000
reports a year), in ``instance/bench-history/`` or as a PostgreSQL database of the same name.

    .venv/bin/python benchmarks/hotspots.py                          # SQLite, 100,000 reports
    .venv/bin/python benchmarks/hotspots.py --backend postgres --reports 100000
    .venv/bin/python benchmarks/hotspots.py --database sqlite:////path/to/history.db

Printed per read: the median and 90th percentile of ``--reps`` requests, the answer's bytes,
and the ratio of its median to the summary's. A benchmark reports; it asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from history_db import History, ensure_postgres, ensure_sqlite

from maengelmelder.accounts.service import create_token
from maengelmelder.app import create_app
from maengelmelder.city import city
from maengelmelder.clock import system_clock
from maengelmelder.core import states
from maengelmelder.core.models import Report
from maengelmelder.extensions import db

RATE = 100_000  # reports a year, as benchmarks/history.py assumes


def reads(bbox: str) -> list[tuple[str, str]]:
    """(label, path) of every read timed; the first is the baseline."""
    return [
        ("SLA summary (baseline)", "/api/v1/sla/summary"),
        ("hotspots: districts", "/api/v1/board/hotspots?kind=district"),
        ("hotspots: areas", "/api/v1/board/hotspots?kind=area"),
        ("hotspots: districts, one category", "/api/v1/board/hotspots?category=schlagloch"),
        ("cells: city at zoom 13", f"/api/v1/board/hotspots/cells?bbox={bbox}&zoom=13"),
        ("cells: city at zoom 16", f"/api/v1/board/hotspots/cells?bbox={bbox}&zoom=16"),
    ]


def measure(url: str, reps: int) -> None:
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "INPROCESS_JOBS": False, "RATELIMIT_ENABLED": False}
    )
    with app.app_context():
        reports = db.session.query(Report).count()
        open_ = db.session.query(Report).filter(Report.status.in_(sorted(states.OPEN))).count()
        _, token = create_token(
            db.session,
            name="hotspot benchmark",
            role="supervisor",
            departments=(),
            citywide=True,
            now=system_clock(),
        )
        db.session.commit()
        min_lon, min_lat, max_lon, max_lat = city().boundary.bounds
    bbox = f"{min_lon:.5f},{min_lat:.5f},{max_lon:.5f},{max_lat:.5f}"
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    print(f"\n== {url.split('://')[0]}: {reports:,} reports, {open_:,} open", flush=True)
    paths = reads(bbox)
    times: dict[str, list[float]] = {label: [] for label, _ in paths}
    sizes: dict[str, int] = {}
    for label, path in paths:  # warm up: plans, caches, the catalogue
        resp = client.get(path, headers=headers)
        assert resp.status_code == 200, (path, resp.status_code, resp.get_data(as_text=True))
        sizes[label] = len(resp.get_data())
    for _ in range(reps):  # alternately, so a machine that slows down hits every read alike
        for label, path in paths:
            started = time.perf_counter()
            resp = client.get(path, headers=headers)
            resp.get_data()
            times[label].append((time.perf_counter() - started) * 1000)
    base = statistics.median(times[paths[0][0]])
    print(f"  {'read':36} {'median ms':>10} {'p90 ms':>8} {'bytes':>8} {'ratio':>6}")
    for label, _ in paths:
        ts = sorted(times[label])
        median, p90 = statistics.median(ts), ts[min(len(ts) - 1, int(0.9 * len(ts)))]
        print(f"  {label:36} {median:10.1f} {p90:8.1f} {sizes[label]:8,} {median / base:6.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", action="append", default=[], help="SQLAlchemy URL")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reps", type=int, default=15)
    args = parser.parse_args()
    urls = list(args.database)
    if not urls:
        ensure = ensure_postgres if args.backend == "postgres" else ensure_sqlite
        years = max(0.01, round(args.reports / RATE, 3))
        with tempfile.TemporaryDirectory() as tmp:
            urls.append(ensure(History(args.reports, args.seed, years), False, Path(tmp)).url)
    for url in urls:
        measure(url, args.reps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
