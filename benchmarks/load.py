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
   a 4000 x 3000 phone JPEG with EXIF (about 3.3 MB, from ``tests/images.py``; ``--app-photo``
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

PostgreSQL: ``MAENGELMELDER_TEST_POSTGRES_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``; only used to create and drop the
benchmark's own database). Redis: ``--redis-url`` (default ``redis://127.0.0.1:6379/7``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from maengelmelder.cli import serve
from tests.images import app_jpeg, phone_jpeg

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_URL = os.environ.get(
    "MAENGELMELDER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
CLIENT = Path(__file__).with_name("load_client.py")
BASELINE = Path(__file__).with_name("baseline_app.py")
HIGH_LIMIT = "1000000/minute"
P99_TARGET_MS = 1000.0
RATIO_TARGET = 0.5
RATE_TOLERANCE = 0.95  # an achieved rate below 95 % of the asked one is a missed load
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
MIXED_NAMES = (
    "POST report (photo)",
    "POST report (retry)",
    "GET map (geojson)",
    "GET track",
    "GET open311 requests",
    "GET open311 request",
)


class Interrupted(Exception):
    pass


def _on_signal(signum, _frame):
    raise Interrupted(signal.Signals(signum).name)


# --------------------------------------------------------------------------- processes


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log: Path


@dataclass
class Stack:
    """Everything the run starts, so one finally can take it all down again."""

    tmp: Path
    procs: list[Proc] = field(default_factory=list)

    def start(self, name: str, args: list[str], env: dict[str, str]) -> Proc:
        log = self.tmp / f"{name}.log"
        with open(log, "wb") as out:
            popen = subprocess.Popen(
                args,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: Ctrl-C reaches us, we stop them
            )
        proc = Proc(name, popen, log)
        self.procs.append(proc)
        return proc

    def stop(self, proc: Proc, timeout: float = 30) -> None:
        if proc.popen.poll() is None:
            _signal_group(proc.popen.pid, signal.SIGTERM)
            try:
                proc.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(proc.popen.pid, signal.SIGKILL)
                proc.popen.wait(10)
        # gunicorn workers may outlive a killed master for a moment; end the group for sure.
        _signal_group(proc.popen.pid, signal.SIGKILL)
        if proc in self.procs:
            self.procs.remove(proc)

    def stop_all(self) -> None:
        for proc in reversed(list(self.procs)):
            try:
                self.stop(proc)
            except Exception as exc:  # keep cleaning up the rest
                print(f"warning: could not stop {proc.name}: {exc}", file=sys.stderr)


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(proc: Proc, url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"{proc.name} exited:\n{tail(proc.log)}")
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{proc.name} did not answer {url} within {timeout:.0f} s")


# --------------------------------------------------------------------------- CPU sampling


class CpuMonitor:
    """Samples CPU seconds of process groups and of the whole machine, once a second."""

    def __init__(self, groups: dict[str, Callable[[], list[int]]]) -> None:
        self.groups = groups  # label -> function returning the current pids of that group
        self._cpu: dict[int, float] = {}  # pid -> CPU seconds when last seen (kept after exit)
        self._label: dict[int, str] = {}
        self._samples: list[tuple[float, dict[int, float], float]] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.sample()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(1.0):
            self.sample()

    def sample(self) -> None:
        seen: dict[int, float] = {}
        for label, pids_of in self.groups.items():
            for pid in pids_of():
                try:
                    times = psutil.Process(pid).cpu_times()
                except psutil.Error:
                    continue
                seen[pid] = times.user + times.system
                self._label[pid] = label
        machine = psutil.cpu_times()
        busy = machine.user + machine.nice + machine.system + machine.irq + machine.softirq
        busy += getattr(machine, "steal", 0.0)
        with self._lock:
            self._cpu.update(seen)
            self._samples.append((time.time(), dict(self._cpu), busy))

    def usage(self, since: float, until: float) -> dict[str, float]:
        """Cores used per group from epoch second `since` to `until` (nearest samples)."""
        self.sample()
        with self._lock:
            samples = list(self._samples)
        first = min(samples, key=lambda s: abs(s[0] - since))
        last = min(samples, key=lambda s: abs(s[0] - until))
        (t0, cpu0, busy0), (t1, cpu1, busy1) = first, last
        span = max(t1 - t0, 1e-9)
        out: dict[str, float] = {label: 0.0 for label in self.groups}
        for pid, seconds in cpu1.items():
            out[self._label[pid]] += (seconds - cpu0.get(pid, 0.0)) / span
        out["machine"] = (busy1 - busy0) / span
        out["others"] = max(0.0, out["machine"] - sum(out[g] for g in self.groups))
        return out

    def close(self) -> None:
        self._stop.set()


def tree(proc: Proc | None) -> list[int]:
    if proc is None or proc.popen.poll() is not None:
        return []
    try:
        root = psutil.Process(proc.popen.pid)
        return [root.pid] + [child.pid for child in root.children(recursive=True)]
    except psutil.Error:
        return []


def postgres_backends(dbname: str) -> list[int]:
    """PostgreSQL backends serving the benchmark's database (their title names it)."""
    pids = []
    for process in psutil.process_iter(["name", "cmdline"]):
        cmdline = process.info.get("cmdline") or []
        if cmdline and cmdline[0].startswith("postgres:") and f" {dbname} " in cmdline[0]:
            pids.append(process.pid)
    return pids


# --------------------------------------------------------------------------- statistics


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, math.ceil(q * len(sorted_values)) - 1))
    return sorted_values[index]


