"""The crew's queue and moderation in Chromium with more tickets than fit on one page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_staff_app import button, file_report, heading, log_in, nav_link

pytestmark = pytest.mark.usefixtures("staff_requirements")

PAGE = 100  # the queue's page (frontend/src/staff/queue.ts)


def test_the_queue_loads_the_next_page_on_request(app, staff, clock, live_server, desktop_page):
    page = desktop_page
    filed = []
    for _ in range(PAGE + 2):
        filed.append(file_report(live_server))
        clock.advance(seconds=1)  # one deadline after the other: the order is the filing order
    _, email = staff.user("crew", "tiefbau")
    log_in(page, email)
    expect(heading(page, "Meine Liste")).to_be_visible()
    tickets = page.get_by_role("list", name="Meine Liste").get_by_role("listitem")
    expect(tickets).to_have_count(PAGE)
    expect(page.get_by_text("100 von 102 Meldungen angezeigt", exact=True)).to_be_visible()
    button(page, "Weitere laden").click()
    expect(tickets).to_have_count(PAGE + 2)
    expect(page.get_by_text("102 Meldungen", exact=True)).to_be_visible()
    expect(button(page, "Weitere laden")).to_have_count(0)
    # Soonest deadline first, each ticket once; the focus is on the first one just loaded.
    links = tickets.get_by_role("link")
    expect(links).to_have_text(filed)
    expect(links.nth(PAGE)).to_be_focused()
    # The moderation queue pages the same way (30 a page, each ticket loaded whole).
    nav_link(page, "Moderation").click()
    expect(heading(page, "Moderation")).to_be_visible()
    expect(page.locator("article.mod-item")).to_have_count(30)
    button(page, "Weitere laden").click()
    expect(page.locator("article.mod-item")).to_have_count(60)
