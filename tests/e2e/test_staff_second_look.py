"""A second look before destructive steps in the staff app, and the routing rules as a form.

Crews on the phone profile (``page``): rejecting and resolving show the public note the
reporter will get and ask once; cancelling changes nothing. Admins on the laptop profile
(``desktop_page``): applying rules shows the dry run first and applies only after one
confirmation; the rules form edits, reorders, adds and removes rows, names a bad row's field
(nothing saved), saves a good set, and its YAML download and upload round-trip.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Page, expect

from maengelmelder.extensions import db
from maengelmelder.zoning import service as zoning
from tests.e2e.test_staff_admin import HARBOUR, rule_set_version
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

pytestmark = pytest.mark.usefixtures("staff_requirements")

APPLY_TITLE = "Regeln in Kraft setzen?"
HAFEN = "Hafengebiet"  # the demo rule `hafen`, as the form names it


def stored_rules(app) -> dict:
    """The rule set in force, in its plain form (without the version)."""
    with app.app_context():
        rules = zoning.rule_set_to_dict(zoning.current_rule_set(db.session))
    rules.pop("version", None)
    return rules


def open_ticket(page: Page, staff, public_id: str) -> None:
    _, email = staff.user("crew", "tiefbau")
    log_in(page, email, f"/staff#/ticket/{public_id}")
    expect(heading(page, f"Meldung {public_id}")).to_be_visible()


def focused_name(page: Page) -> str:
    return page.evaluate("() => document.activeElement?.textContent ?? ''")


def status_changes(app, public_id: str) -> list[str]:
    return [e["to"] for e in ticket(app, public_id)["events"] if e["kind"] == "status"]


# --------------------------------------------------------------------------- the ticket


def test_reject_shows_the_public_note_and_asks_once(app, staff, live_server, page, shot):
    public_id = file_report(live_server)
    note = "Privatgrund: bitte wenden Sie sich an den Eigentümer."
    open_ticket(page, staff, public_id)
    page.get_by_label("Öffentliche Notiz", exact=True).fill(note)

    # Escape cancels; focus goes back to the button that opened the dialog.
    button(page, "Abgelehnt").click()
    dialog = page.get_by_role("dialog", name=f"Meldung {public_id} ablehnen?")
    expect(dialog).to_be_visible()
    expect(dialog.locator("blockquote")).to_have_text(note)
    expect(dialog).to_contain_text("Neuer Status: Abgelehnt")
    expect(button(dialog, "Abbrechen")).to_be_focused()
    shot(page, "staff-8-second-look")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(button(page, "Abgelehnt")).to_be_focused()

    # "Abbrechen" cancels too.
    button(page, "Abgelehnt").click()
    button(dialog, "Abbrechen").click()
    expect(dialog).to_have_count(0)
    expect(status_of(page)).to_have_text("Neu")
    assert ticket(app, public_id)["status"] == "new"
    assert status_changes(app, public_id) == []

    # Confirmed, the ticket is rejected with that note.
    button(page, "Abgelehnt").click()
    with page.expect_response(is_api("POST", f"/api/v1/tickets/{public_id}/transition")) as sent:
        button(dialog, "Ja, ablehnen").click()
    assert sent.value.status == 200, sent.value.text()
    expect(status_of(page)).to_have_text("Abgelehnt")
    stored = ticket(app, public_id)
    assert stored["status"] == "rejected"
    [rejected] = [e for e in stored["events"] if e["to"] == "rejected"]
    assert rejected["public_note"] == note


def test_resolve_without_a_note_says_so_and_cancel_changes_nothing(app, staff, live_server, page):
    public_id = file_report(live_server)
    open_ticket(page, staff, public_id)

    button(page, "Erledigt").click()
    dialog = page.get_by_role("dialog", name=f"Meldung {public_id} als erledigt markieren?")
    expect(dialog).to_contain_text("Ohne öffentliche Notiz")
    expect(dialog.locator("blockquote")).to_have_count(0)
    button(dialog, "Abbrechen").click()
    expect(dialog).to_have_count(0)
    assert ticket(app, public_id)["status"] == "new"

    note = "Schlagloch verfüllt."
    page.get_by_label("Öffentliche Notiz", exact=True).fill(note)
    button(page, "Erledigt").click()
    expect(dialog.locator("blockquote")).to_have_text(note)
    button(dialog, "Ja, erledigt").click()
    expect(status_of(page)).to_have_text("Erledigt")
    assert ticket(app, public_id)["status"] == "resolved"
    assert status_changes(app, public_id) == ["resolved"]


def test_the_dialog_speaks_english(app, staff, live_server, page):
    public_id = file_report(live_server)
    open_ticket(page, staff, public_id)
    button(page, "English").click()
    button(page, "Resolved").click()
    dialog = page.get_by_role("dialog", name=f"Mark report {public_id} as resolved?")
    expect(dialog).to_contain_text("No public note: the reporter only learns the new status.")
    expect(button(dialog, "Cancel")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    assert ticket(app, public_id)["status"] == "new"


# --------------------------------------------------------------------------- the rules


def open_rules(page: Page, staff) -> None:
    _, email = staff.user("admin")
    log_in(page, email)
    nav_link(page, "Verwaltung").click()
    expect(heading(page, "Verwaltung")).to_be_visible()
    expect(rule_group(page, HAFEN)).to_be_visible()


def rule_group(page: Page, title: str):
    """A rule's row, by the name its legend shows."""
    return page.get_by_role("group", name=re.compile(rf"^Regel \d+ · {re.escape(title)}$"))


