"""The block list: its admin API and command, and what happens to a blocked sender's report."""

from __future__ import annotations

import pytest

from tests import images
from tests.abuse.helpers import (
    EVERYWHERE,
    NOWHERE,
    file,
    publication,
    publicly_visible,
    stored,
)
from tests.open311.conftest import INSIDE as OPEN311_INSIDE
from tests.reports.helpers import post_multipart, report_json

BLOCKLIST = "/api/v1/admin/blocklist"


@pytest.fixture
def admin(staff):
    return staff.client("admin")


@pytest.fixture
def crew(staff):
    return staff.client("crew", "tiefbau")


def block(admin, pattern: str, reason: str | None = None) -> dict:
    resp = admin.post(BLOCKLIST, json={"pattern": pattern, "reason": reason})
    assert resp.status_code == 201, resp.json
    return resp.json


# -- the admin API and the command -------------------------------------------------------------


def test_admin_adds_lists_and_removes_entries(admin):
    added = block(admin, "  Spam@Example.ORG ", "Werbung")
    assert added["pattern"] == "spam@example.org"
    assert added["reason"] == "Werbung"
    assert added["created_at"] == "2026-03-10T09:00:00Z"
    assert added["created_by"] == f"user:{admin.user_id}"
    assert added["created_by_name"] == admin.user_name == "Admin"
    block(admin, "@Wegwerf.example")
    items = admin.get(BLOCKLIST).json["items"]
    assert [i["pattern"] for i in items] == ["@wegwerf.example", "spam@example.org"]
    assert items[1] == added

    assert admin.delete(f"{BLOCKLIST}/{added['id']}").status_code == 204
    assert [i["pattern"] for i in admin.get(BLOCKLIST).json["items"]] == ["@wegwerf.example"]
    gone = admin.delete(f"{BLOCKLIST}/{added['id']}")
    assert gone.status_code == 404
    assert gone.json["error"]["code"] == "blocklist_not_found"


def test_a_duplicate_is_409_whatever_its_spelling(admin):
    block(admin, "@example.org")
    resp = admin.post(BLOCKLIST, json={"pattern": "@EXAMPLE.org "})
    assert resp.status_code == 409
    error = resp.json["error"]
    assert error["code"] == "blocklist_duplicate"
    assert "@example.org" in error["message"]["de"] and "@example.org" in error["message"]["en"]
    assert len(admin.get(BLOCKLIST).json["items"]) == 1


def test_a_duplicate_added_at_the_same_moment_is_409_too(app, admin):
    """Another admin's insert lands between our check and our insert: 409, not 500."""
    from sqlalchemy import event, insert
    from sqlalchemy.orm import Session

    from maengelmelder.abuse.models import BlockedSender
    from maengelmelder.extensions import db

    def _meanwhile(session, *_):
        if not any(isinstance(obj, BlockedSender) for obj in session.new):
            return
        with db.engine.begin() as other:
            other.execute(
                insert(BlockedSender).values(
                    pattern="@race.example",
                    created_at=app.config["CLOCK"](),
                    created_by="user:other",
                )
            )

    event.listen(Session, "before_flush", _meanwhile)
    try:
        resp = admin.post(BLOCKLIST, json={"pattern": "@Race.example"})
    finally:
        event.remove(Session, "before_flush", _meanwhile)
    assert resp.status_code == 409, resp.json
    assert resp.json["error"]["code"] == "blocklist_duplicate"
    [entry] = admin.get(BLOCKLIST).json["items"]
    assert (entry["created_by"], entry["created_by_name"]) == ("user:other", None)


@pytest.mark.parametrize(
    "pattern",
    ["example.org", "@", "name@", "a@b@example.org", "@-bad-.example", "@exa mple.org", "@a..b"],
)
def test_a_malformed_pattern_is_422_in_both_languages(admin, pattern):
    resp = admin.post(BLOCKLIST, json={"pattern": pattern})
    assert resp.status_code == 422, resp.json
    message = resp.json["error"]["fields"]["pattern"][0]
    assert "@example.org" in message["de"] and "@example.org" in message["en"]
    assert message["de"] != message["en"]
    assert admin.get(BLOCKLIST).json["items"] == []


