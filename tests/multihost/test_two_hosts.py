"""Two app hosts and their workers share PostgreSQL (through PgBouncer), Redis and the object
store.

Real processes, as on two machines: two `maengelmelder serve` (gunicorn) on two ports and two
`maengelmelder worker` (rq), all on one PostgreSQL schema reached through a private PgBouncer
in transaction mode (DATABASE_POOLER=pgbouncer), one private redis-server and a prefix of its
own in the session's SeaweedFS bucket (MEDIA_URL=s3://…); each host has an empty media folder
of its own, so a photo can only come from the bucket. Mails go to an aiosmtpd server in the
test process that records every delivery.

What a citizen and a clerk would notice: a report filed on one host is read, with its photo,
on the other, also after a worker's privacy pass replaced the photo's files; the reporter's
link from filing still leads to the photo; a staff session started on one works on the other
and a logout on one ends it on both; the ticket's deadline passes and it is escalated once,
its mails arrive once each; each recurring job is scheduled once, however many workers start.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
import requests
import sqlalchemy as sa
from sqlalchemy.orm import Session

from maengelmelder.app import create_app
from maengelmelder.core.models import Photo, Report
from maengelmelder.extensions import db
from maengelmelder.notify.models import SENT, OutboxMessage
from tests.conftest import (
    PASSWORD,
    START,
    create_postgres_schema,
    drop_postgres_schema,
    unavailable,
)
from tests.faults.conftest import app_env
from tests.faults.services import (
    RedisServer,
    Unavailable,
    free_port,
    start_app_process,
    stop_process,
    wait_until,
)
from tests.faults.smtp import HonestSmtp, smtp_server
from tests.images import photos as images
from tests.media.seaweed import BucketPrefix, SeaweedServer, new_prefix
from tests.pgbouncer import start_pgbouncer
from tests.reports.helpers import report_json

SUPERVISOR = "leitung@stadt.example"
CLERK = "sachbearbeitung@stadt.example"


@dataclass
class Site:
    direct_url: str  # PostgreSQL itself, for the test's own checks
    hosts: list[str]  # the two hosts' base URLs
    redis_url: str
    smtp: HonestSmtp
    logs: list[Path]
    bucket: BucketPrefix  # the shared object store
    media_dirs: list[Path]  # each host's own folder, which must stay empty

    def tail(self) -> str:
        return "\n".join(
            f"--- {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-15:])
            for log in self.logs
            if log.exists()
        )


def prepare_database(direct: str, tmp_path: Path) -> None:
    """The schema, the demo city, a clerk and a supervisor."""
    from maengelmelder.accounts.service import create_user
    from maengelmelder.demo import load_demo

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": direct, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path)}
    )
    with app.app_context():
        db.create_all()
        load_demo(db.session, now=START)
        for email, role in ((CLERK, "admin"), (SUPERVISOR, "supervisor")):
            create_user(
                db.session,
                email=email,
                name=role.title(),
                role=role,
                password=PASSWORD,
                departments=(),
                citywide=True,
                now=START,
                hash_method="scrypt:1024:8:1",
            )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def site(tmp_path: Path, s3_server: SeaweedServer) -> Iterator[Site]:
    bucket = new_prefix(s3_server)  # the session's SeaweedFS; its identity is in AWS_*
    direct, schema = create_postgres_schema()
    processes = []
    bouncer = redis_server = None
    try:
        prepare_database(direct, tmp_path / "setup")
        bouncer = start_pgbouncer({schema: schema}, pool_size=4)
        try:
            redis_server = RedisServer(tmp_path / "redis")
            redis_server.start()
        except Unavailable as exc:
            unavailable("a private Redis", exc)
        smtp = HonestSmtp()
        with smtp_server(smtp) as smtp_url:
            ports = [free_port(), free_port()]
            hosts = [f"http://127.0.0.1:{port}" for port in ports]
            media_dirs = [tmp_path / f"host{number}-media" for number in range(2)]
            logs = []
            for number, port in enumerate(ports):
                env = app_env(
                    DATABASE_URL=bouncer.url(schema),
                    DATABASE_POOLER="pgbouncer",
                    REDIS_URL=redis_server.url(),
                    SMTP_URL=smtp_url,
                    BASE_URL=hosts[0],
                    SECRET_KEY="two-hosts",
                    COOKIE_SECURE="false",
                    SLA_CALENDAR="wall",
                    MEDIA_URL=bucket.url,  # the shared object store
                    S3_ENDPOINT=s3_server.endpoint,
                    MEDIA_DIR=str(media_dirs[number]),  # this host's own, unused
                    INSTANCE_PATH=str(tmp_path / f"host{number}"),
                )
                for command in (
                    ["serve", "--port", str(port), "--workers", "1", "--threads", "2"],
                    ["worker"],
                ):
                    log = tmp_path / f"host{number}-{command[0]}.log"
                    logs.append(log)
                    processes.append(start_app_process(command, env, log))
            site = Site(direct, hosts, redis_server.url(), smtp, logs, bucket, media_dirs)
            for host in hosts:
                wait_until(
                    lambda host=host: answers(host),
                    timeout=60,
                    what=f"{host}/healthz\n{site.tail()}",
                )
            yield site
            for proc in processes:
                stop_process(proc)
    finally:
        for proc in processes:
            stop_process(proc)
        if redis_server is not None:
            redis_server.stop()
        if bouncer is not None:
            bouncer.close()
        drop_postgres_schema(schema)


def bucket_key(url: str) -> str:
    """Where a photo URL's file lies below the bucket prefix (`<first two>/<name>`)."""
    name = url.split("?")[0].rsplit("/", 1)[1]
    return f"{name[:2]}/{name}"