def titles(rules: list[dict]) -> list[str]:
    return [f"Regel {i + 1} · {r['name']['de']}" for i, r in enumerate(rules)]


def legends(page: Page) -> list[str]:
    return page.locator(".rule-row legend").all_inner_texts()


def test_apply_shows_the_dry_run_and_applies_only_when_confirmed(
    app, staff, live_server, desktop_page
):
    page = desktop_page
    harbour_id = file_report(live_server, **HARBOUR)
    open_rules(page, staff)
    rule_group(page, HAFEN).get_by_label("Dienststelle", exact=True).select_option("ordnung")

    button(page, "Regeln übernehmen").click()
    dialog = page.get_by_role("dialog", name=APPLY_TITLE)
    move = dialog.get_by_role("row").filter(has=page.get_by_text(harbour_id, exact=True))
    expect(move).to_contain_text("Ordnungsamt")
    button(dialog, "Abbrechen").click()
    expect(dialog).to_have_count(0)
    assert rule_set_version(app) == 1
    assert ticket(app, harbour_id)["department"] == "hafen"

    button(page, "Regeln übernehmen").click()
    with page.expect_response(is_api("POST", "/api/v1/admin/rules")) as applied:
        button(dialog, "Ja, in Kraft setzen").click()
    assert applied.value.status == 201, applied.value.text()
    expect(page.get_by_role("status").filter(has_text="Version 2 ist in Kraft")).to_be_visible()
    assert rule_set_version(app) == 2
    assert ticket(app, harbour_id)["department"] == "ordnung"


def test_the_rules_form_edits_reorders_and_refuses_a_bad_row(
    app, staff, live_server, desktop_page, shot
):
    page = desktop_page
    before = stored_rules(app)
    open_rules(page, staff)
    ids = [r["id"] for r in before["rules"]]
    assert legends(page) == titles(before["rules"])

    # Down by keyboard: the second rule moves to third place, focus stays on its button.
    page.get_by_role("button", name="Regel 2 nach unten", exact=True).focus()
    page.keyboard.press("Enter")
    second = before["rules"][1]["name"]["de"]
    expect(page.locator(".rule-row legend").nth(2)).to_have_text(f"Regel 3 · {second}")
    expect(page.get_by_role("button", name="Regel 3 nach unten", exact=True)).to_be_focused()
    expect(page.get_by_text(f"Regel {second} steht jetzt an Stelle 3.")).to_be_attached()
    expect(page.get_by_role("button", name="Regel 1 nach oben", exact=True)).to_be_disabled()

    # Remove the last rule, add a new one.
    page.get_by_role("button", name=f"Regel {len(ids)} entfernen", exact=True).click()
    button(page, "Regel hinzufügen").click()
    new = page.locator(".rule-row").last
    expect(new.get_by_label("Kennung", exact=True)).to_be_focused()
    new.get_by_label("Kennung", exact=True).fill("muell-hafen")
    new.get_by_label("Name (de)", exact=True).fill("Müll im Hafen")
    new.get_by_label("Name (en)", exact=True).fill("Rubbish in the harbour")
    new.get_by_label("Kategorie", exact=True).select_option(label="Wilder Müll")
    new.get_by_label("Ort", exact=True).select_option("z:hafen")
    new.get_by_label("Dienststelle", exact=True).select_option("hafen")
    new.get_by_label("Frist (Stunden)", exact=True).fill("0")

    # A bad row: its message beside the field, focus on it, nothing sent, nothing saved.
    button(page, "Regeln übernehmen").click()
    new = rule_group(page, "Müll im Hafen")
    hours = new.get_by_label("Frist (Stunden)", exact=True)
    expect(new).to_contain_text("Eine Zahl größer 0 und höchstens 8760.")
    expect(hours).to_have_attribute("aria-invalid", "true")
    expect(hours).to_be_focused()
    expect(page.get_by_role("alert")).to_contain_text("nichts wurde gespeichert")
    expect(page.get_by_role("dialog")).to_have_count(0)
    shot(page, "staff-9-rules-form")
    assert rule_set_version(app) == 1

    hours.fill("12")
    button(page, "Regeln übernehmen").click()
    dialog = page.get_by_role("dialog", name=APPLY_TITLE)
    with page.expect_response(is_api("POST", "/api/v1/admin/rules")) as applied:
        button(dialog, "Ja, in Kraft setzen").click()
    assert applied.value.status == 201, applied.value.text()
    expect(new.get_by_label("Frist (Stunden)", exact=True)).not_to_have_attribute(
        "aria-invalid", "true"
    )

    after = stored_rules(app)
    assert rule_set_version(app) == 2
    expected_ids = [ids[0], ids[2], ids[1], *ids[3:-1], "muell-hafen"]
    assert [r["id"] for r in after["rules"]] == expected_ids
    assert after["rules"][-1] == {
        "id": "muell-hafen",
        "name": {"de": "Müll im Hafen", "en": "Rubbish in the harbour"},
        "department": "hafen",
        "category": "wilder_muell",
        "zone": "hafen",
        "sla_hours": 12,
    }
    # Every other rule is saved as it was (names included).
    by_id = {r["id"]: r for r in before["rules"]}
    assert all(r == by_id[r["id"]] for r in after["rules"][:-1])


