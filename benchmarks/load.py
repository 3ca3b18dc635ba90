"""Load benchmark: the real app under gunicorn, photo intake plus reads, against a bare baseline.

Everything runs on this machine, on loopback, against the real PostgreSQL and Redis:

* a database of its own (``maengelmelder_bench_<random>``, created, migrated with
  ``maengelmelder db upgrade``, the demo city loaded, dropped at the end), Redis database 7
  (flushed before and after, no other one touched), media in a temporary directory;
* ``maengelmelder serve`` (gunicorn with the command's production defaults for workers and
  threads, access log on) and ``maengelmelder worker`` (rq, as in production);
* the database is ANALYZEd after the seeding phases, before the mixed scenario: a default
  PostgreSQL would have done that by itself (autovacuum), and without statistics the
  planner reads the whole city's reports for one map;
* rate limits stay **on** (counted in Redis as in production) but are raised to 1,000,000 per
  minute, since every request comes from one address;
* ``benchmarks/baseline_app.py``: a minimal Flask endpoint that inserts one row into a
  one-table schema in the same database, served by the same gunicorn launcher and settings.

Phases, each driven by ``benchmarks/load_client.py`` (locust ``FastHttpUser``s, headless):

1. **Intake against the baseline**: the same JSON report (no photo) posted at full speed by
   the same number of users to the real intake and to the baseline, for the same time,
   alternating intake, baseline, baseline, intake (twice each) so drift hits both alike; the
   ratio of each intake phase to its neighbouring baseline phase is printed too, as a measure
   of that drift.
   Target: intake throughput >= 0.5 x baseline. These reports also give the database some
   content for the reads later.
2. **Photo intake at full speed** (for information): the same users post photo reports.
3. **Mixed scenario** (``--duration``, default 300 s; requests arrive as a Poisson process at
   the asked rates): 10 reports/s, each a multipart POST of
   a 4000 x 3000 phone JPEG with EXIF (about 3.3 MB, from ``tests/images/``; ``--app-photo``
   for what the citizen app uploads: scaled on a canvas to 1600 x 1200, JFIF at quality 0.82,
   no EXIF, landscape and portrait) and an
   ``Idempotency-Key``, 2 % of them sent twice with the same key (half one after the other,
   half racing); plus 100 reads/s: the citizen app's map (GeoJSON, ``view=map&limit=500``, the
   whole city or a viewport) 50 %, tracking pages of reports made in this run 20 %, Open311
   ``requests.json`` (by category and status, what is new in the last 5 minutes, or a few
   known ids) 15 %, Open311 ``requests/<id>.json`` 15 %. Every request comes on a connection
   of its own, as from many phones; the full-speed phases keep connections alive.
   Targets: zero errors, p99 < 1 s for every request type, every report answered with 201
   stored exactly once, and each retry answered with the same report.

Afterwards the database is checked: per idempotency key of this run exactly one report, one for
every key that got a 201 and with the public id the client was given. CPU use during each phase
is sampled (the app's processes, the benchmark database's PostgreSQL backends, the load
client, and everything else on the machine) so a noisy machine shows. A benchmark reports, it
does not fail: missed targets are printed as MISSED; the exit code is 1 only when the run
itself broke (a server did not start, the client crashed).

    .venv/bin/python benchmarks/load.py            # about 8 minutes
    .venv/bin/python benchmarks/load.py --quick    # 30 s mixed, 10 s phases: about 2 minutes
    .venv/bin/python benchmarks/load.py --media s3 --quick   # photos: local folder against S3

PostgreSQL: ``MAENGELMELDER_TEST_POSTGRES_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``; only used to create and drop the
benchmark's own database). Redis: ``--redis-url`` (default ``redis://127.0.0.1:6379/7``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from load_checks import analyze, count_reports, log_findings, verify
from load_processes import (
    ROOT,
    CpuMonitor,
    Stack,
    free_port,
    postgres_backends,
    tail,
    tree,
    wait_healthy,
)
from load_report import Settings, cpu_ms, ms, photo_kind, print_cpu, report, rows_of

from maengelmelder.cli import serve
from tests.images import app_jpeg, phone_jpeg

POSTGRES_URL = os.environ.get(
    "MAENGELMELDER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
CLIENT = Path(__file__).with_name("load_client.py")
BASELINE = Path(__file__).with_name("baseline_app.py")
HIGH_LIMIT = "1000000/minute"
# The demo city's bounding box (lon/lat), from maengelmelder/demo/boundary.geojson.
CITY_BBOX = (8.715, 50.08036, 8.815, 50.11964)
PHOTO_GPS = (8.765, 50.1)  # (lon, lat) inside the demo city
# Reports are filed in every category of the demo city (some publish automatically).
CATEGORIES = tuple(
    c["code"]
    for c in json.loads((ROOT / "maengelmelder" / "demo" / "catalog.json").read_text())[
        "categories"
    ]
)


class Interrupted(Exception):
    pass


def _on_signal(signum, _frame):
    raise Interrupted(signal.Signals(signum).name)


# --------------------------------------------------------------------------- the run


def _photo_size(parser: argparse.ArgumentParser, raw: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in raw.lower().split("x"))
    except ValueError:
        parser.error(f"--photo-size: WIDTHxHEIGHT, not {raw!r}")
    if not (16 <= width <= 8000 and 16 <= height <= 8000):
        parser.error("--photo-size: each side between 16 and 8000 pixels")
    return width, height


def run_client(stack: Stack, spec: dict, label: str) -> dict:
    spec_path = stack.tmp / f"{label}.spec.json"
    result_path = stack.tmp / f"{label}.result.json"
    spec_path.write_text(json.dumps(spec))
    proc = stack.start(
        f"client-{label}",
        [sys.executable, str(CLIENT), str(spec_path), str(result_path)],
        dict(os.environ),
    )
    limit = spec["warmup"] + spec["duration"] + spec.get("drain_seconds", 90) + 60
    try:
        code = proc.popen.wait(limit)
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"load client {label} did not finish:\n{tail(proc.log)}") from exc
    finally:
        stack.stop(proc)
    if code != 0 or not result_path.exists():
        raise RuntimeError(f"load client {label} failed ({code}):\n{tail(proc.log)}")
    return json.loads(result_path.read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, help="mixed scenario, seconds (300)")
    parser.add_argument("--quick", action="store_true", help="30 s mixed, 10 s other phases")
    parser.add_argument("--phase-seconds", type=float, help="each full-speed phase (30 s)")
    parser.add_argument("--rounds", type=int, help="intake/baseline phases of each (2)")
    parser.add_argument("--users", type=int, default=16, help="users at full speed")
    parser.add_argument("--report-rate", type=float, default=10.0)
    parser.add_argument("--read-rate", type=float, default=100.0)
    parser.add_argument("--retry-share", type=float, default=0.02)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/7")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default: serve's)")
    parser.add_argument("--threads", type=int, help="threads per worker (default: serve's)")
    parser.add_argument(
        "--photo-size",
        default="4000x3000",
        help="the posted photo, WIDTHxHEIGHT: 4000x3000 is a phone camera's photo as taken; "
        "the citizen app scales photos to 1600x1200 before it uploads them",
    )
    parser.add_argument(
        "--app-photo",
        action="store_true",
        help="post what the citizen app uploads (a canvas JPEG, no EXIF; 1600x1200 unless "
        "--photo-size says otherwise) instead of a camera's photo",
    )
    parser.add_argument(
        "--media",
        choices=["s3"],
        help="s3: instead of the phases above, the citizen app's uploads against the local "
        "folder and an S3 bucket (a private SeaweedFS) side by side (benchmarks/load_media.py)",
    )
    args = parser.parse_args(argv)
    if args.media:
        args.app_photo = True
    if args.app_photo and args.photo_size == parser.get_default("photo_size"):
        args.photo_size = "1600x1200"
    # --quick changes the defaults; values given explicitly still win.
    quick = {"duration": 30, "phase_seconds": 10, "rounds": 1}
    full = {"duration": 300, "phase_seconds": 30, "rounds": 2}
    for name, default in (quick if args.quick else full).items():
        if getattr(args, name) is None:
            setattr(args, name, default)
    settings = Settings(
        args.duration,
        args.phase_seconds,
        args.rounds,
        args.users,
        args.report_rate,
        args.read_rate,
        args.retry_share,
        args.redis_url,
        args.workers,
        args.threads,
        _photo_size(parser, args.photo_size),
        args.app_photo,
    )
    # SIGINT too: a shell without job control starts background jobs with it ignored.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)
    try:
        return run_media(settings) if args.media else run(settings)
    except (KeyboardInterrupt, Interrupted) as exc:
        print(f"\ninterrupted ({exc or 'Ctrl-C'}); everything was cleaned up", file=sys.stderr)
        return 130


def run_media(settings: Settings) -> int:
    import load_media

    defaults = {p.name: p.default for p in serve.params}
    workers = settings.workers or defaults["workers"]
    threads = settings.threads or defaults["threads"]
    common = {
        "city_bbox": CITY_BBOX,
        "categories": CATEGORIES,
        "spawn_seconds": 1,
        "warmup": 3,
        "duration": settings.phase_seconds,
        "users": settings.users,
    }
    return load_media.run(
        settings,
        postgres_url=POSTGRES_URL,
        high_limit=HIGH_LIMIT,
        common=common,
        run_client=run_client,
        gunicorn_args=["--workers", str(workers), "--threads", str(threads)],
    )


def run(settings: Settings) -> int:
    started = time.monotonic()
    load_before = os.getloadavg()
    run_id = secrets.token_hex(4)
    dbname = f"maengelmelder_bench_{run_id}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    db_url = admin.url.set(database=dbname).render_as_string(hide_password=False)
    defaults = {p.name: p.default for p in serve.params}
    workers = settings.workers or defaults["workers"]
    threads = settings.threads or defaults["threads"]
    same = (workers, threads) == (defaults["workers"], defaults["threads"])
    cores = psutil.cpu_count() or 1

    print(
        f"load benchmark: {cores} cores, load average {load_before[0]:.2f} / "
        f"{load_before[1]:.2f} / {load_before[2]:.2f} (1/5/15 min) before the run"
    )
    print(
        f"gunicorn: {workers} workers x {threads} threads "
        f"({'the serve command defaults' if same else 'NOT the serve command defaults'}), "
        f"for the app and the baseline; rate limits on, raised to {HIGH_LIMIT}"
    )

    import redis

    redis_client = redis.Redis.from_url(settings.redis_url)
    created_db = False
    monitor: CpuMonitor | None = None
    with tempfile.TemporaryDirectory(prefix="mm_load_") as tmpdir:
        stack = Stack(Path(tmpdir))
        try:
            photos = []
            width, height = settings.photo_size
            for index in (0, 1):
                path = stack.tmp / f"photo-{index}.jpg"
                if settings.app_photo:  # landscape and portrait, upright as the canvas drew them
                    path.write_bytes(app_jpeg(*((width, height) if index else (height, width))))
                else:  # as the camera stored it: turned by EXIF for half of them
                    path.write_bytes(phone_jpeg(width, height, (6, 1)[index], gps=PHOTO_GPS))
                photos.append(str(path))
            photo_mb = Path(photos[0]).stat().st_size / 1e6
            print(f"photo: {width} x {height} {photo_kind(settings)}, {photo_mb:.1f} MB")

            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{dbname}"')
            created_db = True
            redis_client.flushdb()
            env = dict(os.environ)
            env.update(
                {
                    "MAENGELMELDER_DATABASE_URL": db_url,
                    "MAENGELMELDER_REDIS_URL": settings.redis_url,
                    "MAENGELMELDER_INSTANCE_PATH": str(stack.tmp / "instance"),
                    "MAENGELMELDER_MEDIA_DIR": str(stack.tmp / "media"),
                    "MAENGELMELDER_SECRET_KEY": secrets.token_urlsafe(32),
                    "MAENGELMELDER_INTAKE_LIMIT_IP": HIGH_LIMIT,
                    "MAENGELMELDER_INTAKE_LIMIT_DEVICE": HIGH_LIMIT,
                    "MAENGELMELDER_COOKIE_SECURE": "false",
                }
            )
            cli = [sys.executable, "-m", "maengelmelder"]
            for step in (["db", "upgrade"], ["demo", "load"]):
                done = subprocess.run(
                    cli + step, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
                )
                if done.returncode != 0:
                    raise RuntimeError(f"{' '.join(step)} failed:\n{done.stdout}{done.stderr}")
            print(f"database {dbname}: migrated, demo city loaded")

            app_port, base_port = free_port(), free_port()
            gunicorn_args = ["--workers", str(workers), "--threads", str(threads)]
            app = stack.start(
                "app",
                [*cli, "serve", "--host", "127.0.0.1", "--port", str(app_port), *gunicorn_args],
                env,
            )
            worker = stack.start("worker", [*cli, "worker"], env)
            baseline = stack.start(
                "baseline",
                [
                    sys.executable,
                    str(BASELINE),
                    "--database-url",
                    db_url,
                    "--port",
                    str(base_port),
                    *gunicorn_args,
                ],
                env,
            )
            app_url, base_url = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{base_port}"
            wait_healthy(app, app_url + "/healthz")
            wait_healthy(baseline, base_url + "/healthz")

            def client_pids() -> list[int]:
                return [pid for p in stack.procs if p.name.startswith("client") for pid in tree(p)]

            monitor = CpuMonitor(
                {
                    "app": lambda: tree(app),
                    "worker": lambda: tree(worker),
                    "baseline": lambda: tree(baseline),
                    "postgres": lambda: postgres_backends(dbname),
                    "client": client_pids,
                }
            )

            common = {
                "city_bbox": CITY_BBOX,
                "categories": CATEGORIES,
                "photos": photos,
                "spawn_seconds": 1,
                "warmup": 3,
                "duration": settings.phase_seconds,
                "users": settings.users,
            }
            throughput: dict[str, list[tuple[dict, dict]]] = {"intake": [], "baseline": []}
            order = ["intake", "baseline", "baseline", "intake"] * math.ceil(settings.rounds / 2)
            order = order[: 2 * settings.rounds]
            print()
            print(
                f"1. intake without photos against the baseline: {settings.users} users at "
                f"full speed, {settings.phase_seconds:g} s each, order {', '.join(order)}"
            )
            seed_tracking: list[str] = []
            seed_ids: list[str] = []
            for index, which in enumerate(order):
                spec = dict(common)
                if which == "intake":
                    spec.update(
                        mode="json_intake",
                        base_url=app_url,
                        post_path="/api/v1/reports",
                        request_name="POST report (JSON)",
                        key_prefix=f"json-{run_id}-{index}-",
                    )
                else:
                    spec.update(
                        mode="baseline",
                        base_url=base_url,
                        post_path="/reports",
                        request_name="POST baseline (JSON)",
                        key_prefix=f"base-{run_id}-{index}-",
                    )
                result = run_client(stack, spec, f"{index}-{which}")
                usage = monitor.usage(*result["window"])
                throughput[which].append((result, usage))
                seed_tracking += result["tracking"]
                seed_ids += result["public_ids"]
                [row] = rows_of(result)
                server = "app" if which == "intake" else "baseline"
                print(
                    f"  {which:<8} {row.count:>6,} requests {row.errors:>4} errors "
                    f"{row.rate:>7.1f}/s  p50 {ms(row.p50)} ms  p99 {ms(row.p99)} ms  "
                    f"server CPU {cpu_ms(usage[server], row.rate)} ms/request"
                )
                print_cpu(usage, cores)

            print()
            print(
                f"2. photo intake at full speed: {settings.users} users, "
                f"{settings.phase_seconds:g} s"
            )
            spec = dict(common)
            spec.update(
                mode="photo_intake",
                base_url=app_url,
                post_path="/api/v1/reports",
                request_name="POST report (photo)",
                key_prefix=f"photo-{run_id}-",
            )
            photo_result = run_client(stack, spec, "photo")
            photo_usage = monitor.usage(*photo_result["window"])
            [photo_row] = rows_of(photo_result)
            print(
                f"  photo    {photo_row.count:>6,} requests {photo_row.errors:>4} errors "
                f"{photo_row.rate:>7.1f}/s  p50 {ms(photo_row.p50)} ms  "
                f"p99 {ms(photo_row.p99)} ms  "
                f"server CPU {cpu_ms(photo_usage['app'], photo_row.rate)} ms/request"
            )
            print_cpu(photo_usage, cores)
            seed_tracking += photo_result["tracking"]
            seed_ids += photo_result["public_ids"]

            stored_before = count_reports(db_url)
            autovacuum = analyze(db_url)
            reporters = max(4, math.ceil(settings.report_rate * 3))
            readers = max(10, math.ceil(settings.read_rate * 2))
            print()
            print(
                f"3. mixed scenario: {settings.duration:g} s, {settings.report_rate:g} photo "
                f"reports/s ({reporters} users), {settings.read_rate:g} reads/s ({readers} "
                f"users), {settings.retry_share:.0%} of reports retried; "
                f"{stored_before:,} reports in the database at the start (ANALYZEd first"
                f"{'' if autovacuum else '; autovacuum is off on this server'})"
            )
            mixed_prefix = f"mix-{run_id}-"
            spec = dict(common)
            spec.update(
                mode="mixed",
                base_url=app_url,
                post_path="/api/v1/reports",
                key_prefix=mixed_prefix,
                duration=settings.duration,
                warmup=5,
                spawn_seconds=5,
                report_rate=settings.report_rate,
                read_rate=settings.read_rate,
                retry_share=settings.retry_share,
                reporter_users=reporters,
                reader_users=readers,
                seed_tracking=seed_tracking[-2000:],
                seed_public_ids=seed_ids[-2000:],
            )
            mixed = run_client(stack, spec, "mixed")
            mixed_usage = monitor.usage(*mixed["window"])
            check = verify(db_url, mixed_prefix, mixed)
            load_after = os.getloadavg()
            server_log = log_findings(app.log)
        finally:
            if monitor is not None:
                monitor.close()
            stack.stop_all()
            try:
                redis_client.flushdb()
            except redis.RedisError as exc:
                print(f"warning: could not flush {settings.redis_url}: {exc}", file=sys.stderr)
            if created_db:
                with admin.connect() as conn:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
            admin.dispose()

    report(
        settings,
        cores=cores,
        workers=workers,
        threads=threads,
        photo_mb=photo_mb,
        throughput=throughput,
        photo=(photo_row, photo_usage),
        mixed=mixed,
        mixed_usage=mixed_usage,
        check=check,
        stored_before=stored_before,
        load=(load_before, load_after),
        server_log=server_log,
        elapsed=time.monotonic() - started,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
