"""Staff sign in with the city's identity provider, in Chromium: the staff app's "Mit
Dienstkonto anmelden", the real test provider's login page (tests/oidc/provider), and back.

The app is served where the provider was told it lives (its redirect and back-channel URIs),
with the provider's wall clock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from maengelmelder.accounts import oidc
from tests.e2e.conftest import APP_DIR, DESKTOP
from tests.e2e.test_staff_app import file_report, heading
from tests.oidc.fixtures import USERS, oidc_provider, provider  # noqa: F401

pytestmark = pytest.mark.usefixtures("staff_requirements")


@pytest.fixture
def oidc_server(app, provider, clock) -> Iterator[str]:  # noqa: F811
    url = f"http://127.0.0.1:{provider.backchannel_port}"
    app.config.update(provider.app_config(), FRONTEND_DIR=str(APP_DIR), BASE_URL=url)
    clock.now = datetime.now(UTC)
    oidc.forget_provider()
    server = make_server("127.0.0.1", provider.backchannel_port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="oidc-app", daemon=True)
    thread.start()
    yield url
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture
def page(browser, oidc_server: str) -> Iterator[Page]:
    ctx = browser.new_context(
        base_url=oidc_server, viewport=DESKTOP, locale="de-DE", timezone_id="Europe/Berlin"
    )
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    yield page
    ctx.close()


def sign_in_with_work_account(page: Page, user: str) -> None:
    page.goto("/staff")
    work_account = page.get_by_role("link", name="Mit Dienstkonto anmelden")
    expect(work_account).to_be_visible()
    work_account.click()
    # The provider's own page: it asks for the password.
    page.get_by_label("User").fill(user)
    page.get_by_label("Password").fill(USERS[user][0])
    page.get_by_role("button", name="Sign in").click()


def log_out_here_and_at_the_provider(page: Page) -> None:
    page.get_by_role("button", name="Abmelden", exact=True).click()
    page.get_by_role("button", name="Yes, sign me out").click()
    expect(page.get_by_role("link", name="Mit Dienstkonto anmelden")).to_be_visible()


def test_a_crew_member_signs_in_with_the_work_account_and_the_groups_decide_the_role(
    page: Page,
    oidc_server: str,
    provider,  # noqa: F811
):
    public_id = file_report(oidc_server)  # a pothole: the Tiefbau crew's
    sign_in_with_work_account(page, "anna")
    expect(page.get_by_text("Angemeldet als Anna Asphalt (Außendienst)")).to_be_visible()
    # Her group names the department: she lands in the Tiefbau queue, the pothole in it.
    expect(heading(page, "Meine Liste")).to_be_visible()
    expect(page.get_by_role("link", name=public_id, exact=True)).to_be_visible()

    # IT makes her a supervisor; she signs out (here and at the provider) and in again.
    provider.set_groups("anna", ["leitung"])
    log_out_here_and_at_the_provider(page)
    sign_in_with_work_account(page, "anna")
    expect(page.get_by_text("Angemeldet als Anna Asphalt (Leitung)")).to_be_visible()

    # She leaves: no group with a role here any more, and the next sign-in is refused.
    provider.set_groups("anna", [])
    log_out_here_and_at_the_provider(page)
    sign_in_with_work_account(page, "anna")
    expect(page.get_by_role("alert")).to_contain_text("Ihr Dienstkonto gehört zu keiner Gruppe")
    expect(page.get_by_role("alert")).to_contain_text("Your work account is in no group")
    page.get_by_role("link", name="Zur Anmeldung").click()
    expect(page.get_by_role("link", name="Mit Dienstkonto anmelden")).to_be_visible()


def test_logout_ends_the_session_here_and_at_the_provider(page: Page):
    sign_in_with_work_account(page, "anna")
    expect(page.get_by_text("Angemeldet als Anna Asphalt (Außendienst)")).to_be_visible()

    log_out_here_and_at_the_provider(page)

    # Here: the staff API no longer knows this browser.
    assert page.request.get("/api/v1/auth/me").status == 401
    # At the provider: a new sign-in asks for the password on the provider's page again.
    page.get_by_role("link", name="Mit Dienstkonto anmelden").click()
    expect(page.get_by_label("Password")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_an_admin_switches_password_sign_in_off_for_staff(
    page: Page,
    provider,  # noqa: F811
):
    provider.set_groups("bernd", ["it"])  # IT: admins here
    sign_in_with_work_account(page, "bernd")
    page.get_by_role("link", name="Verwaltung").click()
    region = page.get_by_role("region", name="Anmeldung")
    expect(region).to_contain_text(f"eingerichtet: {provider.issuer}")
    expect(region).to_contain_text("Noch von niemandem gewählt")
    passwords = region.get_by_label("Mitarbeitende dürfen sich mit Passwort anmelden")
    expect(passwords).to_be_checked()

    passwords.uncheck()
    region.get_by_role("button", name="Speichern").click()

    expect(region).to_contain_text("von bernd@stadt.example")
    expect(
        region.get_by_label("Mitarbeitende dürfen sich mit Passwort anmelden")
    ).not_to_be_checked()
    # The login page now offers passwords to the break-glass accounts only, below the work
    # account.
    log_out_here_and_at_the_provider(page)
    expect(page.get_by_text("Mit Passwort nur die Notfall-Konten der Verwaltung:")).to_be_visible()
    password_button = page.get_by_role("button", name="Anmelden", exact=True)
    expect(password_button).not_to_have_class("btn btn-primary")
    expect(page.get_by_role("link", name="Mit Dienstkonto anmelden")).to_have_class(
        "btn btn-primary"
    )
