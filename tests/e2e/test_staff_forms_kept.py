"""The staff views outside "Verwaltung" keep what was typed, in Chromium on a laptop: a refused
forward on the ticket page and on the board keeps the department, the reason and the notes and
shows the server's message beside the form; a language switch keeps them; a refused publish in
moderation leaves the focus on its button; the ticket page follows a privacy pass still running
by itself, without taking the focus or the typed note away.

A refusal is the live server's own: the request leaves the browser with a department that does
not exist (the form offers only real ones), so the server answers 422.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests import images
from tests.e2e.test_staff_app import (
    button,
    file_report,
    file_report_with_photo,
    heading,
    is_api,
    log_in,
    nav_link,
)
from tests.e2e.test_staff_moderation_list import LAPTOP, row
from tests.passes import run_privacy_passes

pytestmark = pytest.mark.usefixtures("staff_requirements")

REASON = "Liegt auf dem Privatgrundstück, Ordnungsamt bitte prüfen."


def refuse_forwards(page) -> None:
    """Every forward leaves the browser naming a department that does not exist."""

    def rewrite(route):
        body = json.loads(route.request.post_data or "{}")
        body["department"] = "gibt_es_nicht"
        route.continue_(post_data=json.dumps(body))

    page.route("**/api/v1/tickets/*/forward", rewrite)


def open_ticket(page, email: str, public_id: str) -> None:
    page.set_viewport_size(LAPTOP)
    log_in(page, email, f"/staff#/ticket/{public_id}")
    expect(heading(page, f"Meldung {public_id}")).to_be_visible()


def test_a_refused_forward_on_the_ticket_keeps_the_values_and_shows_why(
    app, staff, live_server, desktop_page
):
    page = desktop_page
    public_id = file_report(live_server)
    _, crew = staff.user("crew", "tiefbau")
    open_ticket(page, crew, public_id)
    note = page.get_by_label("Öffentliche Notiz", exact=True)
    note.fill("Wir schauen es uns an.")
    form = page.locator("form.forward")
    form.get_by_label("Dienststelle", exact=True).select_option("ordnung")
    form.get_by_label("Grund", exact=True).fill(REASON)

    refuse_forwards(page)
    with page.expect_response(is_api("POST", f"/api/v1/tickets/{public_id}/forward")) as sent:
        button(form, "Weiterleiten").click()
    assert sent.value.status == 422, sent.value.text()
    why = form.locator(".field-error")
    expect(why).to_contain_text("Dienststelle")
    expect(why).to_be_focused()
    expect(form.get_by_label("Dienststelle", exact=True)).to_have_value("ordnung")
    expect(form.get_by_label("Grund", exact=True)).to_have_value(REASON)
    expect(note).to_have_value("Wir schauen es uns an.")

    # Sent as typed, it goes through and the form starts afresh.
    page.unroute("**/api/v1/tickets/*/forward")
    with page.expect_response(is_api("POST", f"/api/v1/tickets/{public_id}/forward")) as sent:
        button(form, "Weiterleiten").click()
    assert sent.value.status == 200, sent.value.text()
    expect(page.get_by_role("status")).to_contain_text("Weitergeleitet an Ordnungsamt")
    expect(form.get_by_label("Grund", exact=True)).to_have_value("")
    expect(form.locator(".field-error")).to_be_empty()


def test_a_refused_step_keeps_the_notes_and_the_chosen_photo_and_shows_why(
    app, staff, live_server, desktop_page, tmp_path
):
    page = desktop_page
    public_id = file_report(live_server)
    _, crew = staff.user("crew", "tiefbau")
    open_ticket(page, crew, public_id)
    after = tmp_path / "nachher.jpg"
    after.write_bytes(images.phone_jpeg(800, 600))
    page.get_by_label("Nachher-Foto", exact=True).set_input_files(after)
    page.get_by_label("Öffentliche Notiz", exact=True).fill("Schon gemeldet.")
    page.get_by_label("Interne Notiz", exact=True).fill("Siehe Original.")
    page.get_by_label("Vorgangsnummer der Originalmeldung", exact=True).fill("2026-999999")

    with page.expect_response(is_api("POST", f"/api/v1/tickets/{public_id}/transition")) as sent:
        button(page, "Doppelt gemeldet").click()
    assert sent.value.status == 422, sent.value.text()
    why = page.locator("#t-notes-err")
    expect(why).to_contain_text("2026-999999")
    expect(why).to_be_focused()
    expect(page.get_by_label("Öffentliche Notiz", exact=True)).to_have_value("Schon gemeldet.")
    expect(page.get_by_label("Interne Notiz", exact=True)).to_have_value("Siehe Original.")
    expect(page.get_by_label("Vorgangsnummer der Originalmeldung", exact=True)).to_have_value(
        "2026-999999"
    )
    chosen = page.get_by_label("Nachher-Foto", exact=True)
    assert chosen.evaluate("el => [...el.files].map((f) => f.name)") == ["nachher.jpg"]


def test_switching_the_language_on_the_ticket_keeps_what_is_typed(
    app, staff, live_server, desktop_page
):
    page = desktop_page
    public_id = file_report(live_server)
    _, crew = staff.user("crew", "tiefbau")
    open_ticket(page, crew, public_id)
    form = page.locator("form.forward")
    form.get_by_label("Dienststelle", exact=True).select_option("ordnung")
    form.get_by_label("Grund", exact=True).fill(REASON)
    page.get_by_label("Interne Notiz", exact=True).fill("Nur für uns.")

    button(page, "English").click()
    expect(heading(page, f"Report {public_id}")).to_be_visible()
    expect(form.get_by_label("Department", exact=True)).to_have_value("ordnung")
    expect(form.get_by_label("Reason", exact=True)).to_have_value(REASON)
    expect(page.get_by_label("Internal note", exact=True)).to_have_value("Nur für uns.")


def test_the_ticket_page_follows_a_running_privacy_pass_without_taking_the_note(
    app, staff, live_server, desktop_page
):
    page = desktop_page
    public_id = file_report_with_photo(live_server)
    _, crew = staff.user("crew", "tiefbau")
    open_ticket(page, crew, public_id)
    expect(page.locator(".on-site .pass")).to_have_text("Datenschutz-Prüfung läuft…")
    note = page.get_by_label("Öffentliche Notiz", exact=True)
    note.click()
    page.keyboard.type("Schild")

    assert run_privacy_passes(app) == ["done"]  # the worker's job

    # No reload: the page reads the ticket again by itself while the pass runs.
    expect(page.locator(".on-site .pass")).to_have_text(
        "0 Gesichter, 0 Kennzeichen unkenntlich gemacht"
    )
    expect(page.locator(".on-site .pass")).to_have_class("hint pass pass-done")
    expect(note).to_be_focused()
    page.keyboard.type(" fehlt")
    expect(note).to_have_value("Schild fehlt")


def test_a_refused_forward_on_the_board_keeps_the_values_and_shows_why(
    app, staff, live_server, desktop_page, clock
):
    page = desktop_page
    page.set_viewport_size(LAPTOP)
    public_id = file_report(live_server)
    clock.advance(hours=49)  # breached: the board lists it with its forward form
    _, email = staff.user("supervisor", citywide=True)
    log_in(page, email)
    nav_link(page, "Fristen").click()
    breach = (
        page.get_by_role("table", name="Überschritten")
        .get_by_role("row")
        .filter(has=page.get_by_text(public_id, exact=True))
    )
    breach.get_by_label("Dienststelle", exact=True).select_option("ordnung")
    breach.get_by_label("Grund", exact=True).fill(REASON)

    refuse_forwards(page)
    with page.expect_response(is_api("POST", f"/api/v1/tickets/{public_id}/forward")) as sent:
        button(breach, "Weiterleiten").click()
    assert sent.value.status == 422, sent.value.text()
    why = breach.locator(".field-error")
    expect(why).to_contain_text("Dienststelle")
    expect(why).to_be_focused()
    expect(breach.get_by_label("Dienststelle", exact=True)).to_have_value("ordnung")
    expect(breach.get_by_label("Grund", exact=True)).to_have_value(REASON)

    page.unroute("**/api/v1/tickets/*/forward")
    with page.expect_response(is_api("POST", f"/api/v1/tickets/{public_id}/forward")) as sent:
        button(breach, "Weiterleiten").click()
    assert sent.value.status == 200, sent.value.text()
    expect(page.get_by_role("status")).to_contain_text("Weitergeleitet an Ordnungsamt")


def test_a_refused_publish_in_moderation_leaves_the_focus_on_its_button(
    app, staff, live_server, desktop_page
):
    page = desktop_page
    page.set_viewport_size(LAPTOP)
    public_id = file_report_with_photo(live_server)
    run_privacy_passes(app)
    _, email = staff.user("admin", citywide=True)
    log_in(page, email)
    nav_link(page, "Moderation").click()
    item = row(page, public_id)
    publish = button(item, "Veröffentlichen")

    def rewrite(route):
        body = json.loads(route.request.post_data or "{}")
        body["photo_ids"] = [987654]  # not a photo of this report
        route.continue_(post_data=json.dumps(body))

    page.route("**/api/v1/tickets/*/publication", rewrite)
    publish.focus()
    with page.expect_response(is_api("POST", f"/api/v1/tickets/{public_id}/publication")) as sent:
        page.keyboard.press("Enter")
    assert 400 <= sent.value.status < 500, sent.value.text()
    expect(item.get_by_role("alert")).not_to_be_empty()
    expect(publish).to_be_focused()


def test_a_hotspot_filter_chosen_with_the_keyboard_keeps_the_focus(
    app, staff, live_server, desktop_page
):
    page = desktop_page
    page.set_viewport_size(LAPTOP)
    file_report(live_server)
    _, email = staff.user("supervisor", citywide=True)
    log_in(page, email, "/staff#/hotspots")
    expect(heading(page, "Brennpunkte")).to_be_visible()
    expect(page.get_by_label("Dienststelle", exact=True)).to_contain_text("Ordnungsamt")
    choice = page.get_by_label("Dienststelle", exact=True)
    choice.focus()
    with page.expect_response(lambda r: "/api/v1/board/hotspots" in r.url and "ordnung" in r.url):
        choice.select_option("ordnung")
    expect(page.get_by_label("Dienststelle", exact=True)).to_have_value("ordnung")
    expect(page.get_by_label("Dienststelle", exact=True)).to_be_focused()
