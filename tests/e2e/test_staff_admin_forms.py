"""The admin's "new …" forms under "Verwaltung" keep what was typed, in Chromium on a laptop:
a section's list arriving while the admin types leaves the text and the caret in place, and a
create the server refuses keeps every value and shows the server's message beside the form.
The helpers are those of test_staff_app.py.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_staff_app import button, is_api, log_in, nav_link
from tests.e2e.test_staff_moderation_list import LAPTOP

pytestmark = pytest.mark.usefixtures("staff_requirements")


def hold_gets(page, pattern: str) -> list:
    """Hold every GET matching `pattern` until the test lets it go; other methods pass."""
    held: list = []

    def hold(route):
        if route.request.method == "GET":
            held.append(route)
        else:
            route.continue_()

    page.route(pattern, hold)
    return held


def open_admin_holding(page, admin: str, pattern: str, path: str) -> list:
    """Log in and open "Verwaltung" with the section's list (`path`) held back."""
    held = hold_gets(page, pattern)
    log_in(page, admin)
    with page.expect_request(lambda r: r.method == "GET" and path in r.url):
        nav_link(page, "Verwaltung").click()
    return held


@pytest.mark.parametrize(
    ("pattern", "path", "form_name", "first", "second", "table_name", "listed"),
    [
        (
            "**/api/v1/admin/departments*",
            "/admin/departments",
            "Neue Dienststelle",
            ("Kürzel", "bauhof"),
            ("Name (deutsch)", "Bauhof Nord"),
            "Dienststellen",
            "tiefbau",
        ),
        (
            "**/api/v1/admin/categories*",
            "/admin/categories",
            "Neue Kategorie",
            ("Kürzel", "bank"),
            ("Gruppe", "moebel"),
            "Kategorien",
            "schlagloch",
        ),
        (
            "**/api/v1/admin/users*",
            "/admin/users",
            "Neues Konto",
            ("E-Mail", "neu@stadt.example"),
            ("Name", "Nora Neu"),
            "Konten",
            "@stadt.example",
        ),
        (
            "**/api/v1/admin/tokens*",
            "/admin/tokens",
            "Neuer API-Schlüssel",
            ("Name", "Leitstelle"),
            None,
            "API-Schlüssel",
            "Name",
        ),
    ],
    ids=["departments", "categories", "accounts", "tokens"],
)
def test_a_list_arriving_late_keeps_what_is_typed_and_the_caret(
    app,
    staff,
    live_server,
    desktop_page,
    pattern,
    path,
    form_name,
    first,
    second,
    table_name,
    listed,
):
    page = desktop_page
    page.set_viewport_size(LAPTOP)
    _, admin = staff.user("admin", citywide=True)
    held = open_admin_holding(page, admin, pattern, path)
    form = page.get_by_role("form", name=form_name)
    if second:
        form.get_by_label(second[0], exact=True).fill(second[1])
    field = form.get_by_label(first[0], exact=True)
    field.fill(first[1])
    assert held, "the list was held back"
    for route in held:
        route.continue_()
    expect(page.get_by_role("table", name=table_name)).to_contain_text(listed)
    expect(field).to_have_value(first[1])
    expect(field).to_be_focused()
    page.keyboard.type("x")
    expect(field).to_have_value(first[1] + "x")
    if second:
        expect(form.get_by_label(second[0], exact=True)).to_have_value(second[1])


def test_a_refused_department_keeps_the_values_and_shows_why(app, staff, live_server, desktop_page):
    page = desktop_page
    page.set_viewport_size(LAPTOP)
    _, admin = staff.user("admin", citywide=True)
    log_in(page, admin)
    nav_link(page, "Verwaltung").click()
    expect(page.get_by_role("table", name="Dienststellen")).to_contain_text("tiefbau")
    form = page.get_by_role("form", name="Neue Dienststelle")
    form.get_by_label("Kürzel", exact=True).fill("tiefbau")  # taken
    form.get_by_label("Name (deutsch)", exact=True).fill("Tiefbau Nord")
    form.get_by_label("Name (englisch)", exact=True).fill("Civil works north")
    form.get_by_label("Postfach (E-Mail)", exact=True).fill("nord@stadt.example")
    with page.expect_response(is_api("POST", "/api/v1/admin/departments")) as sent:
        button(form, "Anlegen").click()
    assert sent.value.status == 409, sent.value.text()
    refusal = form.get_by_role("alert")
    expect(refusal).not_to_be_empty()
    code = form.get_by_label("Kürzel", exact=True)
    expect(code).to_have_value("tiefbau")
    expect(code).to_be_focused()
    expect(code).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_label("Name (deutsch)", exact=True)).to_have_value("Tiefbau Nord")
    expect(form.get_by_label("Name (englisch)", exact=True)).to_have_value("Civil works north")
    expect(form.get_by_label("Postfach (E-Mail)", exact=True)).to_have_value("nord@stadt.example")

    # Corrected, it is created, listed, and the form is empty again.
    code.fill("tiefbau_nord")
    with page.expect_response(is_api("POST", "/api/v1/admin/departments")) as sent:
        button(form, "Anlegen").click()
    assert sent.value.status == 201, sent.value.text()
    expect(page.get_by_role("table", name="Dienststellen")).to_contain_text("tiefbau_nord")
    expect(form.get_by_label("Kürzel", exact=True)).to_have_value("")
    expect(form.get_by_label("Name (deutsch)", exact=True)).to_have_value("")
    expect(form.get_by_role("alert")).to_have_count(0)