def test_bad_bodies_are_refused(admin):
    too_long = admin.post(BLOCKLIST, json={"pattern": "@example.org", "reason": "x" * 201})
    assert too_long.status_code == 422 and "reason" in too_long.json["error"]["fields"]
    assert admin.post(BLOCKLIST, json={}).json["error"]["fields"]["pattern"]
    assert admin.post(BLOCKLIST, data="nope").status_code == 400
    assert admin.get(BLOCKLIST).json["items"] == []


def test_the_command_adds_lists_and_removes(app):
    runner = app.test_cli_runner()
    added = runner.invoke(args=["blocklist", "add", "@Spam.example", "--reason", "Flut"])
    assert added.exit_code == 0, added.output
    assert "blocked @spam.example" in added.output
    listed = runner.invoke(args=["blocklist", "list"])
    assert "@spam.example" in listed.output and "cli" in listed.output and "Flut" in listed.output

    again = runner.invoke(args=["blocklist", "add", "@spam.example"])
    assert again.exit_code != 0 and "already on the block list" in again.output
    bad = runner.invoke(args=["blocklist", "add", "spam.example"])
    assert bad.exit_code != 0 and "@example.org" in bad.output

    removed = runner.invoke(args=["blocklist", "remove", "@SPAM.example"])
    assert removed.exit_code == 0 and "removed @spam.example" in removed.output
    assert "empty" in runner.invoke(args=["blocklist", "list"]).output
    missing = runner.invoke(args=["blocklist", "remove", "@spam.example"])
    assert missing.exit_code != 0 and "no such entry" in missing.output


# -- matching ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "email", "held"),
    [
        ("@example.org", "someone@example.org", True),
        ("@example.org", "Someone@Mail.Example.org", True),
        ("@example.org", "x@a.b.example.org", True),
        ("@example.org", "someone@notexample.org", False),
        ("@example.org", "someone@example.org.evil.test", False),
        ("spam@example.org", "SPAM@example.org", True),
        ("spam@example.org", "spam2@example.org", False),
        ("spam@example.org", "spam@mail.example.org", False),
        ("@münchen.example", "x@xn--mnchen-3ya.example", True),
    ],
)
def test_addresses_and_domains_with_their_subdomains_match(
    app, client, admin, pattern, email, held
):
    block(admin, pattern)
    public_id = file(client, email=email)["report"]["public_id"]
    assert (stored(app, public_id).held_reason == "blocklist") is held


# -- a blocked sender's report -------------------------------------------------------------------


def test_a_blocked_senders_report_gets_the_usual_answer_but_stays_out_of_public_view(
    app, client, admin, crew
):
    block(admin, "@wegwerf.example", "Spam-Welle")
    normal = file(client, email="anna@example.org")
    held = file(client, email="bot@wegwerf.example")
    # The sender sees nothing unusual: same status, same fields, a working tracking link.
    assert set(held) == set(normal)
    assert set(held["report"]) == set(normal["report"])
    assert held["report"]["status"] == normal["report"]["status"] == "new"
    public_id = held["report"]["public_id"]
    tracked = client.get(f"/api/v1/track/{held['tracking_token']}")
    assert tracked.status_code == 200
    assert "held" not in {e["kind"] for e in tracked.json["history"]}

    assert publicly_visible(client, public_id) == NOWHERE
    assert publicly_visible(client, normal["report"]["public_id"]) == EVERYWHERE

    # Staff: routed and in the crew's queue as usual, and in the moderation queue with a reason.
    queue = crew.get("/api/v1/tickets").json["items"]
    assert public_id in {t["public_id"] for t in queue}
    moderation = crew.get("/api/v1/tickets?published=false").json["items"]
    entry = next(t for t in moderation if t["public_id"] == public_id)
    assert entry["held_reason"] == "blocklist"
    ticket = crew.get(f"/api/v1/tickets/{public_id}").json
    assert ticket["held_reason"] == "blocklist"
    assert ticket["department"]["code"] == "tiefbau"
    assert [(e["kind"], e["data"]) for e in ticket["history"][-1:]] == [
        ("held", {"reason": "blocklist"})
    ]
    assert crew.get(f"/api/v1/tickets/{normal['report']['public_id']}").json["held_reason"] is None


