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
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# The helpers, in modules of their own next to this script.
from history_db import (
    STAFF,
    History,
    age_days,
    drop_cached,
    ensure_postgres,
    ensure_sqlite,
    samples_of,
    schema_version,
    span_years,
)
from history_endpoints import endpoints
from history_results import measure, ms, print_markdown, print_results, server_trouble
from history_servers import Server, Side, start_server

SIZES = {  # (small, large) reports per backend
    ("postgres", False): (10_000, 1_000_000),
    ("postgres", True): (2_000, 50_000),
    ("sqlite", False): (10_000, 100_000),
    ("sqlite", True): (2_000, 20_000),
}
# A big city's reports a year: a million reports are ten years of history, ten thousand about
# five weeks, so both have about as many open tickets and the lists of them fill alike.
RATE = 100_000
STALE_DAYS = 7  # a kept database older than this has no reports of the last days


class Interrupted(Exception):
    pass


def _on_signal(signum, _frame):
    raise Interrupted(signal.Signals(signum).name)


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
