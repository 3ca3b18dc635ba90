"""axe finds no violation of any impact on any staff screen: the crew's on a phone, the admin's
(every area, the ticket too) on a laptop.

The minor and moderate rules count as much as the serious ones here: a line outside every
landmark (`region`) or an empty table header (`empty-table-header`) is what a screen-reader
user meets on every visit.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_staff_app import (
    button,
    file_report,
    file_report_with_photo,
    heading,
    log_in,
    nav_link,
)

pytestmark = pytest.mark.usefixtures("staff_requirements")


class Scanner:
    """Runs axe on a screen and keeps every violation, named by screen."""

    def __init__(self) -> None:
        from axe_playwright_python.sync_playwright import Axe

        self.axe = Axe()
        self.found: dict[str, list[str]] = {}

    def check(self, screen: str, on: Page) -> None:
        results = self.axe.run(on)
        bad = [
            f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(", ".join(n["target"]) for n in v["nodes"])
            for v in results.response["violations"]
        ]
        if bad:
            self.found[screen] = bad

    def assert_clean(self) -> None:
        report = "\n".join(f"{s}:\n  " + "\n  ".join(v) for s, v in self.found.items())
        assert not self.found, "axe violations:\n" + report


def test_every_crew_screen_on_a_phone_is_axe_clean(app, staff, clock, live_server, page):
    scan = Scanner()
    public_id = file_report_with_photo(live_server)
    file_report(live_server, description="Noch ein Loch", lat=50.1010, lon=8.7660)
    _, crew = staff.user("crew", "tiefbau")

    page.goto("/staff")
    expect(button(page, "Anmelden")).to_be_visible()
    scan.check("login", page)
    log_in(page, crew)
    expect(page.get_by_role("link", name=public_id, exact=True)).to_be_visible()
    scan.check("queue", page)

    page.get_by_role("link", name=public_id, exact=True).click()
    expect(heading(page, f"Meldung {public_id}")).to_be_visible()
    expect(button(page, "Angenommen")).to_be_visible()
    expect(page.get_by_role("link", name="Navigation starten")).to_be_visible()
    scan.check("ticket", page)

    # The second look before the reporter is told (a modal dialog), then cancelled.
    page.get_by_label("Öffentliche Notiz", exact=True).fill("Loch verfüllt.")
    button(page, "Erledigt").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    scan.check("ticket, confirm dialog", page)
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)

    nav_link(page, "Moderation").click()
    expect(heading(page, "Moderation")).to_be_visible()
    expect(button(page, "Veröffentlichen").first).to_be_visible()
    scan.check("moderation", page)

    nav_link(page, "Meine Sitzungen").click()
    expect(heading(page, "Meine Sitzungen")).to_be_visible()
    expect(page.get_by_role("table").first).to_be_visible()
    scan.check("sessions", page)

    page.goto("/staff#/nirgendwo")
    expect(heading(page, "Diese Seite gibt es nicht.")).to_be_visible()
    scan.check("not found", page)

    scan.assert_clean()


def test_every_admin_screen_on_a_laptop_is_axe_clean(app, staff, clock, live_server, desktop_page):
    scan = Scanner()
    public_id = file_report_with_photo(live_server)
    file_report(live_server, description="Noch ein Loch", lat=50.1010, lon=8.7660)
    clock.advance(hours=49)  # breached: the board shows its tables and forward controls
    _, admin = staff.user("admin")
    desk = desktop_page

    log_in(desk, admin)
    expect(desk.get_by_role("link", name=public_id, exact=True)).to_be_visible()
    scan.check("queue", desk)

    desk.get_by_role("link", name=public_id, exact=True).click()
    expect(heading(desk, f"Meldung {public_id}")).to_be_visible()
    expect(button(desk, "Angenommen")).to_be_visible()
    scan.check("ticket", desk)

    nav_link(desk, "Fristen").click()
    expect(heading(desk, "Fristen")).to_be_visible()
    expect(
        desk.get_by_role("table", name="Überschritten").get_by_text(public_id, exact=True)
    ).to_be_visible()
    scan.check("board", desk)

    nav_link(desk, "Brennpunkte").click()
    expect(heading(desk, "Brennpunkte")).to_be_visible()
    expect(desk.get_by_role("region", name="Karte der Brennpunkte", exact=False)).to_be_visible()
    scan.check("hotspots", desk)

    nav_link(desk, "Moderation").click()
    expect(heading(desk, "Moderation")).to_be_visible()
    expect(button(desk, "Veröffentlichen").first).to_be_visible()
    scan.check("moderation", desk)

    nav_link(desk, "Verwaltung").click()
    expect(heading(desk, "Verwaltung")).to_be_visible()
    expect(desk.get_by_role("cell", name="tiefbau", exact=True).first).to_be_visible()
    scan.check("admin", desk)

    nav_link(desk, "Sperrliste").click()
    expect(heading(desk, "Sperrliste")).to_be_visible()
    scan.check("blocklist", desk)

    nav_link(desk, "Unzustellbare Mails").click()
    expect(heading(desk, "Unzustellbare Mails")).to_be_visible()
    scan.check("mails", desk)

    nav_link(desk, "Meine Sitzungen").click()
    expect(heading(desk, "Meine Sitzungen")).to_be_visible()
    expect(desk.get_by_role("table").first).to_be_visible()
    scan.check("sessions", desk)

    scan.assert_clean()
