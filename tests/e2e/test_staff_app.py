"""The staff app (`/staff`) in Chromium against the live server (see frontend/STAFF.md).

Crews on a phone-sized profile (``page``), supervisors and admins on a desktop-sized one
(``desktop_page``). The tests rely only on the accessible names STAFF.md promises and on the
API calls it lists; everything they check in the end is what the service stored.
The board, administration and moderation tests are in test_staff_admin.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, expect
from sqlalchemy import select

from maengelmelder.core.models import Report
from maengelmelder.extensions import db
from maengelmelder.tickets.notifications import Links
from tests import images
from tests.conftest import PASSWORD
from tests.reports.helpers import report_json

pytestmark = pytest.mark.usefixtures("staff_requirements")

# The German labels of the states a ticket can move to (STAFF.md, "ticket").
STATE_BUTTONS = (
    "Angenommen",
    "In Bearbeitung",
    "Wartet auf Dritte",
    "Erledigt",
    "Abgeschlossen",
    "Abgelehnt",
    "Doppelt gemeldet",
)


# --------------------------------------------------------------------------- helpers


def heading(page: Page, name: str):
    return page.get_by_role("heading", name=name, exact=True)


def button(page_or_scope, name: str):
    return page_or_scope.get_by_role("button", name=name, exact=True)


def nav_link(page: Page, name: str):
    return page.get_by_role("link", name=name, exact=True)


def status_of(page: Page):
    """The ticket's state as the ticket screen shows it (the <dd> after the "Status" term)."""
    return page.locator("dt", has_text=re.compile(r"^\s*Status\s*$")).locator(
        "xpath=following-sibling::dd[1]"
    )


def file_report(live_server: str, **fields) -> str:
    """File a report through the live server's public API (JSON); its public id."""
    resp = requests.post(f"{live_server}/api/v1/reports", json=report_json(**fields), timeout=10)
    assert resp.status_code == 201, resp.text
    return resp.json()["report"]["public_id"]


def file_report_with_photo(live_server: str, **fields) -> str:
    """File a report with one photo (multipart), so moderation has a photo to show."""
    data = {k: str(v) for k, v in report_json(**fields).items()}
    files = [("photos", ("IMG_0001.jpg", images.phone_jpeg(1200, 900), "image/jpeg"))]
    resp = requests.post(f"{live_server}/api/v1/reports", data=data, files=files, timeout=30)
    assert resp.status_code == 201, resp.text
    return resp.json()["report"]["public_id"]


def log_in(page: Page, email: str, path: str = "/staff") -> None:
    """Open `path`, fill in the login form and wait until the app shows the logged-in bar."""
    page.goto(path)
    page.get_by_label("E-Mail", exact=True).fill(email)
    page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    button(page, "Anmelden").click()
    expect(button(page, "Abmelden")).to_be_visible()


def ticket(app, public_id: str) -> dict:
    """A stored ticket as plain values (no session outlives the call)."""
    with app.app_context():
        report = db.session.scalars(select(Report).where(Report.public_id == public_id)).one()
        return {
            "status": report.status,
            "department": report.department.code,
            "photos": sorted(p.kind for p in report.photos),
            "events": [
                {
                    "kind": e.kind,
                    "to": e.to_status,
                    "public_note": e.public_note,
                    "internal_note": e.internal_note,
                    "data": e.data,
                }
                for e in report.events
            ],
        }


def is_api(method: str, path: str):
    """A predicate for ``page.expect_response``: this call to the live server."""
    return lambda resp: resp.request.method == method and resp.url.split("?")[0].endswith(path)


# --------------------------------------------------------------------------- tests


