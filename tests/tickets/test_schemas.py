"""The queue's fast path builds what its schemas dump, for each audience; downloads show the
documented columns."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from maengelmelder.accounts.service import Principal
from maengelmelder.core.catalog import Department
from maengelmelder.core.models import Report
from maengelmelder.extensions import db
from maengelmelder.tickets import schemas
from maengelmelder.tickets.queue import QueuePage
from tests.tickets.helpers import file_ticket, version_of


def _principal(department_ids: frozenset[int], role: str = "supervisor", **more) -> Principal:
    return Principal(
        kind="user",
        id=1,
        name="Erika",
        role=role,
        citywide=more.get("citywide", False),
        department_ids=department_ids,
    )


def _worked_tickets(client, staff) -> None:
    """Tickets with what a ticket can carry: photos, an assignee, a flag, notes, e-mail."""
    crew = staff.client("crew", "tiefbau")
    plain = file_ticket(client)["report"]["public_id"]
    busy = file_ticket(client, photo=True, email="anna@example.org")["report"]["public_id"]
    file_ticket(client, "baum")  # another department's
    resp = crew.post(
        f"/api/v1/tickets/{busy}/assign",
        json={"assignee_id": crew.user_id},
        headers={"If-Match": version_of(crew, busy)},
    )
    assert resp.status_code == 200, resp.json
    resp = crew.post(
        f"/api/v1/tickets/{busy}/transition",
        json={"to": "in_progress", "internal_note": "Bauhof fragt"},
        headers={"If-Match": version_of(crew, busy)},
    )
    assert resp.status_code == 200, resp.json
    resp = crew.post(
        f"/api/v1/tickets/{plain}/publication",
        json={"action": "publish"},
        headers={"If-Match": version_of(crew, plain)},
    )
    assert resp.status_code == 200, resp.json
    resp = client.post(f"/api/v1/reports/{plain}/abuse", json={"reason": "spam"})
    assert resp.status_code < 300, resp.json


def test_the_queue_items_are_what_ticket_and_ticket_own_department_dump(app, client, staff, clock):
    _worked_tickets(client, staff)
    at = clock.advance(hours=30)  # some at risk
    with app.test_request_context():
        tiefbau = db.session.scalar(select(Department.id).where(Department.code == "tiefbau"))
        reports = db.session.scalars(select(Report).order_by(Report.id)).all()
        viewers = [
            _principal(frozenset({tiefbau})),  # sees the reporter of tiefbau's tickets
            _principal(frozenset(), citywide=True),  # sees every ticket, no reporter
            _principal(frozenset(), role="admin"),
        ]
        seen = set()
        for principal in viewers:
            page = QueuePage(reports, "next", total=len(reports), total_capped=False)
            fast = schemas.queue_page(page, 50, 0, principal, at)
            dumped = schemas.dump_for(
                schemas.TicketQueue(),
                {
                    "items": reports,
                    "total": len(reports),
                    "total_capped": False,
                    "limit": 50,
                    "offset": 0,
                    "next_cursor": "next",
                },
                principal,
                at,
            )
            assert fast == dumped
            for item, same in zip(fast["items"], dumped["items"], strict=True):
                assert list(item) == list(same)  # the keys in the same order, too
                seen.add("reporter_email" in item)
        assert seen == {True, False}
        assert any(item["assignee"] and item["abuse_flags"] == [] for item in fast["items"])
        assert any(item["abuse_flag_count"] == 1 for item in fast["items"])


def test_the_single_ticket_shows_the_reporter_only_to_its_department(app, client, staff):
    _worked_tickets(client, staff)
    with app.test_request_context():
        tiefbau = db.session.scalar(select(Department.id).where(Department.code == "tiefbau"))
        report = db.session.scalars(select(Report).where(Report.reporter_email.is_not(None))).one()
        own = schemas.full_view(report, _principal(frozenset({tiefbau})), app.config["CLOCK"]())
        city = schemas.full_view(
            report, _principal(frozenset(), citywide=True), app.config["CLOCK"]()
        )
        assert own.pop("reporter_email") == "anna@example.org"
        assert own == city
        listed = schemas.queue_item(report, _principal(frozenset()), app.config["CLOCK"]())
        assert {k: v for k, v in city.items() if k in listed and k != "photos"} == {
            k: v for k, v in listed.items() if k != "photos"
        }
        assert [e["actor_name"] for e in city["history"]][-1] is not None


def test_downloads_show_the_documented_columns(client, staff):
    _worked_tickets(client, staff)
    crew = staff.client("crew", "tiefbau")
    documented = set(schemas.TicketFeatureProperties().fields)
    geojson = crew.get("/api/v1/tickets?format=geojson").json
    assert geojson["features"]
    for feature in geojson["features"]:
        assert set(feature) == set(schemas.TicketFeature().fields)
        assert set(feature["properties"]) == documented
    assert set(geojson) == set(schemas.TicketFeatureCollection().fields)
    rows = list(csv.DictReader(io.StringIO(crew.get("/api/v1/tickets?format=csv").text)))
    assert rows and set(rows[0]) == documented | {"lat", "lon"}