@dataclass
class Row:
    name: str
    count: int
    errors: int
    rate: float
    p50: float
    p95: float
    p99: float
    max: float
    error_kinds: dict[str, int]


def rows_of(result: dict, names: tuple[str, ...] | None = None) -> list[Row]:
    window = result["window"][1] - result["window"][0]
    names = names or tuple(sorted(result["times"]))
    rows = []
    for name in names:
        times = sorted(result["times"].get(name, []))
        kinds = result["errors"].get(name, {})
        rows.append(
            Row(
                name,
                len(times),
                sum(kinds.values()),
                len(times) / window,
                percentile(times, 0.50),
                percentile(times, 0.95),
                percentile(times, 0.99),
                times[-1] if times else float("nan"),
                kinds,
            )
        )
    return rows


def cpu_ms(cores: float, rate: float) -> str:
    """CPU milliseconds per request from cores used at a request rate."""
    return f"{cores / rate * 1000:,.1f}" if rate else "-"


def ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:,.0f}"


def print_table(rows: list[Row], title: str) -> None:
    print(title)
    header = (
        f"  {'request':<24} {'count':>7} {'errors':>6} {'per s':>7} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7}"
    )
    print(header)
    print("  " + "-" * (len(header) - 2))
    for r in rows:
        print(
            f"  {r.name:<24} {r.count:>7,} {r.errors:>6,} {r.rate:>7.1f} "
            f"{ms(r.p50):>7} {ms(r.p95):>7} {ms(r.p99):>7} {ms(r.max):>7}"
        )
        for kind, n in sorted(r.error_kinds.items(), key=lambda kv: -kv[1])[:5]:
            print(f"      {n:>6,} x {kind}")


def print_cpu(usage: dict[str, float], cores: int) -> None:
    parts = [f"{label} {value:.2f}" for label, value in usage.items() if label != "machine"]
    print(f"  CPU (cores of {cores}): machine {usage['machine']:.2f} busy = " + ", ".join(parts))


# --------------------------------------------------------------------------- the run


@dataclass
class Settings:
    duration: float
    phase_seconds: float
    rounds: int
    users: int
    report_rate: float
    read_rate: float
    retry_share: float
    redis_url: str
    workers: int | None
    threads: int | None
    photo_size: tuple[int, int] = (4000, 3000)
    app_photo: bool = False


def photo_kind(settings: Settings) -> str:
    return "JPEG as the citizen app uploads it" if settings.app_photo else "phone JPEG with EXIF"


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
    args = parser.parse_args(argv)
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
        return run(settings)
    except (KeyboardInterrupt, Interrupted) as exc:
        print(f"\ninterrupted ({exc or 'Ctrl-C'}); everything was cleaned up", file=sys.stderr)
        return 130


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