def test_a_rule_the_server_refuses_is_named_in_its_row(app, staff, live_server, desktop_page):
    page = desktop_page
    open_rules(page, staff)
    # A zone removed since the form was loaded: only the server can tell.
    hafen = rule_group(page, HAFEN)
    hafen.get_by_label("Ort", exact=True).evaluate(
        "el => { el.add(new Option('atlantis', 'z:atlantis')); el.value = 'z:atlantis';"
        " el.dispatchEvent(new Event('change')); }"
    )
    with page.expect_response(is_api("POST", "/api/v1/admin/rules/dry-run")) as tried:
        button(page, "Probelauf").click()
    assert tried.value.status == 422
    place = hafen.get_by_label("Ort", exact=True)
    expect(place).to_have_attribute("aria-invalid", "true")
    expect(hafen).to_contain_text("atlantis")
    expect(place).to_be_focused()
    assert rule_set_version(app) == 1


def test_yaml_download_and_upload_round_trip(app, staff, live_server, desktop_page, tmp_path: Path):
    page = desktop_page
    before = stored_rules(app)
    open_rules(page, staff)

    with page.expect_download() as download:
        button(page, "Als YAML herunterladen").click()
    path = tmp_path / "rules.yaml"
    download.value.save_as(path)
    assert yaml.safe_load(path.read_text(encoding="utf-8")) == before

    # Edited outside (the order reversed, the harbour to the Ordnungsamt) and loaded back:
    # the form shows it, nothing is in force until applied.
    edited = yaml.safe_load(path.read_text(encoding="utf-8"))
    edited["rules"].reverse()
    [hafen] = [r for r in edited["rules"] if r["id"] == "hafen"]
    hafen["department"] = "ordnung"
    path.write_text(yaml.safe_dump(edited, sort_keys=False, allow_unicode=True), encoding="utf-8")
    with page.expect_response(is_api("POST", "/api/v1/admin/rules/from-yaml")) as read:
        page.get_by_label("YAML-Datei laden", exact=True).set_input_files(path)
    assert read.value.status == 200, read.value.text()
    expect(page.get_by_role("status").filter(has_text="aus rules.yaml geladen")).to_be_visible()
    assert legends(page) == titles(edited["rules"])
    expect(rule_group(page, HAFEN).get_by_label("Dienststelle", exact=True)).to_have_value(
        "ordnung"
    )
    assert rule_set_version(app) == 1

    button(page, "Regeln übernehmen").click()
    button(page.get_by_role("dialog", name=APPLY_TITLE), "Ja, in Kraft setzen").click()
    expect(page.get_by_role("status").filter(has_text="Version 2 ist in Kraft")).to_be_visible()
    assert stored_rules(app) == edited

    # A file that is no YAML is refused in words; the form keeps what it had.
    broken = tmp_path / "kaputt.yaml"
    broken.write_text("rules: [unclosed", encoding="utf-8")
    page.get_by_label("YAML-Datei laden", exact=True).set_input_files(broken)
    expect(page.get_by_role("alert")).to_contain_text("kein gültiges YAML")
    assert legends(page) == titles(edited["rules"])


def test_the_dialogs_and_the_rules_form_are_axe_clean(app, staff, live_server, page, desktop_page):
    from tests.e2e.test_staff_axe import Scanner

    scan = Scanner()
    public_id = file_report(live_server)
    open_ticket(page, staff, public_id)
    page.get_by_label("Öffentliche Notiz", exact=True).fill("Privatgrund.")
    button(page, "Abgelehnt").click()
    expect(page.get_by_role("dialog")).to_be_visible()
    scan.check("reject dialog", page)
    page.keyboard.press("Escape")

    desk = desktop_page
    open_rules(desk, staff)
    rule_group(desk, HAFEN).get_by_label("Frist (Stunden)", exact=True).fill("-1")
    button(desk, "Probelauf").click()
    expect(rule_group(desk, HAFEN)).to_contain_text("höchstens 8760")
    scan.check("rules form with a bad row", desk)
    rule_group(desk, HAFEN).get_by_label("Frist (Stunden)", exact=True).fill("")
    button(desk, "Regeln übernehmen").click()
    expect(desk.get_by_role("dialog", name=APPLY_TITLE)).to_be_visible()
    scan.check("apply dialog", desk)
    scan.assert_clean()
