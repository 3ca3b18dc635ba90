"""Citizens flag public reports; enough flags take the content offline until staff decide."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from maengelmelder.abuse.models import AbuseReport
from maengelmelder.app import create_app
from maengelmelder.demo import load_demo
from maengelmelder.extensions import db
from tests import images
from tests.abuse.helpers import file, publication
from tests.passes import run_privacy_passes
from tests.reports.helpers import post_multipart, report_json
from tests.tickets.helpers import version_of

TEXT = "Laterne flackert, Nachbar Herr M. ist schuld"


@pytest.fixture
def crew(staff):
    return staff.client("crew", "beleuchtung")


@pytest.fixture
def published(client) -> dict:
    """A published report with a photo (street lamps publish automatically)."""
    body = report_json(category="strassenlaterne", description=TEXT)
    resp = post_multipart(client, body, [images.phone_jpeg(width=640, height=480)])
    assert resp.status_code == 201, resp.json
    report = resp.json["report"]
    assert report["published"] is True
    run_privacy_passes(client.application)  # its photo is public once the worker ran the pass
    return report


def flag(client, public_id: str, device: str | None = None, reason="offensive", **more):
    headers = {"X-Device-Id": device} if device else {}
    return client.post(
        f"/api/v1/reports/{public_id}/abuse", json={"reason": reason, **more}, headers=headers
    )


def flags_stored(app) -> list[AbuseReport]:
    with app.app_context():
        rows = list(db.session.scalars(select(AbuseReport).order_by(AbuseReport.id)))
        db.session.expunge_all()
        return rows


def public(client, public_id: str) -> dict:
    resp = client.get(f"/api/v1/reports/{public_id}")
    assert resp.status_code == 200
    return resp.json


def test_a_flag_is_received_and_stored_without_the_address(app, client, published):
    resp = flag(client, published["public_id"], "phone-1", "personal_data", comment="Name drin")
    assert resp.status_code == 202
    assert resp.json["received"] is True
    assert resp.json["message"]["de"] and resp.json["message"]["en"]
    assert resp.json["message"]["de"] != resp.json["message"]["en"]
    [row] = flags_stored(app)
    assert (row.reason, row.comment, row.resolved_at) == ("personal_data", "Name drin", None)
    assert len(row.flagger) == 64 and "phone-1" not in row.flagger and "127.0" not in row.flagger
    # One flag does not hide anything.
    assert public(client, published["public_id"])["description"] == TEXT


def test_the_same_flagger_counts_once(app, client, published):
    public_id = published["public_id"]
    assert [flag(client, public_id, "phone-1").status_code for _ in range(3)] == [202] * 3
    # Without a device id the address identifies the flagger: also once.
    assert [flag(client, public_id).status_code for _ in range(2)] == [202] * 2
    assert len(flags_stored(app)) == 2
    assert public(client, public_id)["published"] is True


def test_the_threshold_hides_text_and_photos_exactly_when_reached(app, client, crew, published):
    public_id = published["public_id"]
    flag(client, public_id, "phone-1")
    flag(client, public_id, "phone-2", "spam")
    seen = public(client, public_id)
    assert seen["description"] == TEXT and len(seen["photos"]) == 1

    assert flag(client, public_id, "phone-3", "other", comment="unpassend").status_code == 202
    seen = public(client, public_id)
    assert (seen["published"], seen["description"], seen["photos"]) == (False, None, [])
    # The defect stays on the map; only the citizen's content is withdrawn.
    listed = client.get("/api/v1/reports").json["items"]
    assert public_id in {r["public_id"] for r in listed} and TEXT not in str(listed)
    # Unpublished now: further flags are 404, like for any unpublished report.
    assert flag(client, public_id, "phone-4").status_code == 404

    ticket = crew.get(f"/api/v1/tickets/{public_id}").json
    assert ticket["held_reason"] == "abuse"
    assert ticket["history"][-1]["kind"] == "hidden"
    assert ticket["history"][-1]["data"] == {"reason": "abuse", "flags": 3}
    assert ticket["abuse_flag_count"] == 3
    assert [(f["reason"], f["comment"]) for f in ticket["abuse_flags"]] == [
        ("offensive", None),
        ("spam", None),
        ("other", "unpassend"),
    ]
    assert set(ticket["abuse_flags"][0]) == {"id", "reason", "comment", "created_at"}
    assert ticket["abuse_flags"][0]["created_at"] == "2026-03-10T09:00:00Z"


def test_the_threshold_comes_from_the_settings(app, client, published):
    app.config["ABUSE_HIDE_THRESHOLD"] = 1
    flag(client, published["public_id"], "phone-1")
    assert public(client, published["public_id"])["published"] is False


def test_unknown_and_unpublished_reports_are_the_same_404(app, client):
    unpublished = file(client)["report"]["public_id"]  # potholes wait for moderation
    answers = [flag(client, unpublished), flag(client, "2026-999999")]
    assert [a.status_code for a in answers] == [404, 404]
    assert answers[0].json == answers[1].json
    assert answers[0].json["error"]["code"] == "report_not_found"
    assert flags_stored(app) == []


@pytest.mark.parametrize(
    "body",
    [
        {"reason": "boring"},
        {"reason": "spam", "comment": "x" * 501},
        {"reason": "spam", "flagger": "me"},
        {"comment": "no reason"},
        {"reason": "spam", "comment": "a\x00b"},
    ],
)
def test_bad_input_is_422_and_stores_nothing(app, client, published, body):
    resp = client.post(f"/api/v1/reports/{published['public_id']}/abuse", json=body)
    assert resp.status_code == 422, resp.json
    for messages in resp.json["error"]["fields"].values():
        assert messages[0]["de"] != messages[0]["en"]
    assert flags_stored(app) == []


def test_a_body_that_is_not_json_is_400(app, client, published):
    resp = client.post(f"/api/v1/reports/{published['public_id']}/abuse", data="reason=spam")
    assert resp.status_code == 400
    assert flags_stored(app) == []


# -- staff ----------------------------------------------------------------------------------------


def _hide_by_flags(client, public_id: str, n: int = 3) -> None:
    for i in range(n):
        assert flag(client, public_id, f"phone-{i}").status_code == 202


def dismiss(crew, public_id: str, version: str | None = None):
    headers = {"If-Match": version or version_of(crew, public_id)}
    return crew.post(f"/api/v1/tickets/{public_id}/abuse/dismiss", headers=headers)


def test_dismissing_resolves_the_flags_and_publishes_again(app, client, crew, published):
    public_id = published["public_id"]
    _hide_by_flags(client, public_id)
    resp = dismiss(crew, public_id)
    assert resp.status_code == 200, resp.json
    assert (resp.json["held_reason"], resp.json["abuse_flags"]) == (None, [])
    assert resp.json["history"][-1]["kind"] == "abuse_dismissed"
    assert resp.json["history"][-1]["data"] == {"flags": 3, "republished": True}
    seen = public(client, public_id)
    assert seen["description"] == TEXT and len(seen["photos"]) == 1
    assert all(row.resolved_by == f"user:{crew.user_id}" for row in flags_stored(app))
    assert crew.get("/api/v1/tickets?flagged=true").json["items"] == []

    # Those who flagged before count no more; others can flag again.
    assert flag(client, public_id, "phone-0").status_code == 202
    assert len(flags_stored(app)) == 3
    for device in ("phone-7", "phone-8", "phone-9"):
        flag(client, public_id, device)
    assert public(client, public_id)["published"] is False


def test_dismissing_needs_the_current_version(app, client, crew, published):
    public_id = published["public_id"]
    old = version_of(crew, public_id)
    _hide_by_flags(client, public_id)  # hiding changed the ticket
    assert dismiss(crew, public_id, old).status_code == 412
    no_version = crew.post(f"/api/v1/tickets/{public_id}/abuse/dismiss")
    assert no_version.status_code == 428
    assert public(client, public_id)["published"] is False


def test_dismissing_nothing_changes_nothing(app, client, crew, published):
    version = version_of(crew, published["public_id"])
    resp = dismiss(crew, published["public_id"], version)
    assert resp.status_code == 200
    assert resp.headers["ETag"] == version
    assert [e["kind"] for e in resp.json["history"]] == ["created", "privacy_pass"]


def test_flags_below_the_threshold_leave_the_report_public_until_dismissed(
    app, client, crew, published
):
    public_id = published["public_id"]
    _hide_by_flags(client, public_id, 2)
    resp = dismiss(crew, public_id)
    assert resp.json["history"][-1]["data"] == {"flags": 2, "republished": False}
    assert resp.json["abuse_flag_count"] == 0
    assert public(client, public_id)["published"] is True


def test_the_queue_lists_flagged_tickets_of_every_state(app, client, crew, published):
    quiet = file(client, category="strassenlaterne")["report"]["public_id"]
    flag(client, published["public_id"], "phone-1")
    # A resolved report's published content can be flagged too.
    resp = crew.post(
        f"/api/v1/tickets/{published['public_id']}/transition",
        json={"to": "resolved"},
        headers={"If-Match": version_of(crew, published["public_id"])},
    )
    assert resp.status_code == 200, resp.json
    items = crew.get("/api/v1/tickets?flagged=true").json["items"]
    assert [(t["public_id"], t["abuse_flag_count"]) for t in items] == [(published["public_id"], 1)]
    assert items[0]["abuse_flags"][0]["reason"] == "offensive"
    not_flagged = crew.get("/api/v1/tickets?flagged=false").json["items"]
    assert [t["public_id"] for t in not_flagged] == [quiet]
    assert not_flagged[0]["abuse_flag_count"] == 0


@pytest.mark.parametrize("action", ["publish", "hide"])
def test_a_moderation_decision_resolves_the_flags(app, client, crew, published, action):
    public_id = published["public_id"]
    _hide_by_flags(client, public_id)
    resp = publication(crew, public_id, action=action)
    assert resp.status_code == 200, resp.json
    assert (resp.json["abuse_flags"], resp.json["held_reason"]) == ([], None)
    assert resp.json["published"] is (action == "publish")
    assert resp.json["history"][-1]["data"]["flags_resolved"] == 3
    assert all(row.resolved_at is not None for row in flags_stored(app))


# -- rate limit -----------------------------------------------------------------------------------


@pytest.fixture
def limited(app, redis_url, request):
    """The test app with the abuse limit on: 2 per hour per address."""
    config = {
        **app.config,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STRATEGY": "moving-window",
        "ABUSE_LIMIT_IP": "2/hour",
        "RATELIMIT_STORAGE_URI": redis_url if request.param == "redis" else "memory://",
    }
    limited_app = create_app(config)
    with limited_app.app_context():
        load_demo(db.session)
        db.session.commit()
    yield limited_app
    with limited_app.app_context():
        db.engine.dispose()
    from maengelmelder.extensions import limiter

    limiter.reset()


@pytest.mark.parametrize("limited", ["memory", "redis"], indirect=True)
def test_flagging_is_rate_limited_per_address(limited, published):
    client = limited.test_client()
    answers = [flag(client, published["public_id"], f"phone-{i}").status_code for i in range(3)]
    assert answers == [202, 202, 429]
    blocked = flag(client, published["public_id"], "phone-9")
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert blocked.json["error"]["code"] == "rate_limited"
