"""Staff sessions in Chromium: logging out makes the browser's old cookie useless, and
"Meine Sitzungen" ends one's other sessions or all of them."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.test_staff_app import button, heading, log_in, nav_link

pytestmark = pytest.mark.usefixtures("staff_requirements")


def session_cookie(context) -> str:
    [cookie] = [c for c in context.cookies() if c["name"] == "session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    return cookie["value"]


def me(live_server: str, cookie: str) -> int:
    """What the API says to a request that presents this cookie, as a thief would."""
    resp = requests.get(f"{live_server}/api/v1/auth/me", cookies={"session": cookie}, timeout=10)
    return resp.status_code


def test_logging_out_makes_the_old_cookie_useless(app, staff, live_server, page, context):
    _, email = staff.user("crew", "tiefbau")
    log_in(page, email)
    cookie = session_cookie(context)
    assert me(live_server, cookie) == 200

    button(page, "Abmelden").click()
    expect(button(page, "Anmelden")).to_be_visible()
    assert [c for c in context.cookies() if c["name"] == "session"] == []
    assert me(live_server, cookie) == 401

    # the kept cookie put back into the browser opens nothing either
    context.add_cookies([{"name": "session", "value": cookie, "url": live_server}])
    page.goto("/staff")
    expect(button(page, "Anmelden")).to_be_visible()
    expect(button(page, "Abmelden")).to_have_count(0)


def test_my_sessions_end_the_phone_and_then_everything(
    app, staff, live_server, page, context, desktop_page, desktop_context
):
    _, email = staff.user("supervisor", "tiefbau")
    log_in(page, email)  # the phone
    log_in(desktop_page, email)  # the desktop
    phone_cookie = session_cookie(context)

    nav_link(desktop_page, "Meine Sitzungen").click()
    expect(heading(desktop_page, "Meine Sitzungen")).to_be_visible()
    rows = desktop_page.get_by_role("table", name="Meine Sitzungen").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="Diese Sitzung")).to_have_count(1)
    phone = rows.filter(has_not_text="Diese Sitzung")
    phone.get_by_role("button", name="Beenden").click()
    expect(desktop_page.get_by_role("status")).to_contain_text("ist beendet")
    expect(rows).to_have_count(1)
    assert me(live_server, phone_cookie) == 401

    # the phone notices at its next request and asks for a new login
    nav_link(page, "Meine Sitzungen").click()
    expect(page.get_by_role("alert")).to_contain_text("Sitzung ist abgelaufen")
    expect(button(page, "Anmelden")).to_be_visible()

    desktop_cookie = session_cookie(desktop_context)
    button(desktop_page, "Überall abmelden").click()
    expect(desktop_page.get_by_role("alert")).to_contain_text("überall abgemeldet")
    expect(button(desktop_page, "Anmelden")).to_be_visible()
    assert me(live_server, desktop_cookie) == 401
