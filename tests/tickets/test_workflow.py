"""A crew moves a ticket through its states; every change is recorded and versioned."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from maengelmelder.core.models import Follower, Report
from maengelmelder.extensions import db
from tests.tickets.helpers import file_ticket, version_of


@pytest.fixture
def crew(staff):
    return staff.client("crew", "tiefbau")


def move(client, public_id: str, to: str, version: str | None = None, **fields):
    headers = {"If-Match": version or version_of(client, public_id)}
    return client.post(
        f"/api/v1/tickets/{public_id}/transition", json={"to": to, **fields}, headers=headers
    )


def test_queue_shows_only_my_department_sorted_by_deadline(client, staff, crew, clock):
    pothole = file_ticket(client, "schlagloch")["report"]["public_id"]  # 48 h
    clock.advance(hours=1)
    bin_ = file_ticket(client, "papierkorb")["report"]["public_id"]  # 24 h, Stadtreinigung
    sign = file_ticket(client, "verkehrszeichen")["report"]["public_id"]  # 48 h, an hour later
    queue = crew.get("/api/v1/tickets").json
    assert [t["public_id"] for t in queue["items"]] == [pothole, sign]
    assert queue["total"] == 2
    assert bin_ not in str(queue)
    cleaners = staff.client("crew", "stadtreinigung").get("/api/v1/tickets").json
    assert [t["public_id"] for t in cleaners["items"]] == [bin_]
    city = staff.client("supervisor", citywide=True).get("/api/v1/tickets").json
    assert [t["public_id"] for t in city["items"]] == [bin_, pothole, sign]


def test_a_ticket_goes_through_its_states_with_history(app, client, crew, clock):
    public_id = file_ticket(client)["report"]["public_id"]
    steps = [
        ("acknowledged", None),
        ("in_progress", "Trupp ist unterwegs"),
        ("resolved", "Verfüllt"),
    ]
    for to, note in steps:
        clock.advance(hours=2)
        resp = move(crew, public_id, to, public_note=note)
        assert resp.status_code == 200, resp.json
        assert resp.json["status"] == to
    ticket = crew.get(f"/api/v1/tickets/{public_id}").json
    assert ticket["allowed_next"] == ["in_progress", "closed"]
    statuses = [(e["from_status"], e["to_status"]) for e in ticket["history"]]
    assert statuses == [
        (None, "new"),
        ("new", "acknowledged"),
        ("acknowledged", "in_progress"),
        ("in_progress", "resolved"),
    ]
    assert ticket["history"][-1]["actor"] == f"user:{crew.user_id}"
    # Who acted, readably: the crew member's name; the citizen who filed it has none.
    assert ticket["history"][-1]["actor_name"] == crew.user_name == "Crew tiefbau"
    assert (ticket["history"][0]["actor"], ticket["history"][0]["actor_name"]) == ("citizen", None)
    assert ticket["resolved_at"] == "2026-03-10T15:00:00Z"
    assert ticket["sla"]["state"] == "met"
    # The public sees the public notes, never internal ones.
    tracked = client.get(f"/api/v1/track/{_token(client, public_id, app)}").json
    assert [h["note"] for h in tracked["history"]][-2:] == ["Trupp ist unterwegs", "Verfüllt"]


def _token(client, public_id, app):
    # Rebuild the tracking token as mails do.
    from maengelmelder.reports.service import tracking_token

    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.public_id == public_id))
        return tracking_token(app.config["SECRET_KEY"], report.tracking_salt)


def test_invalid_transition_names_the_allowed_states(client, crew):
    public_id = file_ticket(client)["report"]["public_id"]
    resp = move(crew, public_id, "closed")
    assert resp.status_code == 409
    assert resp.json["error"]["allowed_next"] == [
        "acknowledged",
        "in_progress",
        "waiting_external",
        "resolved",
        "rejected",
        "duplicate",
    ]
    assert "closed" in resp.json["error"]["message"]["de"]


def test_stale_version_is_refused_with_the_current_state(client, crew, staff):
    public_id = file_ticket(client)["report"]["public_id"]
    seen = version_of(crew, public_id)
    colleague = staff.client("crew", "tiefbau")
    assert move(colleague, public_id, "acknowledged", seen).status_code == 200
    resp = move(crew, public_id, "in_progress", seen)
    assert resp.status_code == 412
    assert resp.json["error"]["code"] == "version_stale"
    assert resp.json["error"]["current"]["version"] == int(version_of(crew, public_id).strip('"'))
    missing = crew.post(f"/api/v1/tickets/{public_id}/transition", json={"to": "in_progress"})
    assert missing.status_code == 428


def test_rejection_needs_a_public_reason(client, crew):
    public_id = file_ticket(client)["report"]["public_id"]
    assert move(crew, public_id, "rejected").status_code == 422
    resp = move(crew, public_id, "rejected", public_note="Privatgelände, bitte Eigentümer melden")
    assert resp.status_code == 200
    assert resp.json["allowed_next"] == []


def test_duplicate_points_to_the_original_and_its_reporter_follows(app, client, crew):
    original = file_ticket(client, email="erste@example.org")["report"]["public_id"]
    dup = file_ticket(client, email="zweite@example.org")["report"]["public_id"]
    assert move(crew, dup, "duplicate", duplicate_of=dup).status_code == 422
    assert move(crew, dup, "duplicate", duplicate_of="2026-999999").status_code == 422
    resp = move(crew, dup, "duplicate", duplicate_of=original)
    assert resp.status_code == 200
    assert crew.get(f"/api/v1/tickets/{dup}").json["duplicate_of"] == original
    with app.app_context():
        followers = db.session.scalars(select(Follower.email)).all()
    assert followers == ["zweite@example.org"]


def test_assignment(client, crew, staff):
    public_id = file_ticket(client)["report"]["public_id"]
    other_crew_id, _ = staff.user("crew", "tiefbau")
    gardener_id, _ = staff.user("crew", "gruen")
    url = f"/api/v1/tickets/{public_id}/assign"

    def assign(who, caller=crew):
        return caller.post(
            url, json={"assignee_id": who}, headers={"If-Match": version_of(caller, public_id)}
        )

    assert assign(crew.user_id).json["assignee"]["id"] == crew.user_id
    assert assign(other_crew_id).status_code == 403  # crews only take tickets themselves
    supervisor = staff.client("supervisor", "tiefbau")
    assert assign(gardener_id, supervisor).status_code == 422  # not in the department
    assert assign(other_crew_id, supervisor).json["assignee"]["id"] == other_crew_id
    mine = crew.get("/api/v1/tickets?assignee=me").json["items"]
    assert mine == []
    assert assign(None, supervisor).json["assignee"] is None


def test_forwarding_moves_the_ticket_and_records_why(client, crew, staff):
    public_id = file_ticket(client)["report"]["public_id"]
    resp = crew.post(
        f"/api/v1/tickets/{public_id}/forward",
        json={"department": "ordnung", "reason": "Privatweg, Eigentümer zuständig"},
        headers={"If-Match": version_of(crew, public_id)},
    )
    assert resp.status_code == 200, resp.json
    assert resp.json["department"]["code"] == "ordnung"
    assert resp.json["routing"]["reason"] == "Privatweg, Eigentümer zuständig"
    assert "weitergeleitet" in resp.json["routing"]["text"]["de"]
    # Now it is the Ordnungsamt's, not the Tiefbauamt's.
    assert crew.get(f"/api/v1/tickets/{public_id}").status_code == 403
    ordnung = staff.client("crew", "ordnung")
    assert [t["public_id"] for t in ordnung.get("/api/v1/tickets").json["items"]] == [public_id]
    again = ordnung.post(
        f"/api/v1/tickets/{public_id}/forward",
        json={"department": "ordnung", "reason": "x"},
        headers={"If-Match": version_of(ordnung, public_id)},
    )
    assert again.status_code == 422


def test_queue_filters(client, crew, clock):
    centre = file_ticket(client)["report"]["public_id"]
    ost = file_ticket(client, "gehweg", lat=50.1, lon=8.79)["report"]["public_id"]
    assert [t["public_id"] for t in crew.get("/api/v1/tickets?zone=ost").json["items"]] == [ost]
    assert [t["public_id"] for t in crew.get("/api/v1/tickets?category=gehweg").json["items"]] == [
        ost
    ]
    assert move(crew, centre, "acknowledged").status_code == 200
    by_state = crew.get("/api/v1/tickets?status=acknowledged").json["items"]
    assert [t["public_id"] for t in by_state] == [centre]
    clock.advance(hours=40)  # 75 % of 48 h is 36 h
    assert crew.get("/api/v1/tickets?sla=at_risk").json["total"] == 2
    clock.advance(hours=9)
    breached = crew.get("/api/v1/tickets?sla=breached").json["items"]
    assert {t["sla"]["state"] for t in breached} == {"breached"}
    assert crew.get("/api/v1/tickets?sla=ok").json["total"] == 0
    assert crew.get("/api/v1/tickets?sla=later").status_code == 400
    assert crew.get("/api/v1/tickets?status=lost").status_code == 400
    assert crew.get("/api/v1/tickets?limit=1").json["items"][0]["public_id"] == centre


def test_reporter_email_only_for_the_departments_staff(client, crew, staff):
    public_id = file_ticket(client, email="anna@example.org")["report"]["public_id"]
    assert crew.get(f"/api/v1/tickets/{public_id}").json["reporter_email"] == "anna@example.org"
    city = staff.client("supervisor", citywide=True).get(f"/api/v1/tickets/{public_id}").json
    assert "reporter_email" not in city
    admin = staff.client("admin").get(f"/api/v1/tickets/{public_id}").json
    assert "anna@example.org" not in str(admin)


def test_citizen_reopens_within_14_days_with_a_note(client, crew, clock):
    created = file_ticket(client)
    public_id, token = created["report"]["public_id"], created["tracking_token"]
    assert client.post(f"/api/v1/track/{token}/reopen", json={"note": "x"}).status_code == 409
    move(crew, public_id, "resolved", public_note="Erledigt")
    clock.advance(days=3)
    resp = client.post(f"/api/v1/track/{token}/reopen", json={"note": "Loch ist noch da!"})
    assert resp.status_code == 200, resp.json
    assert resp.json["status"] == "acknowledged"
    ticket = crew.get(f"/api/v1/tickets/{public_id}").json
    reopened = next(e for e in ticket["history"] if e["kind"] == "reopened")
    assert reopened["internal_note"] == "Loch ist noch da!"
    assert reopened["public_note"] is None  # unmoderated citizen text stays internal
    # The crew gets the full 48 hours again from the reopening.
    assert ticket["history"][-1]["kind"] == "deadline"
    assert ticket["deadline"] == "2026-03-15T09:00:00Z"
    assert [t["public_id"] for t in crew.get("/api/v1/tickets").json["items"]] == [public_id]
    # Too late after 14 days.
    move(crew, public_id, "resolved")
    clock.advance(days=15)
    late = client.post(f"/api/v1/track/{token}/reopen", json={"note": "immer noch"})
    assert late.status_code == 409


def test_citizen_confirms_the_fix(client, crew):
    created = file_ticket(client)
    move(crew, created["report"]["public_id"], "resolved")
    resp = client.post(f"/api/v1/track/{created['tracking_token']}/confirm")
    assert resp.status_code == 200
    assert resp.json["status"] == "closed"
    assert client.post(f"/api/v1/track/{created['tracking_token']}/confirm").status_code == 409
    assert client.post("/api/v1/track/wrong-token/confirm").status_code == 404


def test_quiet_resolved_tickets_close_automatically(app, client, crew, clock):
    public_id = file_ticket(client)["report"]["public_id"]
    move(crew, public_id, "resolved")
    runner = app.test_cli_runner()
    clock.advance(days=13)
    assert "0 tickets closed" in runner.invoke(args=["tickets", "close-quiet"]).output
    clock.advance(days=2)
    result = runner.invoke(args=["tickets", "close-quiet"])
    assert f"1 tickets closed: {public_id}" in result.output
    ticket = crew.get(f"/api/v1/tickets/{public_id}").json
    assert ticket["status"] == "closed"
    assert ticket["history"][-1]["data"] == {"reason": "quiet_period"}


def test_moderation_queue_and_exports_of_the_current_filter(client, crew, staff):
    pothole = file_ticket(client)["report"]["public_id"]  # moderated: not published
    lamp = file_ticket(client, "strassenlaterne")["report"]["public_id"]  # auto-published
    city = staff.client("supervisor", citywide=True)
    pending = city.get("/api/v1/tickets?published=false").json["items"]
    assert [t["public_id"] for t in pending] == [pothole]
    assert [t["public_id"] for t in city.get("/api/v1/tickets?published=true").json["items"]] == [
        lamp
    ]
    csv_text = crew.get("/api/v1/tickets?format=csv").get_data(as_text=True)
    lines = csv_text.splitlines()
    assert lines[0].startswith("public_id,status,category,department,created_at,deadline")
    assert len(lines) == 2 and lines[1].startswith(pothole + ",new,schlagloch,tiefbau")
    geo = city.get("/api/v1/tickets?format=geojson&category=strassenlaterne")
    assert geo.mimetype == "application/geo+json"
    assert [f["id"] for f in geo.json["features"]] == [lamp]
    assert crew.get("/api/v1/tickets?format=xlsx").status_code == 400