def answers(host: str) -> bool:
    try:
        return requests.get(f"{host}/healthz", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def log_in(host: str) -> requests.Session:
    staff = requests.Session()
    resp = staff.post(f"{host}/api/v1/auth/login", json={"email": CLERK, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    staff.headers["X-CSRF-Token"] = resp.json()["csrf_token"]
    return staff


def on_host(session: requests.Session, host: str) -> requests.Session:
    """The same browser state (cookies, CSRF header) sent to another host."""
    other = requests.Session()
    other.headers.update(session.headers)
    for cookie in session.cookies:
        other.cookies.set(cookie.name, cookie.value)
    return other


def promise_seconds(staff: requests.Session, host: str) -> None:
    """An admin puts a rule set in force that promises seconds for every ticket: deadlines
    pass soon after filing, and the SLA check of their bucket (15 s) escalates them."""
    resp = staff.get(f"{host}/api/v1/admin/rules", timeout=10)
    assert resp.status_code == 200, resp.text
    in_force = resp.json()["rules"]
    fallback = in_force["fallback_department"]
    rules = [
        {key: value for key, value in rule.items() if value is not None and key != "name"}
        | {"sla_hours": 0.002}
        for rule in in_force["rules"]
    ]
    rules.append({"id": "fast", "department": fallback, "sla_hours": 0.002})
    body = {"fallback_department": fallback, "rules": rules}
    resp = staff.post(f"{host}/api/v1/admin/rules", json=body, timeout=10)
    assert resp.status_code == 201, resp.text


def test_two_hosts_share_reports_photos_sessions_and_run_each_job_once(site: Site):
    first, second = site.hosts
    staff_first = log_in(first)
    promise_seconds(staff_first, first)

    # A citizen files a report with a photo on the first host ...
    photo = images.app_jpeg(width=800, height=600)
    fields = report_json(email="anna@example.org")
    resp = requests.post(
        f"{first}/api/v1/reports",
        data={k: str(v) for k, v in fields.items()},
        files=[("photos", ("photo.jpg", photo, "image/jpeg"))],
        timeout=30,
    )
    assert resp.status_code == 201, resp.text + site.tail()
    public_id = resp.json()["report"]["public_id"]
    [reporters] = resp.json()["report"]["photos"]  # the reporter's links (`?k=`)

    # ... and reads it on the second.
    resp = requests.get(f"{second}/api/v1/reports/{public_id}", timeout=10)
    assert resp.status_code == 200, resp.text

    # The clerk logged in on the first host works on the second: the ticket with its photo.
    staff_second = on_host(staff_first, second)
    assert staff_second.get(f"{second}/api/v1/auth/me", timeout=10).status_code == 200
    ticket = staff_second.get(f"{second}/api/v1/tickets/{public_id}", timeout=10)
    assert ticket.status_code == 200, ticket.text
    [shown] = ticket.json()["photos"]
    on_second = staff_second.get(f"{second}{shown['url']}", timeout=10)
    on_first = staff_first.get(f"{first}{shown['url']}", timeout=10)
    assert on_second.status_code == on_first.status_code == 200
    assert on_second.headers["Content-Type"] == "image/jpeg"
    assert on_second.content == on_first.content == site.bucket.read(bucket_key(shown["url"]))

    # A worker's privacy pass replaces the photo's public files: both hosts serve the new
    # ones from the bucket, and the reporter's link from filing leads there on either host.
    engine = sa.create_engine(site.direct_url, poolclass=sa.NullPool)
    try:

        def passed() -> bool:
            with Session(engine) as session:
                return session.scalars(sa.select(Photo.privacy_state)).all() == ["done"]

        wait_until(passed, timeout=90, what=f"the photo's privacy pass\n{site.tail()}")
    finally:
        engine.dispose()
    [shown] = staff_second.get(f"{second}/api/v1/tickets/{public_id}", timeout=10).json()["photos"]
    assert shown["original_url"] and shown["url"] != shown["original_url"]
    for url in (shown["url"], shown["original_url"]):
        on_second = staff_second.get(f"{second}{url}", timeout=10)
        on_first = staff_first.get(f"{first}{url}", timeout=10)
        assert on_second.status_code == on_first.status_code == 200, url
        assert on_second.content == on_first.content == site.bucket.read(bucket_key(url))
    blurred = site.bucket.read(bucket_key(shown["url"]))
    for host in (first, second):
        followed = requests.get(f"{host}{reporters['url']}", timeout=10)
        assert followed.status_code == 200, followed.text
        assert followed.content == blurred  # never the unblurred original
    # Nothing was written to a host's own folder: every file is in the bucket.
    assert [p for d in site.media_dirs if d.exists() for p in d.rglob("*") if p.is_file()] == []

    # A logout on the first host ends the session on both.
    assert staff_first.post(f"{first}/api/v1/auth/logout", timeout=10).status_code in (200, 204)
    assert staff_second.get(f"{second}/api/v1/auth/me", timeout=10).status_code == 401
    assert staff_first.get(f"{first}/api/v1/auth/me", timeout=10).status_code == 401

    # A second report, on the second host; both deadlines pass within seconds.
    resp = requests.post(f"{second}/api/v1/reports", json=report_json(), timeout=30)
    assert resp.status_code == 201, resp.text + site.tail()
    engine = sa.create_engine(site.direct_url, poolclass=sa.NullPool)
    try:

        def escalated() -> bool:
            with Session(engine) as session:
                return all(r.breach_escalated for r in session.scalars(sa.select(Report)))

        wait_until(escalated, timeout=90, what=f"both breaches escalated\n{site.tail()}")

        def mails_sent() -> list[OutboxMessage] | None:
            with Session(engine) as session:
                rows = session.scalars(sa.select(OutboxMessage)).all()
                if rows and all(row.status == SENT for row in rows):
                    session.expunge_all()
                    return rows
                return None

        rows = wait_until(mails_sent, timeout=90, what=f"every mail sent\n{site.tail()}")
        with engine.connect() as conn:
            escalations = Counter(
                conn.execute(sa.text("SELECT report_id, kind FROM escalations")).all()
            )
            events = Counter(
                conn.execute(
                    sa.text(
                        "SELECT report_id, kind FROM ticket_events "
                        "WHERE kind IN ('sla_breached', 'sla_at_risk')"
                    )
                ).all()
            )
    finally:
        engine.dispose()

    # Each ticket warned and escalated once; each mail (the escalations to the supervisor
    # and to the department) delivered once.
    assert len(escalations) == len(events) >= 2
    assert set(escalations.values()) == set(events.values()) == {1}
    kinds = Counter(row.kind for row in rows)
    assert kinds["escalation"] >= 2, kinds
    assert any(row.recipient == SUPERVISOR for row in rows if row.kind == "escalation")
    delivered = Counter(site.smtp.delivered)
    assert set(delivered) == {row.message_id for row in rows}
    assert set(delivered.values()) == {1}

    # Each recurring job was enqueued once by the two workers together, and the serving
    # processes, which leave jobs to the workers when Redis is there, ran none themselves.
    counts = recurring_enqueued(site.redis_url)
    assert counts == dict.fromkeys(counts, 1), counts
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM recurring_runs")).scalar() == 0
    print(
        f"\nescalations: {dict(escalations)}, mails by kind: {dict(kinds)}, "
        f"recurring jobs enqueued: {counts}"
    )


# Recurring jobs that other work enqueues as well (a queued mail wakes the sender, a deadline
# schedules its bucket's sweep): their count says nothing about the schedule.
ALSO_WOKEN = {"outbox-send", "sla-sweep"}


def recurring_enqueued(redis_url: str) -> dict[str, int]:
    """How many rq jobs there are of each recurring job the schedule alone enqueues."""
    from maengelmelder.jobs import schedule

    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    paths = {item.func: item.id for item in schedule(app) if item.id not in ALSO_WOKEN}
    counts = dict.fromkeys(paths.values(), 0)
    client = redis.Redis.from_url(redis_url)
    try:
        for key in client.scan_iter("rq:job:*"):
            description = (client.hget(key, "description") or b"").decode()
            for path, job in paths.items():
                if description == f"maengelmelder.jobs.run('{path}')":
                    counts[job] += 1
    finally:
        client.close()
    return counts
