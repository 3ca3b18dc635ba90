"""Handing a ticket to an external body in the staff app (issue 25), in Chromium on a laptop:
an admin adds an e-mail destination under "Verwaltung", forwards a ticket to it, the ticket
waits for the body and lists the delivery; a delivery that failed (its mail server
unreachable, one attempt allowed) shows its error, and "Erneut senden" queues it again.
The sender is the worker's job, run here by calling it, as the other tests run jobs.
"""

from __future__ import annotations

import socket

import pytest
from playwright.sync_api import expect

from tests.e2e.test_staff_app import (
    button,
    file_report,
    heading,
    is_api,
    log_in,
    nav_link,
    status_of,
    ticket,
)
from tests.e2e.test_staff_axe import Scanner
from tests.e2e.test_staff_moderation_list import LAPTOP
from tests.forwarding.helpers import deliver, delivery_row

pytestmark = pytest.mark.usefixtures("staff_requirements")


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_admin_adds_a_body_forwards_a_ticket_and_sends_a_failed_delivery_again(
    app, staff, live_server, desktop_page
):
    page = desktop_page
    page.set_viewport_size(LAPTOP)
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{closed_port()}"
    app.config["FORWARDING_MAX_ATTEMPTS"] = 1
    public_id = file_report(live_server)
    _, admin = staff.user("admin", citywide=True)
    scan = Scanner()

    # Verwaltung: a new e-mail destination.
    log_in(page, admin)
    nav_link(page, "Verwaltung").click()
    expect(heading(page, "Externe Stellen")).to_be_visible()
    form = page.get_by_role("form", name="Neue externe Stelle")
    form.get_by_label("Name (deutsch)").fill("Stadtwerke Licht")
    form.get_by_label("Name (englisch)").fill("Public utility, lights")
    form.get_by_label("Weg").select_option("email")
    form.get_by_label("E-Mail-Adresse").fill("leitstelle@stadtwerke.example")
    with page.expect_response(is_api("POST", "/api/v1/admin/destinations")) as made:
        button(form, "Anlegen").click()
    assert made.value.status == 201, made.value.text()
    table = page.get_by_role("table", name="Externe Stellen")
    expect(table).to_contain_text("Stadtwerke Licht")
    expect(table).to_contain_text("leitstelle@stadtwerke.example")
    scan.check("admin, destinations", page)

    # The ticket: hand it over with a note.
    page.goto(f"/staff#/ticket/{public_id}")
    expect(heading(page, "An externe Stelle weitergeben")).to_be_visible()
    page.get_by_label("Externe Stelle", exact=True).select_option(label="Stadtwerke Licht")
    page.get_by_label("Notiz für die Stelle").fill("Leuchte an der Ecke flackert")
    send = button(page, "Weitergeben")
    size = send.bounding_box()
    assert size["height"] >= 44, size
    with page.expect_response(is_api("POST", f"/tickets/{public_id}/forward-external")) as sent:
        send.click()
    assert sent.value.status == 201, sent.value.text()
    body = sent.value.request.post_data_json
    assert body["note"] == "Leuchte an der Ecke flackert" and body["copy_only"] is False
    expect(page.get_by_text("An Stadtwerke Licht weitergegeben.")).to_be_visible()
    expect(status_of(page)).to_have_text("Wartet auf Dritte")
    deliveries = page.locator(".deliveries")
    expect(deliveries).to_contain_text("Stadtwerke Licht")
    expect(deliveries).to_contain_text("wartet")
    expect(page.locator(".history")).to_contain_text("An externe Stelle weitergegeben")
    stored = ticket(app, public_id)
    assert stored["status"] == "waiting_external"
    assert [e["kind"] for e in stored["events"]].count("handed_over") == 1
    delivery_id = sent.value.json()["delivery"]["id"]

    # The one attempt fails: the mail server is unreachable.
    deliver(app)
    assert delivery_row(app, delivery_id).status == "failed"
    page.reload()
    expect(deliveries).to_contain_text("fehlgeschlagen")
    error = delivery_row(app, delivery_id).last_error
    assert error
    expect(deliveries.locator("code")).to_have_text(error)
    again = button(page, "Erneut senden: Stadtwerke Licht")
    expect(again).to_be_visible()
    size = again.bounding_box()
    assert size["height"] >= 44 and size["width"] >= 44, size
    scan.check("ticket, failed delivery", page)

    # "Erneut senden", by keyboard: due again now.
    again.focus()
    with page.expect_response(is_api("POST", f"/deliveries/{delivery_id}/retry")) as retried:
        page.keyboard.press("Enter")
    assert retried.value.status == 200, retried.value.text()
    retried_note = "Die Weitergabe an Stadtwerke Licht wird erneut gesendet."
    expect(page.get_by_text(retried_note)).to_be_visible()
    expect(deliveries).to_contain_text("wartet")
    expect(button(page, "Erneut senden: Stadtwerke Licht")).to_have_count(0)
    assert delivery_row(app, delivery_id).status == "pending"

    # English.
    button(page, "English").click()
    expect(heading(page, "Hand over to an external body")).to_be_visible()
    expect(deliveries).to_contain_text("waiting")
    expect(page.locator(".history")).to_contain_text("Handed over to an external body")
    scan.check("ticket, English", page)

    # On a phone: the hand-over form and the deliveries fit the width.
    page.set_viewport_size({"width": 360, "height": 640})
    expect(page.get_by_label("External body", exact=True)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    scan.check("ticket on a phone", page)
    scan.assert_clean()


def test_a_crew_member_hands_a_ticket_to_a_body_the_admins_set_up(
    app, staff, live_server, desktop_page
):
    """Crews read the switched-on bodies by name (not the admins' list) and hand over."""
    from tests.tickets.test_authorization import _destination_id

    page = desktop_page
    page.set_viewport_size(LAPTOP)
    destination_id = _destination_id(app, 7)  # "Stadtwerke 7", by e-mail
    public_id = file_report(live_server)
    _, crew = staff.user("crew", "tiefbau")
    log_in(page, crew, f"/staff#/ticket/{public_id}")
    expect(heading(page, "An externe Stelle weitergeben")).to_be_visible()
    page.get_by_label("Externe Stelle", exact=True).select_option(label="Stadtwerke 7")
    with page.expect_response(is_api("POST", f"/tickets/{public_id}/forward-external")) as sent:
        button(page, "Weitergeben").click()
    assert sent.value.status == 201, sent.value.text()
    assert sent.value.request.post_data_json["destination"] == destination_id
    expect(status_of(page)).to_have_text("Wartet auf Dritte")


def test_the_list_arriving_late_leaves_the_caret_in_the_field_being_typed(
    app, staff, live_server, desktop_page
):
    """The bodies' list arrives while the admin types a new one: the caret stays in the field
    (the list used to focus its first row on arrival, and the next keys went nowhere)."""
    from tests.tickets.test_authorization import _destination_id

    page = desktop_page
    page.set_viewport_size(LAPTOP)
    _destination_id(app, 7)  # the list has a row to take the focus
    _, admin = staff.user("admin", citywide=True)
    held = []

    def hold_list(route):
        if route.request.method == "GET":
            held.append(route)
        else:
            route.continue_()

    page.route("**/api/v1/admin/destinations*", hold_list)
    log_in(page, admin)
    with page.expect_request(lambda r: r.method == "GET" and "/admin/destinations" in r.url):
        nav_link(page, "Verwaltung").click()
    name = page.get_by_role("form", name="Neue externe Stelle").get_by_label("Name (deutsch)")
    name.fill("Stadtwerke")
    assert len(held) == 1
    held[0].continue_()
    expect(page.get_by_role("table", name="Externe Stellen")).to_contain_text("Stadtwerke 7")
    expect(name).to_be_focused()
    page.keyboard.type(" Licht")
    expect(name).to_have_value("Stadtwerke Licht")
