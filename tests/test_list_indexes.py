"""Every list's page query reads an index on PostgreSQL, not the whole table.

Each case sends a real request, catches the SQL statement the app ran for the page (with its
parameters) and reads PostgreSQL's plan of it (`EXPLAIN`). The table holds a city's history
in miniature: 30,000 reports over 150 days (200 a day), those of the last five days open, the
others done but for one in 2,000 still waiting for a third party; four in five published;
5,000 abuse flags of which 10 are open. After `ANALYZE` the planner chooses the way it would
with real data: no `enable_seqscan = off`, so a passing case shows the index is the cheapest
plan, not merely a usable one. The history lives in a schema of its own, filled once for
every case; SQLite has no such planner to ask.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa

from maengelmelder.app import create_app
from maengelmelder.core.catalog import Category
from maengelmelder.extensions import db
from maengelmelder.paging import encode_cursor
from tests.conftest import Clock, create_postgres_schema, drop_postgres_schema

N, PER_DAY = 30_000, 200
EVERY_STATE = "new,acknowledged,in_progress,waiting_external,resolved,closed,rejected,duplicate"

FILL = """
INSERT INTO reports (
    public_id, category_id, department_id, description, lat, lon, location_source,
    status, created_at, updated_at, deadline, at_risk_at, resolved_at, notify_reporter, lang,
    tracking_salt, tracking_token_hash, zone_keys, published, sla_hours, sla_calendar, pauses,
    at_risk_warned, breach_escalated, supporters, version
)
SELECT
    'T-' || g, (CAST(:categories AS integer[]))[1 + g % :ncat],
    (CAST(:departments AS integer[]))[1 + g % :ncat], '', 50.1, 8.76, 'client',
    status, at, at, at + interval '48 hours', at + interval '36 hours',
    CASE WHEN status IN ('resolved', 'closed') THEN at + interval '30 hours' END,
    false, 'de', md5('s' || g), md5(g::text) || md5((g + 1)::text), ',', g % 5 <> 0, 48,
    'wall', '[]', status <> 'new', status <> 'new', 0, 1
FROM (
    SELECT g, at, CASE
        WHEN at > CAST(:now AS timestamptz) - interval '5 days'
            THEN (ARRAY['new', 'acknowledged', 'in_progress', 'waiting_external'])[1 + g % 4]
        WHEN g % 2000 = 0 THEN 'waiting_external'
        ELSE (ARRAY['closed', 'resolved', 'closed', 'rejected', 'duplicate'])[1 + (g / 7) % 5]
    END AS status
    FROM (
        SELECT g, CAST(:now AS timestamptz) - (:n - g) * (interval '1 day' / :per_day) AS at
        FROM generate_series(1, :n) AS g
    ) AS timed
) AS history
"""

FLAGS = """
INSERT INTO abuse_reports (report_id, reason, created_at, flagger, resolved_at)
SELECT id, 'spam', created_at, md5(id::text),
       CASE WHEN id % 1000 = 7 THEN NULL ELSE created_at + interval '1 day' END
FROM reports WHERE id % 6 = 1
"""


@contextmanager
def miniature_history(tmp_path_factory, more):
    """An app on a schema of its own holding the lists' miniature history (`N` reports), plus
    what `more(session, clock)` adds (it answers API tokens by who), analysed; yields the app,
    its clock and the tokens, and drops the schema after."""
    from maengelmelder.demo import load_demo

    url, schema = create_postgres_schema()  # skips locally / fails in CI without PostgreSQL
    clock = Clock()
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "test-secret",
            "CLOCK": clock,
            "BASE_URL": "http://maengel.test",
            "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")),
            "FRONTEND_DIR": str(tmp_path_factory.mktemp("no-frontend")),
            "INPROCESS_JOBS": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    try:
        with app.app_context():
            db.create_all()
            load_demo(db.session, now=clock())
            cats = list(db.session.scalars(sa.select(Category).order_by(Category.id)))
            db.session.execute(
                sa.text(FILL),
                {
                    "categories": [c.id for c in cats],
                    "departments": [c.default_department_id for c in cats],
                    "ncat": len(cats),
                    "now": clock(),
                    "n": N,
                    "per_day": PER_DAY,
                },
            )
            tokens = more(db.session, clock)
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
        yield app, clock, tokens
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        drop_postgres_schema(schema)


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """An app on a schema of its own holding the miniature history, analysed once for every
    case; the callers' headers by who."""
    from maengelmelder.accounts.service import create_token

    def flags_and_tokens(session, clock):
        session.execute(sa.text(FLAGS))
        return {
            who: create_token(session, name=who, role=role, departments=deps, now=clock())[1]
            for who, role, deps in (("crew", "crew", ["tiefbau"]), ("admin", "admin", []))
        }

    with miniature_history(tmp_path_factory, flags_and_tokens) as (app, clock, tokens):
        headers = {who: {"Authorization": f"Bearer {token}"} for who, token in tokens.items()}
        yield app, clock, {**headers, "public": {}}