def test_a_refused_category_keeps_the_values_and_shows_why(app, staff, live_server, desktop_page):
    page = desktop_page
    page.set_viewport_size(LAPTOP)
    _, admin = staff.user("admin", citywide=True)
    log_in(page, admin)
    nav_link(page, "Verwaltung").click()
    expect(page.get_by_role("table", name="Kategorien")).to_contain_text("schlagloch")
    form = page.get_by_role("form", name="Neue Kategorie")
    form.get_by_label("Kürzel", exact=True).fill("schlagloch")  # taken
    form.get_by_label("Gruppe", exact=True).fill("strasse")
    form.get_by_label("Name (deutsch)", exact=True).fill("Loch")
    form.get_by_label("Name (englisch)", exact=True).fill("Hole")
    with page.expect_response(is_api("POST", "/api/v1/admin/categories")) as sent:
        button(form, "Anlegen").click()
    assert sent.value.status in (409, 422), sent.value.text()
    expect(form.get_by_role("alert")).not_to_be_empty()
    expect(form.get_by_label("Kürzel", exact=True)).to_have_value("schlagloch")
    expect(form.get_by_label("Gruppe", exact=True)).to_have_value("strasse")
    expect(form.get_by_label("Name (deutsch)", exact=True)).to_have_value("Loch")
    expect(form.get_by_label("Name (englisch)", exact=True)).to_have_value("Hole")


def test_a_refused_account_keeps_the_values_and_shows_why(app, staff, live_server, desktop_page):
    page = desktop_page
    page.set_viewport_size(LAPTOP)
    _, admin = staff.user("admin", citywide=True)
    log_in(page, admin)
    nav_link(page, "Verwaltung").click()
    expect(page.get_by_role("table", name="Konten")).to_contain_text(admin)
    form = page.get_by_role("form", name="Neues Konto")
    form.get_by_label("E-Mail", exact=True).fill(admin)  # taken
    form.get_by_label("Name", exact=True).fill("Zweite Person")
    form.get_by_label("Passwort", exact=True).fill("ein-langes-passwort-2026")
    with page.expect_response(is_api("POST", "/api/v1/admin/users")) as sent:
        button(form, "Anlegen").click()
    assert sent.value.status in (409, 422), sent.value.text()
    expect(form.get_by_role("alert")).not_to_be_empty()
    email = form.get_by_label("E-Mail", exact=True)
    expect(email).to_have_value(admin)
    expect(email).to_be_focused()
    expect(form.get_by_label("Name", exact=True)).to_have_value("Zweite Person")


def test_the_block_list_arriving_late_keeps_the_caret_in_the_pattern(
    app, staff, live_server, desktop_page
):
    page = desktop_page
    page.set_viewport_size(LAPTOP)
    _, admin = staff.user("admin", citywide=True)
    held = hold_gets(page, "**/api/v1/admin/blocklist*")
    log_in(page, admin)
    with page.expect_request(lambda r: r.method == "GET" and "/admin/blocklist" in r.url):
        nav_link(page, "Sperrliste").click()
    pattern = page.get_by_label("Muster", exact=True)
    pattern.fill("@spam")
    assert held, "the list was held back"
    for route in held:
        route.continue_()
    expect(page.get_by_text("Wird geladen …")).to_have_count(0)
    expect(pattern).to_be_focused()
    page.keyboard.type(".example")
    expect(pattern).to_have_value("@spam.example")


def test_switching_the_language_relabels_the_form_and_keeps_what_is_typed(
    app, staff, live_server, desktop_page
):
    page = desktop_page
    page.set_viewport_size(LAPTOP)
    _, admin = staff.user("admin", citywide=True)
    log_in(page, admin)
    nav_link(page, "Verwaltung").click()
    expect(page.get_by_role("table", name="Dienststellen")).to_contain_text("tiefbau")
    form = page.get_by_role("form", name="Neue Dienststelle")
    form.get_by_label("Kürzel", exact=True).fill("bauhof")
    form.get_by_label("Name (deutsch)", exact=True).fill("Bauhof")
    button(page, "English").click()
    form = page.get_by_role("form", name="New department")
    expect(page.get_by_role("heading", name="New department")).to_be_visible()
    expect(form.get_by_label("Code", exact=True)).to_have_value("bauhof")
    expect(form.get_by_label("Name (German)", exact=True)).to_have_value("Bauhof")


def test_the_accounts_arriving_late_leave_the_focus_on_the_account_choice(
    app, staff, live_server, desktop_page
):
    page = desktop_page
    page.set_viewport_size(LAPTOP)
    _, admin = staff.user("admin", citywide=True)
    held = hold_gets(page, "**/api/v1/admin/login-throttles*")
    log_in(page, admin)
    with page.expect_request(lambda r: r.method == "GET" and "/admin/login-throttles" in r.url):
        nav_link(page, "Meine Sitzungen").click()
    choice = page.get_by_label("Konto", exact=True)
    choice.focus()
    assert held, "the list was held back"
    for route in held:
        route.continue_()
    expect(choice.locator("option", has_text=admin)).to_have_count(1)
    expect(choice).to_be_focused()
