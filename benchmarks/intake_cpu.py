"""App CPU per JSON intake, in-process, for two source trees side by side in the same run.

Each tree (``--tree PATH``, default: this checkout) gets a PostgreSQL database of its own
(``maengelmelder_intake_<random>``: migrated with that tree's ``db upgrade``, the demo city
loaded, dropped at the end) and a child process that imports the app from that tree, builds it
as ``maengelmelder serve`` would (rate limits on in Redis, raised as in benchmarks/load.py)
and posts the load benchmark's JSON report through Flask's test client: a warm-up, then
``--reports`` intakes timed with ``time.process_time`` (the app's CPU only; PostgreSQL and
Redis run in their own processes). The children run one after the other, alternating over
``--rounds`` rounds, so a machine that drifts hits both alike; the ratio of the first tree's
median to each other tree's is printed. ``--profile N`` writes a cProfile of N intakes per
tree instead (``--profile-out DIR``).

    .venv/bin/python benchmarks/intake_cpu.py --tree ../old-checkout --tree .
    .venv/bin/python benchmarks/intake_cpu.py --profile 2000

PostgreSQL: ``MAENGELMELDER_TEST_POSTGRES_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``, only to create and drop the databases);
Redis: ``--redis-url`` (default ``redis://127.0.0.1:6379/3``, flushed before each child).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_URL = os.environ.get(
    "MAENGELMELDER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
HIGH_LIMIT = "1000000/minute"
DESCRIPTIONS = (
    "Tiefes Schlagloch auf der rechten Fahrspur",
    "Laterne brennt seit Tagen nicht",
    "Illegal abgeladener Sperrmüll am Gehweg",
)


def child(args: argparse.Namespace) -> int:
    """Runs inside the tree to measure (its directory first on sys.path)."""
    import maengelmelder
    from maengelmelder.app import create_app

    app = create_app()
    client = app.test_client()
    categories = [
        c["code"]
        for c in json.loads(
            (Path(maengelmelder.__file__).parent / "demo" / "catalog.json").read_text()
        )["categories"]
    ]
    rng = random.Random(1)

    def post() -> None:
        body = {
            "category": rng.choice(categories),
            "lat": 50.09 + rng.random() * 0.02,
            "lon": 8.74 + rng.random() * 0.05,
            "description": rng.choice(DESCRIPTIONS),
            "fill_ms": rng.randint(20_000, 180_000),
        }
        resp = client.post(
            "/api/v1/reports",
            json=body,
            headers={
                "Idempotency-Key": uuid.uuid4().hex,
                "X-Device-Id": "bench-device",
                "Accept-Language": "de-DE,de;q=0.9",
            },
        )
        if resp.status_code != 201:
            raise SystemExit(f"intake answered {resp.status_code}: {resp.get_data(as_text=True)}")

    for _ in range(args.warmup):
        post()
    if args.profile:
        import cProfile

        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for _ in range(args.profile):
            post()
        profiler.disable()
        profiler.dump_stats(args.profile_out)
        print(json.dumps({"file": maengelmelder.__file__}))
        return 0
    times = []
    for _ in range(args.reports):
        started = time.process_time()
        post()
        times.append(time.process_time() - started)
    print(json.dumps({"file": maengelmelder.__file__, "ms": [t * 1000 for t in times]}))
    return 0


def run_tree(tree: Path, args: argparse.Namespace, extra: list[str]) -> dict:
    import redis
    import sqlalchemy as sa

    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    dbname = f"maengelmelder_intake_{secrets.token_hex(4)}"
    db_url = admin.url.set(database=dbname).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{dbname}"')
    try:
        redis.Redis.from_url(args.redis_url).flushdb()
        with tempfile.TemporaryDirectory(prefix="mm_intake_") as tmp:
            env = dict(os.environ)
            env.update(
                {
                    "PYTHONPATH": str(tree),
                    "MAENGELMELDER_DATABASE_URL": db_url,
                    "MAENGELMELDER_REDIS_URL": args.redis_url,
                    "MAENGELMELDER_INSTANCE_PATH": str(Path(tmp) / "instance"),
                    "MAENGELMELDER_MEDIA_DIR": str(Path(tmp) / "media"),
                    "MAENGELMELDER_SECRET_KEY": secrets.token_urlsafe(32),
                    "MAENGELMELDER_INTAKE_LIMIT_IP": HIGH_LIMIT,
                    "MAENGELMELDER_INTAKE_LIMIT_DEVICE": HIGH_LIMIT,
                    "MAENGELMELDER_COOKIE_SECURE": "false",
                }
            )
            for step in (["db", "upgrade"], ["demo", "load"]):
                subprocess.run(
                    [sys.executable, "-m", "maengelmelder", *step],
                    cwd=tree,
                    env=env,
                    check=True,
                    capture_output=True,
                )
            done = subprocess.run(
                [sys.executable, str(Path(__file__).resolve()), "--child", *extra],
                cwd=tree,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            return json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tree", action="append", default=[], help="a checkout to measure")
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--profile", type=int, default=0)
    parser.add_argument("--profile-out", default="")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    # Stopped with SIGTERM, the databases made so far are still dropped (run_tree's finally).
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    trees = [Path(t).resolve() for t in args.tree] or [ROOT]
    common = ["--reports", str(args.reports), "--warmup", str(args.warmup)]
    if args.profile:
        out = Path(args.profile_out or tempfile.mkdtemp(prefix="intake_profile_"))
        out.mkdir(parents=True, exist_ok=True)
        for index, tree in enumerate(trees):
            path = out / f"tree{index}.prof"
            run_tree(
                tree, args, [*common, "--profile", str(args.profile), "--profile-out", str(path)]
            )
            print(f"{tree}: profile of {args.profile} intakes in {path}")
        return 0
    medians: dict[Path, list[float]] = {tree: [] for tree in trees}
    for round_ in range(args.rounds):
        order = trees if round_ % 2 == 0 else trees[::-1]
        for tree in order:
            got = run_tree(tree, args, common)
            ms = got["ms"]
            median = statistics.median(ms)
            medians[tree].append(median)
            print(
                f"round {round_ + 1} {tree.name}: median {median:.2f} ms, "
                f"mean {statistics.fmean(ms):.2f} ms CPU per intake ({len(ms)} intakes)",
                flush=True,
            )
    first = statistics.median(medians[trees[0]])
    for tree in trees:
        mid = statistics.median(medians[tree])
        print(
            f"{tree}: {mid:.2f} ms CPU per JSON intake; {trees[0].name} / this: {first / mid:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