def test_crew_works_a_pothole_on_a_phone(app, staff, live_server, page, tmp_path: Path, shot):
    public_id = file_report(live_server)
    _, email = staff.user("crew", "tiefbau")
    after = tmp_path / "nachher.jpg"
    after.write_bytes(images.phone_jpeg(2000, 1500))
    note = "Loch verfüllt und verdichtet."

    page.goto("/staff")
    expect(page.get_by_label("E-Mail", exact=True)).to_be_visible()
    shot(page, "staff-1-login")
    log_in(page, email)

    expect(heading(page, "Meine Liste")).to_be_visible()
    link = page.get_by_role("link", name=public_id, exact=True)
    expect(link).to_be_visible()
    expect(page.get_by_role("listitem").filter(has=link)).to_contain_text("im Plan")
    shot(page, "staff-2-queue")

    link.click()
    expect(heading(page, f"Meldung {public_id}")).to_be_visible()
    button(page, "Angenommen").click()
    expect(status_of(page)).to_have_text("Angenommen")
    expect(button(page, "Angenommen")).to_have_count(0)
    button(page, "In Bearbeitung").click()
    expect(status_of(page)).to_have_text("In Bearbeitung")

    page.get_by_label("Nachher-Foto", exact=True).set_input_files(after)
    with page.expect_response(is_api("POST", f"/api/v1/tickets/{public_id}/photos")) as upload:
        button(page, "Foto hochladen").click()
    assert upload.value.status == 201, upload.value.text()
    expect(page.get_by_role("img", name=re.compile("nachher"))).to_be_visible()

    page.get_by_label("Öffentliche Notiz", exact=True).fill(note)
    shot(page, "staff-3-ticket")
    button(page, "Erledigt").click()
    # The second look: what the reporter will read, then one confirmation.
    dialog = page.get_by_role("dialog", name=f"Meldung {public_id} als erledigt markieren?")
    expect(dialog.locator("blockquote")).to_have_text(note)
    button(dialog, "Ja, erledigt").click()
    expect(page.get_by_role("list", name="Verlauf")).to_contain_text(note)
    expect(status_of(page)).to_have_text("Erledigt")

    stored = ticket(app, public_id)
    assert stored["status"] == "resolved"
    assert "after" in stored["photos"]
    assert [e["to"] for e in stored["events"] if e["kind"] == "status"] == [
        "acknowledged",
        "in_progress",
        "resolved",
    ]
    resolved = [e for e in stored["events"] if e["to"] == "resolved"]
    assert len(resolved) == 1
    assert resolved[0]["public_note"] == note


def test_a_stale_version_is_shown_not_overwritten(app, staff, live_server, page, server_log, shot):
    public_id = file_report(live_server)
    _, email = staff.user("crew", "tiefbau")
    log_in(page, email, f"/staff#/ticket/{public_id}")
    expect(heading(page, f"Meldung {public_id}")).to_be_visible()
    expect(status_of(page)).to_have_text("Neu")
    expect(button(page, "In Bearbeitung")).to_be_enabled()

    # Meanwhile a colleague acknowledges it through the API.
    auth = {"Authorization": "Bearer " + staff.token("crew", "tiefbau")}
    url = f"{live_server}/api/v1/tickets/{public_id}"
    seen = requests.get(url, headers=auth, timeout=10)
    assert seen.status_code == 200, seen.text
    stale_etag = seen.headers["ETag"]
    changed = requests.post(
        f"{url}/transition",
        json={"to": "acknowledged", "public_note": "Kollege ist unterwegs."},
        headers={**auth, "If-Match": stale_etag},
        timeout=10,
    )
    assert changed.status_code == 200, changed.text

    with page.expect_response(is_api("POST", f"/api/v1/tickets/{public_id}/transition")) as sent:
        button(page, "In Bearbeitung").click()
    assert sent.value.status == 412
    expect(
        page.get_by_role("alert").filter(has_text="Inzwischen von jemand anderem geändert")
    ).to_be_visible()
    expect(status_of(page)).to_have_text("Angenommen")
    expect(button(page, "Angenommen")).to_have_count(0)
    expect(page.get_by_role("list", name="Verlauf")).to_contain_text("Kollege ist unterwegs.")

    # The browser did send its change, with the version it had seen.
    browser_posts = [
        hit
        for hit in server_log.of("POST", f"/api/v1/tickets/{public_id}/transition")
        if "authorization" not in hit.headers
    ]
    assert [hit.headers.get("if-match") for hit in browser_posts] == [stale_etag]

    stored = ticket(app, public_id)
    assert stored["status"] == "acknowledged"
    assert [e["to"] for e in stored["events"] if e["kind"] == "status"] == ["acknowledged"]