@contextmanager
def _statements(engine):
    seen: list[tuple[str, object]] = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", grab)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", grab)


def plan_of(app, url: str, headers: dict, marker: str) -> str:
    """PostgreSQL's plan of the statement with `marker` that answering `url` ran."""
    with app.app_context():
        engine = db.engine
        with _statements(engine) as seen:
            resp = app.test_client().get(url, headers=headers)
            resp.get_data()  # a streamed answer runs its query while it is read
        assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
        found = [(s, p) for s, p in seen if marker in s]
        assert found, f"no statement with {marker!r} for {url}"
        statement, params = found[0]
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("EXPLAIN (COSTS OFF) " + statement, params)
            return "\n".join(r[0] for r in rows)


def _assert_reads(plan: str, indexes: tuple[str, ...], url: str) -> None:
    used = set(re.findall(r"(?:using|on) (\w+)", plan))
    assert used & set(indexes), f"{url}: expected {' or '.join(indexes)}\n{plan}"
    assert "Seq Scan on reports" not in plan, f"{url}\n{plan}"


BY_DEADLINE = "ORDER BY reports.deadline, reports.id"
NEWEST_FIRST = "ORDER BY reports.created_at DESC, reports.id DESC"
OLDEST_FIRST = "ORDER BY reports.created_at, reports.id"


@pytest.mark.parametrize(
    ("who", "url", "marker", "indexes"),
    [
        # a crew's queue: its department's open tickets (either index bounds it to them)
        (
            "crew",
            "/api/v1/tickets?limit=50",
            BY_DEADLINE,
            ("ix_reports_open_deadline", "ix_reports_department_status_deadline"),
        ),
        # a crew's done tickets of one state, in deadline order
        (
            "crew",
            "/api/v1/tickets?status=resolved&limit=50",
            BY_DEADLINE,
            ("ix_reports_department_status_deadline",),
        ),
        # the moderation queue (unpublished tickets, or published ones with a photo whose
        # privacy pass failed: the department's open tickets bound it as well)
        (
            "crew",
            "/api/v1/tickets?published=false&limit=100",
            BY_DEADLINE,
            ("ix_reports_published_status_deadline", "ix_reports_department_status_deadline"),
        ),
        # the city-wide queue of open tickets
        ("admin", "/api/v1/tickets?limit=50", BY_DEADLINE, ("ix_reports_open_deadline",)),
        # every state, first page and a page deep into the years of done tickets
        (
            "admin",
            f"/api/v1/tickets?status={EVERY_STATE}&limit=50",
            BY_DEADLINE,
            ("ix_reports_deadline_id",),
        ),
        ("admin", "DEEP", BY_DEADLINE, ("ix_reports_deadline_id",)),
        # the flagged list starts from the open flags
        ("crew", "/api/v1/tickets?flagged=true", BY_DEADLINE, ("ix_abuse_reports_open",)),
    ],
)
def test_staff_lists_read_their_index(history, who, url, marker, indexes):
    app, clock, headers = history
    if url == "DEEP":
        position = encode_cursor((clock() - timedelta(days=100), N // 3), "t")
        url = f"/api/v1/tickets?status={EVERY_STATE}&limit=50&cursor={position}"
    plan = plan_of(app, url, headers[who], marker)
    _assert_reads(plan, indexes, url)
    if "cursor=" in url:  # the cursor is where the index scan starts, not a filter after it
        assert "Index Cond: (ROW(deadline, id) > ROW(" in plan, plan


@pytest.mark.parametrize(
    ("url", "marker", "indexes"),
    [
        (
            "/open311/v2/requests.json?status=open&service_code=schlagloch",
            NEWEST_FIRST,
            ("ix_reports_status_category_created",),
        ),
        ("/open311/v2/requests.json?page_size=100", NEWEST_FIRST, ("ix_reports_created_at",)),
        (
            "/open311/v2/requests.json?page_size=100&page=50",
            NEWEST_FIRST,
            ("ix_reports_created_at",),
        ),
        ("/api/v1/reports?limit=50&cursor=PUBLIC", NEWEST_FIRST, ("ix_reports_created_at",)),
        (
            "/api/v1/export/reports.csv?limit=1000&cursor=EXPORT",
            OLDEST_FIRST,
            ("ix_reports_created_at",),
        ),
        (
            "/api/v1/export/reports.csv?status=new&category=schlagloch",
            OLDEST_FIRST,
            ("ix_reports_status_category_created",),
        ),
    ],
)
def test_public_lists_read_their_index(history, url, marker, indexes):
    app, clock, headers = history
    middle = clock() - timedelta(days=75)
    url = url.replace("PUBLIC", encode_cursor((middle, N // 2))).replace(
        "EXPORT", encode_cursor((middle, N // 2), "o")
    )
    plan = plan_of(app, url, headers["public"], marker)
    _assert_reads(plan, indexes, url)
    if "cursor=" in url:
        assert "Index Cond: (created_at" in plan, plan
