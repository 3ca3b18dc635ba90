"""The city-wide list of failed deliveries (`GET /api/v1/deliveries?status=failed`): newest
first, paged, each retried on its ticket; supervisors see their departments' only."""

from __future__ import annotations

import pytest

from .counterparts import webhook_receiver
from .helpers import deliver, destination, file_ticket, forward


@pytest.fixture
def refusing():
    """A webhook body that refuses every delivery for good (400)."""
    with webhook_receiver() as (url, receiver):
        receiver.status = 400
        receiver.answer = b"no such contract"
        yield url, receiver


def _failed(app, client, admin_headers, clock, hook, category: str = "schlagloch") -> dict:
    url, receiver = hook
    target = destination(client, admin_headers, channel="webhook", url=url)
    receiver.secret = target["secret"]
    public_id = file_ticket(client, category)["report"]["public_id"]
    delivery = forward(client, admin_headers, public_id, target["id"])["delivery"]
    assert deliver(app)["failed"] == 1
    clock.advance(minutes=1)
    return {"report": public_id, **delivery}


def _list(client, headers, **query) -> object:
    return client.get(
        "/api/v1/deliveries", query_string={"status": "failed", **query}, headers=headers
    )


def test_failed_deliveries_newest_first_paged_and_gone_once_retried(
    app, client, admin_headers, clock, refusing
):
    made = [_failed(app, client, admin_headers, clock, refusing) for _ in range(3)]
    first = _list(client, admin_headers, limit=2)
    assert first.status_code == 200, first.json
    assert [i["id"] for i in first.json["items"]] == [made[2]["id"], made[1]["id"]]
    item = first.json["items"][0]
    assert item["report"] == made[2]["report"]
    assert item["destination_name"] == {"de": "Stadtwerke", "en": "Public utilities"}
    assert item["attempts"] == 1 and item["channel"] == "webhook"
    assert "no such contract" in item["error"] and item["failed_at"]
    assert 'rel="next"' in first.headers["Link"]
    second = _list(client, admin_headers, limit=2, cursor=first.json["next_cursor"])
    assert [i["id"] for i in second.json["items"]] == [made[0]["id"]]
    assert second.json["next_cursor"] is None and "Link" not in second.headers

    retried = client.post(
        f"/api/v1/tickets/{made[1]['report']}/deliveries/{made[1]['id']}/retry",
        headers=admin_headers,
    )
    assert retried.status_code == 200, retried.json
    left = _list(client, admin_headers).json["items"]
    assert [i["id"] for i in left] == [made[2]["id"], made[0]["id"]]


def test_a_supervisor_sees_the_departments_own_and_a_crew_none(
    app, client, admin_headers, clock, staff, refusing
):
    pothole = _failed(app, client, admin_headers, clock, refusing)  # Tiefbauamt
    tree = _failed(app, client, admin_headers, clock, refusing, "baum")  # Grünflächenamt
    parks = {"Authorization": "Bearer " + staff.token("supervisor", "gruen")}
    assert [i["id"] for i in _list(client, parks).json["items"]] == [tree["id"]]
    citywide = {"Authorization": "Bearer " + staff.token("supervisor", "gruen", citywide=True)}
    shown = [i["id"] for i in _list(client, citywide).json["items"]]
    assert shown == [tree["id"], pothole["id"]]
    crew = {"Authorization": "Bearer " + staff.token("crew", "tiefbau")}
    refused = _list(client, crew)
    assert refused.status_code == 403
    assert client.get("/api/v1/deliveries?status=failed").status_code == 401


@pytest.mark.parametrize(
    "query",
    [{}, {"status": "pending"}, {"status": "failed", "limit": "0"}, {"status": "failed", "x": "1"}],
)
def test_a_bad_query_is_a_400_in_both_languages(client, admin_headers, query):
    resp = client.get("/api/v1/deliveries", query_string=query, headers=admin_headers)
    assert resp.status_code in (400, 422), resp.json
    assert resp.json["error"]["message"]["de"] and resp.json["error"]["message"]["en"]


def test_a_cursor_of_another_list_is_a_400(client, admin_headers):
    from maengelmelder.paging import encode_cursor

    foreign = encode_cursor(["2026-01-01T00:00:00+00:00", 1], tag="m")
    resp = _list(client, admin_headers, cursor=foreign)
    assert resp.status_code == 400
    assert resp.json["error"]["message"]["de"] and resp.json["error"]["message"]["en"]


# -- the list's plan on PostgreSQL -------------------------------------------------------------

HAND_OVERS = """
INSERT INTO ticket_events (report_id, created_at, actor, kind)
SELECT id, created_at, 'system', 'handed_over' FROM reports WHERE id % 3 = 0
"""

DELIVERIES = """
INSERT INTO deliveries (
    key, created_at, report_id, destination_id, event_id, payload, status, attempts,
    next_attempt_at, delivered_at, failed_at, last_error
)
SELECT md5('d' || e.id), e.created_at, e.report_id, :destination, e.id, '{}',
       CASE WHEN e.id % 97 = 0 THEN 'failed' ELSE 'delivered' END, 3, e.created_at,
       CASE WHEN e.id % 97 = 0 THEN NULL ELSE e.created_at END,
       CASE WHEN e.id % 97 = 0 THEN e.created_at + interval '1 hour' END,
       CASE WHEN e.id % 97 = 0 THEN 'HTTP 500' END
FROM ticket_events AS e WHERE e.kind = 'handed_over'
"""


@pytest.fixture(scope="module")
def handed_over(tmp_path_factory):
    """The lists' miniature history (30,000 reports) with 10,000 hand-overs, one in 97
    failed, analysed; an admin's and a supervisor's headers."""
    import sqlalchemy as sa

    from maengelmelder.accounts.service import create_token
    from maengelmelder.forwarding.service import create_destination
    from tests.test_list_indexes import miniature_history

    def hand_overs_and_tokens(session, clock):
        values = {"name_de": "Stadtwerke", "name_en": "Utilities", "channel": "email"}
        target = create_destination(session, {**values, "email": "a@b.example"}, clock())
        session.execute(sa.text(HAND_OVERS))
        session.execute(sa.text(DELIVERIES), {"destination": target.id})
        return {
            who: create_token(session, name=who, role=role, departments=deps, now=clock())[1]
            for who, role, deps in (("admin", "admin", []), ("sup", "supervisor", ["gruen"]))
        }

    with miniature_history(tmp_path_factory, hand_overs_and_tokens) as (app, _clock, tokens):
        yield app, {who: {"Authorization": f"Bearer {t}"} for who, t in tokens.items()}


@pytest.mark.parametrize("who", ["admin", "sup"])
@pytest.mark.parametrize("deep", [False, True])
def test_the_list_reads_its_index_on_postgresql(handed_over, who, deep):
    from tests.test_list_indexes import plan_of

    app, headers = handed_over
    url = "/api/v1/deliveries?status=failed&limit=50"
    if deep:
        first = app.test_client().get(url.replace("50", "3"), headers=headers[who]).json
        assert first["next_cursor"], first
        url += f"&cursor={first['next_cursor']}"
    marker = "ORDER BY deliveries.failed_at DESC, deliveries.id DESC"
    plan = plan_of(app, url, headers[who], marker)
    assert "ix_deliveries_status_failed_at" in plan, plan
    assert "Seq Scan on deliveries" not in plan and "Seq Scan on reports" not in plan, plan
    assert "Sort" not in plan, plan
