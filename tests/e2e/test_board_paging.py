"""The SLA board in Chromium with more breaches than fit on one page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_staff_app import button, file_report, heading, log_in, nav_link

pytestmark = pytest.mark.usefixtures("staff_requirements")


def test_the_board_loads_further_breaches_on_request(app, staff, clock, live_server, desktop_page):
    page = desktop_page
    filed = [file_report(live_server) for _ in range(52)]
    clock.advance(hours=49)
    _, email = staff.user("supervisor", citywide=True)
    log_in(page, email)
    nav_link(page, "Fristen").click()
    expect(heading(page, "Fristen")).to_be_visible()
    rows = page.get_by_role("table", name="Überschritten").locator("tbody tr")
    expect(rows).to_have_count(50)
    expect(
        page.get_by_text("50 von 52 überschrittenen Fristen, die ältesten zuerst.")
    ).to_be_visible()
    # The oldest deadline first: the first report filed heads the list.
    expect(rows.first.get_by_role("link", name=filed[0], exact=True)).to_be_visible()
    button(page, "Weitere überschrittene Fristen laden").click()
    expect(rows).to_have_count(52)
    expect(
        page.get_by_text("52 von 52 überschrittenen Fristen, die ältesten zuerst.")
    ).to_be_visible()
    expect(button(page, "Weitere überschrittene Fristen laden")).to_have_count(0)
    # Focus moves to the first ticket just loaded, for keyboard users.
    expect(rows.nth(50).get_by_role("link", name=filed[50], exact=True)).to_be_focused()