def test_a_blocked_senders_photos_are_not_approved(app, client, admin):
    block(admin, "@wegwerf.example")
    body = report_json(category="strassenlaterne", email="bot@wegwerf.example")
    resp = post_multipart(client, body, [images.phone_jpeg(width=640, height=480)])
    assert resp.status_code == 201, resp.json
    report = stored(app, resp.json["report"]["public_id"])
    assert report.published is False  # although lamps publish automatically
    assert [p.approved for p in report.photos] == [False]


def test_publishing_a_held_report_releases_it(app, client, admin, crew):
    block(admin, "@wegwerf.example")
    public_id = file(client, email="someone@wegwerf.example")["report"]["public_id"]
    resp = publication(crew, public_id, action="publish")
    assert resp.status_code == 200, resp.json
    assert resp.json["held_reason"] is None
    assert resp.json["history"][-1]["data"]["held_reason"] == "blocklist"
    assert publicly_visible(client, public_id) == EVERYWHERE
    assert client.get(f"/api/v1/reports/{public_id}").json["description"]


def test_removing_an_entry_affects_new_reports_only(app, client, admin):
    entry = block(admin, "@wegwerf.example")
    before = file(client, email="a@wegwerf.example")["report"]["public_id"]
    admin.delete(f"{BLOCKLIST}/{entry['id']}")
    after = file(client, email="b@wegwerf.example")["report"]["public_id"]
    assert stored(app, before).held_reason == "blocklist"
    assert stored(app, after).held_reason is None


def test_reports_without_an_email_are_not_affected(app, client, admin):
    block(admin, "@example.org")
    public_id = file(client)["report"]["public_id"]
    assert stored(app, public_id).held_reason is None


def test_open311_requests_are_held_too(app, client, admin, staff):
    block(admin, "@wegwerf.example")
    key = staff.token("crew", "tiefbau")
    resp = client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": key,
            "service_code": "schlagloch",
            "email": "bot@wegwerf.example",
            "description": "Kaufen Sie jetzt",
            **OPEN311_INSIDE,
        },
    )
    assert resp.status_code == 201, resp.json
    public_id = resp.json[0]["service_request_id"]
    assert stored(app, public_id).held_reason == "blocklist"
    assert publicly_visible(client, public_id) == NOWHERE


def test_the_block_list_pages_by_pattern(admin):
    for pattern in ("@d.example", "@a.example", "@f.example", "@b.example"):
        block(admin, pattern)
    first = admin.get(f"{BLOCKLIST}?limit=3").json
    assert [e["pattern"] for e in first["items"]] == ["@a.example", "@b.example", "@d.example"]
    block(admin, "@e.example")  # added while the list is read: after the page seen
    second = admin.get(f"{BLOCKLIST}?limit=3&cursor={first['next_cursor']}").json
    assert [e["pattern"] for e in second["items"]] == ["@e.example", "@f.example"]
    assert second["next_cursor"] is None
    too_many = admin.get(f"{BLOCKLIST}?limit=1001")
    assert too_many.status_code == 400
    assert too_many.json["error"]["fields"]["limit"][0]["en"].endswith(
        "less than or equal to 1000."
    )
    bad = admin.get(f"{BLOCKLIST}?cursor=%00")
    assert bad.status_code == 400 and bad.json["error"]["code"] == "invalid_cursor"
