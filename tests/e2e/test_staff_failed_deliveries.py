"""The failed hand-overs in the staff app (issue 25), in Chromium on a laptop: a supervisor
follows the SLA board's failed-deliveries figure to the list of their departments' failed
deliveries (another department's stays out), reads the ticket, body, attempts and error, and
"Erneut senden" queues one again; axe clean in German and English, and it fits a phone.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_staff_app import button, file_report, heading, is_api, log_in
from tests.e2e.test_staff_axe import Scanner
from tests.e2e.test_staff_moderation_list import LAPTOP
from tests.forwarding.helpers import delivery_row
from tests.tickets.test_authorization import _destination_id, _failed_delivery_id

pytestmark = pytest.mark.usefixtures("staff_requirements")


def test_a_supervisor_goes_from_the_board_to_the_failed_list_and_sends_one_again(
    app, staff, live_server, desktop_page
):
    page = desktop_page
    page.set_viewport_size(LAPTOP)
    destination_id = _destination_id(app, 7)  # "Stadtwerke 7", by e-mail
    pothole = file_report(live_server)  # Tiefbauamt
    tree = file_report(live_server, category="baum")  # Grünflächenamt
    delivery_id = _failed_delivery_id(app, staff, pothole, destination_id)
    _failed_delivery_id(app, staff, tree, destination_id)
    _, supervisor = staff.user("supervisor", "tiefbau")
    scan = Scanner()

    log_in(page, supervisor)  # a supervisor starts on the board
    figure = page.locator(".failed-deliveries")
    expect(figure.locator(".failed-deliveries-count")).to_have_text("1")
    with page.expect_response(is_api("GET", "/api/v1/deliveries")) as listed:
        page.get_by_role("link", name="Fehlgeschlagene Weitergaben ansehen").click()
    assert listed.value.status == 200, listed.value.text()
    assert "status=failed" in listed.value.url
    expect(heading(page, "Fehlgeschlagene Weitergaben")).to_be_visible()
    assert page.url.endswith("#/deliveries")
    table = page.get_by_role("table", name="Fehlgeschlagene Weitergaben")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text(pothole)
    expect(table).not_to_contain_text(tree)
    expect(table).to_contain_text("Stadtwerke 7 (E-Mail)")
    expect(table.locator("code")).to_have_text("550 mailbox unavailable")
    expect(table.get_by_role("link", name=pothole)).to_have_attribute("href", f"#/ticket/{pothole}")
    # The menu marks the board as the place the list belongs to.
    expect(page.locator('nav a[aria-current="page"]')).to_have_text("Fristen")
    again = button(page, f"Weitergabe von {pothole} an Stadtwerke 7 erneut senden")
    size = again.bounding_box()
    assert size["height"] >= 44 and size["width"] >= 44, size
    scan.check("failed deliveries", page)

    # "Erneut senden", by keyboard: due again, and gone from the list.
    again.focus()
    with page.expect_response(
        is_api("POST", f"/tickets/{pothole}/deliveries/{delivery_id}/retry")
    ) as retried:
        page.keyboard.press("Enter")
    assert retried.value.status == 200, retried.value.text()
    expect(page.get_by_text("Die Weitergabe an Stadtwerke 7 wird erneut gesendet.")).to_be_visible()
    expect(page.get_by_text("Keine fehlgeschlagenen Weitergaben.")).to_be_visible()
    assert delivery_row(app, delivery_id).status == "pending"

    # English, after a reload (the list is read again: still empty for this department).
    page.reload()
    button(page, "English").click()
    expect(heading(page, "Failed hand-overs")).to_be_visible()
    expect(page.get_by_text("No failed hand-overs.")).to_be_visible()
    scan.check("failed deliveries, English", page)

    # On a phone: it fits the width.
    page.set_viewport_size({"width": 360, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    scan.check("failed deliveries on a phone", page)
    scan.assert_clean()


def test_a_crew_member_is_not_let_in(app, staff, live_server, desktop_page):
    page = desktop_page
    _, crew = staff.user("crew", "tiefbau")
    log_in(page, crew, "/staff#/deliveries")
    expect(heading(page, "Dafür fehlt Ihnen die Berechtigung.")).to_be_visible()
