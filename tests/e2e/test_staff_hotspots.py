"""The hotspot view ("Brennpunkte") in Chromium: supervisors see where open tickets cluster."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_staff_app import file_report, heading, log_in, nav_link
from tests.e2e.test_staff_axe import Scanner

pytestmark = pytest.mark.usefixtures("staff_requirements")

INNENSTADT = {"lat": 50.1005, "lon": 8.7655}
WEST = {"lat": 50.1000, "lon": 8.7250}
TABLE = "Zonen mit den meisten offenen Meldungen"


def test_a_supervisor_sees_where_open_tickets_cluster_and_filters_them(
    app, staff, clock, live_server, desktop_page, shot
):
    page = desktop_page
    for category in ("schlagloch", "schlagloch", "strassenlaterne"):
        file_report(live_server, category=category, **INNENSTADT)
    for _ in range(2):
        file_report(live_server, category="graffiti", **WEST)
    _, email = staff.user("supervisor", citywide=True)
    log_in(page, email)

    nav_link(page, "Fristen").click()
    expect(heading(page, "Fristen")).to_be_visible()
    page.get_by_role("link", name="Brennpunkte auf der Karte", exact=True).click()
    expect(heading(page, "Brennpunkte")).to_be_visible()

    rows = page.get_by_role("table", name=TABLE).locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first.get_by_role("rowheader")).to_have_text("Innenstadt")
    expect(rows.first.locator("td").first).to_have_text("3")
    expect(rows.nth(1).get_by_role("rowheader")).to_have_text("West")
    expect(
        page.get_by_role("status").filter(has_text="Die meisten offenen Meldungen")
    ).to_contain_text("Die meisten offenen Meldungen: Innenstadt (3).")
    # On the map, the fullest zone is drawn with a heavy outline, and the cells show counts.
    map_region = page.get_by_role("region", name="Karte der Brennpunkte", exact=False)
    expect(map_region.locator("path.hs-top")).to_have_count(1)
    expect(map_region.locator(".hs-cell", has_text="3")).to_have_count(1)
    expect(page.get_by_text("Im Kartenausschnitt: 5 offen, 0 überschritten.")).to_be_visible()
    shot(page, "staff-7-hotspots")
    # axe finds no violation of any impact on the view, map and table included.
    scan = Scanner()
    scan.check("hotspots", page)
    scan.assert_clean()

    page.get_by_label("Kategorie", exact=True).select_option(label="Graffiti")
    expect(rows).to_have_count(1)
    expect(rows.first.get_by_role("rowheader")).to_have_text("West")
    expect(rows.first.locator("td").first).to_have_text("2")
    expect(page.get_by_text("Im Kartenausschnitt: 2 offen, 0 überschritten.")).to_be_visible()

    # Three days later the same tickets are overdue: the table says so.
    clock.advance(days=3)
    page.get_by_label("Kategorie", exact=True).select_option(label="Alle")
    expect(rows.first.locator("td").nth(1)).to_have_text("3")

    # The same view in English.
    page.get_by_role("button", name="English", exact=True).click()
    expect(heading(page, "Hotspots")).to_be_visible()
    english = page.get_by_role("table", name="Zones with the most open reports").locator("tbody tr")
    expect(english.first.get_by_role("rowheader")).to_have_text("Innenstadt")
    expect(page.get_by_text("Most open reports: Innenstadt (3).", exact=False)).to_be_visible()


def test_a_crew_member_has_no_way_to_the_hotspots(app, staff, live_server, desktop_page):
    page = desktop_page
    _, email = staff.user("crew", "tiefbau")
    log_in(page, email)
    expect(heading(page, "Meine Liste")).to_be_visible()
    expect(page.get_by_role("link", name="Brennpunkte", exact=True)).to_have_count(0)
    page.goto("/staff#/hotspots")
    expect(heading(page, "Dafür fehlt Ihnen die Berechtigung.")).to_be_visible()


def test_a_click_on_the_hotspots_link_while_the_board_fills_is_not_lost(
    app, staff, live_server, desktop_page
):
    """The board redraws as its figures arrive; a press on "Brennpunkte auf der Karte" before
    an answer and the release after it still follow the link (it used to be replaced in
    between, and the click went nowhere)."""
    page = desktop_page
    _, email = staff.user("supervisor", citywide=True)
    held = []
    page.route("**/api/v1/board/deliveries*", lambda route: held.append(route))
    log_in(page, email)
    with page.expect_request(lambda r: "/api/v1/board/deliveries" in r.url):
        nav_link(page, "Fristen").click()
    link = page.get_by_role("link", name="Brennpunkte auf der Karte", exact=True)
    expect(link).to_be_visible()  # the board still loads its figures
    box = link.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    assert held
    for route in held:
        route.continue_()
    expect(page.locator(".totals")).to_be_visible()  # drawn again meanwhile
    page.mouse.up()
    expect(heading(page, "Brennpunkte")).to_be_visible()