def test_crew_of_another_department_is_refused(app, staff, live_server, page, shot):
    public_id = file_report(live_server)  # a pothole: Tiefbauamt
    _, email = staff.user("crew", "gruen")

    log_in(page, email)
    expect(heading(page, "Meine Liste")).to_be_visible()
    expect(page.get_by_role("link", name=public_id, exact=True)).to_have_count(0)

    # The app's ticket route is #/ticket/<id>; Flask serves /staff/<path> and the app turns
    # the path into that route (frontend/src/staff/shell.ts pathToHash).
    with page.expect_response(is_api("GET", f"/api/v1/tickets/{public_id}")) as answer:
        page.goto(f"/staff/ticket/{public_id}")
    assert answer.value.status == 403
    expect(heading(page, f"Meldung {public_id}")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Berechtigung")
    for label in STATE_BUTTONS:
        expect(button(page, label)).to_have_count(0)
    expect(button(page, "Foto hochladen")).to_have_count(0)


def test_no_serious_accessibility_violations(
    app, staff, clock, live_server, page, desktop_page, shot
):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    found: dict[str, list[str]] = {}

    def check(screen: str, on: Page) -> None:
        results = axe.run(on)
        bad = [
            f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(", ".join(n["target"]) for n in v["nodes"])
            for v in results.response["violations"]
            if v["impact"] in {"serious", "critical"}
        ]
        if bad:
            found[screen] = bad

    public_id = file_report_with_photo(live_server)
    file_report(live_server, description="Noch ein Loch", lat=50.1010, lon=8.7660)
    clock.advance(hours=49)  # breached: the board shows its table and forward controls
    _, crew = staff.user("crew", "tiefbau")
    _, admin = staff.user("admin")

    # The crew's screens on the phone.
    page.goto("/staff")
    expect(button(page, "Anmelden")).to_be_visible()
    check("login", page)
    log_in(page, crew)
    expect(page.get_by_role("link", name=public_id, exact=True)).to_be_visible()
    check("queue", page)
    page.get_by_role("link", name=public_id, exact=True).click()
    expect(heading(page, f"Meldung {public_id}")).to_be_visible()
    expect(button(page, "Angenommen")).to_be_visible()
    check("ticket", page)

    # The supervisor's and admin's screens on the desktop.
    desk = desktop_page
    log_in(desk, admin)
    nav_link(desk, "Fristen").click()
    expect(heading(desk, "Fristen")).to_be_visible()
    expect(
        desk.get_by_role("table", name="Überschritten").get_by_text(public_id, exact=True)
    ).to_be_visible()
    check("board", desk)
    nav_link(desk, "Moderation").click()
    expect(heading(desk, "Moderation")).to_be_visible()
    expect(button(desk, "Veröffentlichen").first).to_be_visible()
    shot(desk, "staff-5-moderation")
    check("moderation", desk)
    nav_link(desk, "Verwaltung").click()
    expect(heading(desk, "Verwaltung")).to_be_visible()
    expect(desk.get_by_role("group", name=re.compile(r"^Regel 1 · "))).to_be_visible()
    check("admin", desk)

    report = "\n".join(f"{screen}:\n  " + "\n  ".join(v) for screen, v in found.items())
    print(report)
    assert not found, "serious or critical axe violations:\n" + report


def test_only_roles_that_may_use_an_area_see_its_link(app, staff, live_server, page):
    _, email = staff.user("crew", "tiefbau")
    log_in(page, email)
    expect(nav_link(page, "Meine Liste")).to_be_visible()
    expect(nav_link(page, "Fristen")).to_have_count(0)
    expect(nav_link(page, "Verwaltung")).to_have_count(0)
    button(page, "Abmelden").click()
    expect(button(page, "Anmelden")).to_be_visible()


def test_the_ticket_link_in_staff_mails_opens_the_ticket(app, staff, live_server, page):
    """Escalation and notification mails link to the ticket (Links.staff_url, sla/jobs.py)."""
    public_id = file_report(live_server)
    with app.app_context():
        report = db.session.scalars(select(Report).where(Report.public_id == public_id)).one()
        link = Links(base_url=live_server, secret_key="x", city_name="x").staff_url(report)
    _, email = staff.user("supervisor", "tiefbau")

    log_in(page, email, link.removeprefix(live_server))
    expect(heading(page, f"Meldung {public_id}")).to_be_visible()
    expect(button(page, "Angenommen")).to_be_visible()