def report(settings: Settings, **r) -> None:
    cores = r["cores"]
    print()
    print("=" * 78)
    rows = rows_of(r["mixed"], MIXED_NAMES)
    print_table(rows, f"mixed scenario, {settings.duration:g} s (after a 5 s warm-up):")
    window = r["mixed"]["window"][1] - r["mixed"]["window"][0]
    reads = [row for row in rows if row.name.startswith("GET")]
    report_rate = rows[0].count / window
    read_rate = sum(row.count for row in reads) / window
    print(
        f"  achieved: {report_rate:.2f} photo reports/s (asked {settings.report_rate:g}), "
        f"{read_rate:.1f} reads/s (asked {settings.read_rate:g})"
    )
    if r["mixed"].get("unfinished_users"):
        print(f"  {r['mixed']['unfinished_users']} users still busy after the drain time")
    print_cpu(r["mixed_usage"], cores)

    c = r["check"]
    print()
    print("database check of the mixed scenario:")
    print(
        f"  keys sent {c['keys_sent']:,}, answered 201 {c['keys_201']:,}, stored "
        f"{c['stored']:,}; duplicates {c['duplicates']}, missing {c['missing']}, other public "
        f"id {c['wrong_id']}, without exactly one photo {c['without_photo']}, stored without a "
        f"201 (client error) {c['stored_without_201']}, unknown {c['unknown_keys']}"
    )
    print(
        f"  retries with the same key: {c['retries']} ({c['retries_racing']} racing): "
        f"{c['retries_ok']} answered with the same report (one replay each), "
        f"{len(c['retries_wrong'])} with different reports or replays, "
        f"{c['retries_unanswered']} without an answer (counted as errors above)"
    )
    for wrong in c["retries_wrong"][:5]:
        print(f"    {wrong}")

    def mean_rate(runs: list[tuple[dict, dict]]) -> float:
        count = sum(
            len(res["times"].get(name, [])) - sum(res["errors"].get(name, {}).values())
            for res, _ in runs
            for name in res["times"]
        )
        seconds = sum(res["window"][1] - res["window"][0] for res, _ in runs)
        return count / seconds

    def mean_cpu(runs: list[tuple[dict, dict]], server: str) -> float:
        """Server CPU (cores) over the phases, weighted by their length."""
        seconds = sum(res["window"][1] - res["window"][0] for res, _ in runs)
        return sum(use[server] * (res["window"][1] - res["window"][0]) for res, use in runs) / (
            seconds
        )

    intake = mean_rate(r["throughput"]["intake"])
    base = mean_rate(r["throughput"]["baseline"])

    def ratio_of(intake_rate: float, base_rate: float) -> float:
        return intake_rate / base_rate if base_rate else float("nan")

    ratio = ratio_of(intake, base)
    # Phases run intake, baseline, baseline, intake...: the k-th of each are neighbours. How
    # far their ratios differ shows how much the machine's speed drifted during the run.
    pairs = [
        ratio_of(mean_rate([i]), mean_rate([b]))
        for i, b in zip(r["throughput"]["intake"], r["throughput"]["baseline"], strict=True)
    ]
    spread = " ".join(f"{pair:.2f}" for pair in pairs)
    intake_cpu = cpu_ms(mean_cpu(r["throughput"]["intake"], "app"), intake)
    base_cpu = cpu_ms(mean_cpu(r["throughput"]["baseline"], "baseline"), base)
    photo_row, photo_usage = r["photo"]
    photo_cpu = cpu_ms(photo_usage["app"], photo_row.rate)
    print()
    print(
        f"intake without photos: {intake:.1f} reports/s ({intake_cpu} ms app CPU each); "
        f"baseline: {base:.1f} rows/s ({base_cpu} ms CPU each); "
        f"ratio {ratio:.2f} (target >= {RATIO_TARGET}; neighbouring phases: {spread})"
    )
    print(
        f"photo intake at full speed: {photo_row.rate:.1f} reports/s "
        f"({photo_cpu} ms app CPU each; p50 {ms(photo_row.p50)} ms, {photo_row.errors} errors)"
    )
    findings = {name: lines for name, lines in r["server_log"].items() if lines}
    print(
        "app log: "
        + (
            ", ".join(f"{len(v)} {k}" for k, v in findings.items())
            or "no worker timeouts, no tracebacks, no 5xx"
        )
    )
    for name, lines in findings.items():
        for line in lines[:3]:
            print(f"  {name}: {line}")
    load_before, load_after = r["load"]
    print(
        f"load average before {load_before[0]:.2f} / {load_before[1]:.2f} / "
        f"{load_before[2]:.2f}, after {load_after[0]:.2f} / {load_after[1]:.2f} / "
        f"{load_after[2]:.2f} (1/5/15 min); total run time {r['elapsed']:.0f} s"
    )

    errors = sum(row.errors for row in rows)
    worst = max(rows, key=lambda row: -1 if math.isnan(row.p99) else row.p99)
    stored_once = (
        c["duplicates"] == 0 and c["missing"] == 0 and c["wrong_id"] == 0 and c["keys_201"] > 0
    )
    retries_ok = c["retries_ok"] > 0 and not c["retries_wrong"]
    rates_ok = (
        report_rate >= RATE_TOLERANCE * settings.report_rate
        and read_rate >= RATE_TOLERANCE * settings.read_rate
    )

    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    print()
    print("targets:")
    print(f"  zero errors ({errors}): {verdict(errors == 0)}")
    print(
        f"  p99 < {P99_TARGET_MS:.0f} ms for every request type (worst: {worst.name} "
        f"{ms(worst.p99)} ms): {verdict(worst.p99 < P99_TARGET_MS)}"
    )
    print(f"  every 201 stored exactly once: {verdict(stored_once)}")
    print(f"  retries answered with the same report: {verdict(retries_ok)}")
    print(f"  asked rates reached (>= {RATE_TOLERANCE:.0%}): {verdict(rates_ok)}")
    print(f"  intake / baseline >= {RATIO_TARGET} ({ratio:.2f}): {verdict(ratio >= RATIO_TARGET)}")

    mu = r["mixed_usage"]
    print()
    print("for the README:")
    print()
    print(
        f"**Load** (`benchmarks/load.py`: `maengelmelder serve`, gunicorn {r['workers']} "
        f"workers × {r['threads']} threads, with PostgreSQL, Redis, the rq worker and the load "
        f"client on the same {cores}-core machine; rate limits raised): "
        f"{settings.duration / 60:g} minutes of {settings.report_rate:g} reports/s, each with "
        f"a {settings.photo_size[0]} × {settings.photo_size[1]} {photo_kind(settings)} "
        f"({r['photo_mb']:.1f} MB), {settings.retry_share:.0%} "
        f"retried with the same key, and {settings.read_rate:g} reads/s (map, tracking, "
        f"Open311), starting with {r['stored_before']:,} reports stored:"
    )
    print()
    print("| request | count | errors | p50 | p95 | p99 | max |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row.name} | {row.count:,} | {row.errors} | {ms(row.p50)} ms | "
            f"{ms(row.p95)} ms | {ms(row.p99)} ms | {ms(row.max)} ms |"
        )
    print()
    print(
        f"Achieved {report_rate:.1f} reports/s and {read_rate:.0f} reads/s; "
        f"{errors} errors; p99 ≤ {ms(worst.p99)} ms (target < 1 s: "
        f"{verdict(worst.p99 < P99_TARGET_MS)}); {c['keys_201']:,} reports answered 201, "
        f"each stored exactly once ({verdict(stored_once)}), {c['retries_ok']} of "
        f"{c['retries']} retries got the same report. CPU during the run: "
        f"{mu['machine']:.1f} of {cores} cores busy (app {mu['app']:.2f}, PostgreSQL "
        f"{mu['postgres']:.2f}, load client {mu['client']:.2f}, other {mu['others']:.2f})."
        f" Intake without photos at full speed: {intake:.0f} reports/s ({intake_cpu} ms of "
        f"app CPU each) against {base:.0f} rows/s ({base_cpu} ms) for a bare Flask insert — "
        f"**ratio {ratio:.2f}** (target ≥ {RATIO_TARGET}; neighbouring phases alone: "
        f"{spread}); photo intake at full speed: "
        f"{photo_row.rate:.1f} reports/s ({photo_cpu} ms of app CPU each)."
    )


if __name__ == "__main__":
    sys.exit(main())
