"""The abuse and spam defences in the browser (issue #9): the honeypot and the fill time on the
report form, "Missbrauch melden" on a report's public page, the confirmation link, and the staff
side (flags in moderation, dismissing them, the block list).

The tests rely on the accessible names frontend/README.md and frontend/STAFF.md promise; what
they check in the end is what the service stored or serves.
"""

from __future__ import annotations

import re
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect
from sqlalchemy import select

from maengelmelder.extensions import db
from maengelmelder.notify.models import OutboxMessage

from .test_citizen_app import (
    button,
    category_step,
    details_step,
    file_via_api,
    heading,
    location_step,
    open_app,
    reports,
)
from .test_staff_app import log_in, nav_link

CONFIRM_LINK = re.compile(r"https?://\S+/confirm/[A-Za-z0-9._~-]+")

# --------------------------------------------------------------------------- helpers


def form_fields(body: bytes, content_type: str) -> dict[str, str]:
    """The text parts of a multipart/form-data body, by name."""
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    return {
        part.get_param("name", header="content-disposition"): part.get_content()
        for part in message.iter_parts()
        if part.get_filename() is None
    }


def to_details(page: Page, description: str) -> None:
    """From the map to the filled-in details step (the database has no report nearby)."""
    open_app(page)
    location_step(page)
    assert not category_step(page)
    assert not details_step(page, description)


def focused_id(page: Page) -> str:
    return page.evaluate("() => document.activeElement ? document.activeElement.id : ''")


# --------------------------------------------------------------------------- report form


def test_the_honeypot_is_invisible_and_never_reached_with_the_keyboard(app, page, server_log):
    to_details(page, "Laterne aus")
    honeypot = page.locator("input[name=website]")
    expect(honeypot).to_have_count(1)
    expect(honeypot).to_have_attribute("aria-hidden", "true")
    expect(honeypot).to_have_attribute("tabindex", "-1")
    expect(honeypot).to_have_attribute("autocomplete", "off")
    # Not in the accessibility tree: no screen reader lists it among the form's fields.
    expect(page.get_by_role("textbox", name=re.compile("Website"))).to_have_count(0)
    # Off-screen: its box lies wholly left of the viewport.
    box = honeypot.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 0, box

    # Tab from the description through the rest of the page and round again: never there.
    page.get_by_label("Beschreibung", exact=True).focus()
    seen = []
    for _ in range(30):
        page.keyboard.press("Tab")
        seen.append(focused_id(page))
    assert "hp-website" not in seen, seen
    assert "email" in seen and "notify" in seen  # the real fields are reached

    button(page, "Absenden").click()
    expect(heading(page, "Danke! Ihre Meldung ist eingegangen")).to_be_visible()
    [post] = server_log.of("POST", "/api/v1/reports")
    sent = form_fields(post.body, post.headers["content-type"])
    assert sent["website"] == ""  # the honeypot goes along, empty
    assert int(sent["fill_ms"]) > 0
    assert [r["description"] for r in reports(app)] == ["Laterne aus"]


def test_too_fast_keeps_everything_entered_and_sending_again_works(app, page, server_log):
    # No person fills a report in under an hour's minimum: this browser is refused once.
    app.config["MIN_FILL_SECONDS"] = 3600
    to_details(page, "Mülltüten am Spielplatz")
    page.get_by_label("E-Mail (freiwillig)").fill("anna@example.org")
    button(page, "Absenden").click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Das ging sehr schnell")  # the server's message, in German
    expect(heading(page, "Beschreibung und Kontakt")).to_be_visible()
    expect(page.get_by_label("Beschreibung", exact=True)).to_have_value("Mülltüten am Spielplatz")
    expect(page.get_by_label("E-Mail (freiwillig)")).to_have_value("anna@example.org")
    expect(page.get_by_label("Über den Fortschritt per E-Mail informieren")).to_be_checked()
    assert reports(app) == []

    app.config["MIN_FILL_SECONDS"] = 0
    button(page, "Absenden").click()
    expect(heading(page, "Danke! Ihre Meldung ist eingegangen")).to_be_visible()
    stored = reports(app)
    assert [(r["description"], r["email"]) for r in stored] == [
        ("Mülltüten am Spielplatz", "anna@example.org")
    ]
    first, second = (
        int(form_fields(p.body, p.headers["content-type"])["fill_ms"])
        for p in server_log.of("POST", "/api/v1/reports")
    )
    assert second > first  # measured again at the second press


def test_too_fast_message_follows_the_language(app, page):
    app.config["MIN_FILL_SECONDS"] = 3600
    to_details(page, "Loch")
    button(page, "English").click()
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("That was very quick")
    expect(page.get_by_label("Description", exact=True)).to_have_value("Loch")


# --------------------------------------------------------------------------- report page, abuse


def open_report_page(page: Page, public_id: str) -> None:
    page.goto(f"/reports/{public_id}")
    expect(heading(page, f"Meldung {public_id}")).to_be_visible()


def report_abuse(page: Page, public_id: str, reason: str, comment: str = "") -> str:
    """Open the report's page, report abuse with `reason` (its German label); the message shown."""
    open_report_page(page, public_id)
    button(page, "Missbrauch melden").click()
    dialog = page.get_by_role("dialog", name="Missbrauch melden")
    dialog.get_by_role("radio", name=reason).check()
    if comment:
        dialog.get_by_label("Kommentar (freiwillig)").fill(comment)
    with page.expect_response(is_api("POST", f"/api/v1/reports/{public_id}/abuse")) as answer:
        dialog.get_by_role("button", name="Hinweis senden").click()
    assert answer.value.status == 202, answer.value.text()
    message = answer.value.json()["message"]["de"]
    expect(dialog.get_by_role("status")).to_have_text(message)
    dialog.get_by_role("button", name="Schließen").click()
    expect(dialog).to_be_hidden()
    return message


def is_api(method: str, path: str):
    return lambda resp: resp.request.method == method and resp.url.split("?")[0].endswith(path)


def public_status(app, public_id: str) -> int:
    return app.test_client().get(f"/api/v1/reports/{public_id}").status_code


def public_text(app, public_id: str) -> str | None:
    """The report's text as the public API gives it (None while its content is not public)."""
    resp = app.test_client().get(f"/api/v1/reports/{public_id}")
    assert resp.status_code == 200, resp.json
    return resp.json["description"]


def staff_view(client, public_id: str) -> dict:
    resp = client.get(f"/api/v1/tickets/{public_id}")
    assert resp.status_code == 200, resp.json
    return resp.json


def test_a_citizen_reports_abuse_from_the_report_page(app, staff, page):
    created = file_via_api(app, category="strassenlaterne", description="Laterne flackert")
    public_id = created["report"]["public_id"]

    # The map's popup leads to the report's page.
    open_app(page)
    page.locator(".mm-marker").first.click()
    page.get_by_role("link", name=f"Details zu Vorgang {public_id}").click()
    expect(page).to_have_url(re.compile(rf"/reports/{public_id}$"))
    expect(heading(page, f"Meldung {public_id}")).to_be_visible()
    expect(page.get_by_text("Laterne flackert")).to_be_visible()

    # The dialog takes the focus, Escape closes it and the focus goes back.
    opener = button(page, "Missbrauch melden")
    opener.click()
    dialog = page.get_by_role("dialog", name="Missbrauch melden")
    expect(dialog).to_be_visible()
    assert dialog.evaluate("d => d.contains(document.activeElement)")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()

    opener.click()
    dialog.get_by_role("button", name="Hinweis senden").click()
    expect(dialog.get_by_role("alert")).to_have_text("Bitte einen Grund wählen.")
    dialog.get_by_role("radio", name="Enthält persönliche Daten").check()
    dialog.get_by_label("Kommentar (freiwillig)").fill("Ein Kennzeichen ist lesbar.")
    with page.expect_response(is_api("POST", f"/api/v1/reports/{public_id}/abuse")) as answer:
        dialog.get_by_role("button", name="Hinweis senden").click()
    assert answer.value.status == 202
    expect(dialog.get_by_role("status")).to_have_text(answer.value.json()["message"]["de"])
    dialog.get_by_role("button", name="Schließen").click()
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()

    admin = staff.client("admin", citywide=True)
    flags = staff_view(admin, public_id)["abuse_flags"]
    assert [(f["reason"], f["comment"]) for f in flags] == [
        ("personal_data", "Ein Kennzeichen ist lesbar.")
    ]
    assert public_text(app, public_id) == "Laterne flackert"  # one voice does not hide it


def test_three_phones_hide_a_report_and_dismissing_the_flags_restores_it(
    app, staff, other_phones, desktop_page, server_log, staff_requirements
):
    public_id = file_via_api(app, category="strassenlaterne", description="Billige Uhren!")[
        "report"
    ]["public_id"]
    for reason in ("Werbung oder Spam", "Beleidigend oder anstößig", "Werbung oder Spam"):
        report_abuse(other_phones(), public_id, reason)

    # Three phones, three anonymous device ids (made by each app, kept in its storage).
    posts = server_log.of("POST", f"/api/v1/reports/{public_id}/abuse")
    devices = [hit.headers.get("x-device-id", "") for hit in posts]
    assert len(posts) == 3 and len(set(devices)) == 3 and all(devices), devices
    # The citizen content is withdrawn; the defect itself stays listed.
    assert public_text(app, public_id) is None
    hidden = other_phones()
    open_report_page(hidden, public_id)
    expect(hidden.get_by_text("Text und Fotos dieser Meldung sind nicht")).to_be_visible()
    expect(hidden.get_by_text("Billige Uhren!")).to_have_count(0)
    expect(button(hidden, "Missbrauch melden")).to_have_count(0)

    _, email = staff.user("admin", citywide=True)
    log_in(desktop_page, email)
    nav_link(desktop_page, "Moderation").click()
    expect(heading(desktop_page, "Moderation")).to_be_visible()
    desktop_page.get_by_label("Gemeldet", exact=True).check()
    item = desktop_page.get_by_role("article", name=f"Meldung {public_id}")
    expect(item).to_contain_text("Nach Missbrauchsmeldungen verborgen")
    expect(item.get_by_role("heading", name="Missbrauchsmeldungen (3)")).to_be_visible()
    expect(item.get_by_role("list", name="Missbrauchsmeldungen (3)")).to_contain_text(
        "Werbung oder Spam"
    )
    button(item, "Meldungen verwerfen").click()
    expect(desktop_page.get_by_role("status")).to_have_text(
        f"Missbrauchsmeldungen zu {public_id} verworfen."
    )
    expect(item).to_have_count(0)

    assert public_text(app, public_id) == "Billige Uhren!"  # public again
    ticket = staff_view(staff.client("admin", citywide=True), public_id)
    assert ticket["held_reason"] is None
    assert ticket["abuse_flags"] == []
    hidden.reload()
    expect(hidden.get_by_text("Billige Uhren!")).to_be_visible()


# --------------------------------------------------------------------------- block list


def test_an_admin_blocks_a_domain_and_its_report_waits_in_moderation(
    app, staff, page, desktop_page, staff_requirements
):
    _, email = staff.user("admin", citywide=True)
    log_in(desktop_page, email)
    nav_link(desktop_page, "Sperrliste").click()
    expect(heading(desktop_page, "Sperrliste")).to_be_visible()

    # A malformed pattern: the server's message at the field, nothing stored.
    pattern = desktop_page.get_by_label("Muster", exact=True)
    pattern.fill("kein muster")
    button(desktop_page, "Hinzufügen").click()
    expect(pattern).to_have_attribute("aria-invalid", "true")
    expect(desktop_page.locator("#b-pattern-error")).not_to_be_empty()
    expect(pattern).to_be_focused()

    pattern.fill("@Spam.Example")
    desktop_page.get_by_label("Grund (freiwillig)").fill("Werbung")
    button(desktop_page, "Hinzufügen").click()
    expect(desktop_page.get_by_role("status")).to_contain_text("@spam.example")
    row = desktop_page.get_by_role("row").filter(has_text="@spam.example")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Werbung")

    # The same domain again: 409, told at the field.
    pattern.fill("@spam.example")
    button(desktop_page, "Hinzufügen").click()
    expect(pattern).to_have_attribute("aria-invalid", "true")
    expect(desktop_page.locator("#b-pattern-error")).not_to_be_empty()
    admin = staff.client("admin", citywide=True)
    assert [e["pattern"] for e in admin.get("/api/v1/admin/blocklist").json["items"]] == [
        "@spam.example"
    ]

    # A citizen from a subdomain of it files a report: accepted, but not on the map.
    to_details(page, "Günstige Uhren, jetzt kaufen")
    page.get_by_label("E-Mail (freiwillig)").fill("verkauf@mail.spam.example")
    button(page, "Absenden").click()
    expect(heading(page, "Danke! Ihre Meldung ist eingegangen")).to_be_visible()
    [stored] = reports(app)
    public_id = stored["public_id"]
    assert public_status(app, public_id) == 404
    open_app(page)
    expect(page.get_by_text("0 Meldungen auf der Karte")).to_be_visible()

    # It waits in moderation, saying why.
    nav_link(desktop_page, "Moderation").click()
    item = desktop_page.get_by_role("article", name=f"Meldung {public_id}")
    expect(item).to_contain_text("Absender steht auf der Sperrliste")

    # Removing the entry takes a confirm step.
    nav_link(desktop_page, "Sperrliste").click()
    button(desktop_page, "„@spam.example“ entfernen").click()
    yes = button(desktop_page, "Ja, entfernen")
    expect(yes).to_be_focused()
    button(desktop_page, "Abbrechen").click()
    expect(button(desktop_page, "„@spam.example“ entfernen")).to_be_focused()
    assert len(admin.get("/api/v1/admin/blocklist").json["items"]) == 1
    button(desktop_page, "„@spam.example“ entfernen").click()
    yes.click()
    expect(desktop_page.get_by_role("status")).to_have_text("„@spam.example“ entfernt.")
    expect(desktop_page.get_by_text("Die Sperrliste ist leer.")).to_be_visible()
    assert admin.get("/api/v1/admin/blocklist").json["items"] == []


def test_only_admins_see_the_block_list(staff, desktop_page, staff_requirements):
    _, email = staff.user("supervisor", "beleuchtung")
    log_in(desktop_page, email)
    expect(nav_link(desktop_page, "Moderation")).to_be_visible()
    expect(nav_link(desktop_page, "Sperrliste")).to_have_count(0)
    desktop_page.goto("/staff#/blocklist")
    expect(heading(desktop_page, "Dafür fehlt Ihnen die Berechtigung.")).to_be_visible()


# --------------------------------------------------------------------------- confirmation link


def confirm_path(app, recipient: str) -> str:
    """The /confirm/<token> path in the mail queued for `recipient` (the outbox table)."""
    with app.app_context():
        bodies = db.session.scalars(
            select(OutboxMessage.body).where(OutboxMessage.recipient == recipient)
        ).all()
    links = [m.group(0) for body in bodies for m in [CONFIRM_LINK.search(body)] if m]
    assert len(links) == 1, bodies
    return urlsplit(links[0]).path


def test_the_confirmation_link_from_the_mail_opens_the_confirmation_view(app, clock, page):
    app.config["CONFIRM_UNKNOWN_EMAILS"] = True
    created = file_via_api(
        app, category="strassenlaterne", description="Laterne aus", email="neu@example.org"
    )
    public_id = created["report"]["public_id"]
    assert public_status(app, public_id) == 404  # waits for the confirmation

    page.goto(confirm_path(app, "neu@example.org"))
    expect(heading(page, "Bestätigung Ihrer Meldung")).to_be_visible()
    expect(page.get_by_role("main").get_by_role("status")).to_have_text(
        "Danke! Ihre Meldung ist bestätigt und jetzt öffentlich sichtbar."
    )
    expect(page.get_by_text(f"Vorgang {public_id}")).to_be_visible()
    assert public_text(app, public_id) == "Laterne aus"
    page.get_by_role("link", name="Meldung ansehen").click()
    expect(heading(page, f"Meldung {public_id}")).to_be_visible()
    expect(page.get_by_text("Laterne aus")).to_be_visible()

    page.goto("/confirm/kein-gueltiger-link")
    expect(heading(page, "Bestätigungslink ungültig")).to_be_visible()
    expect(page.get_by_role("alert")).not_to_be_empty()

    # A link older than CONFIRM_EMAIL_DAYS (7) has expired; the report stays held.
    late = file_via_api(app, category="strassenlaterne", email="spaet@example.org")
    clock.advance(days=8)
    page.goto(confirm_path(app, "spaet@example.org"))
    expect(heading(page, "Bestätigungslink abgelaufen")).to_be_visible()
    expect(page.get_by_role("alert")).not_to_be_empty()
    assert public_status(app, late["report"]["public_id"]) == 404


# --------------------------------------------------------------------------- accessibility


def test_no_serious_accessibility_violations_on_the_new_views(
    app, staff, page, desktop_page, staff_requirements
):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    found: dict[str, list[str]] = {}

    def check(tab: Page, screen: str) -> None:
        results = axe.run(tab)
        bad = [
            f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(", ".join(n["target"]) for n in v["nodes"])
            for v in results.response["violations"]
            if v["impact"] in {"serious", "critical"}
        ]
        if bad:
            found[screen] = bad

    public_id = file_via_api(app, category="strassenlaterne", description="Laterne aus")["report"][
        "public_id"
    ]
    open_report_page(page, public_id)
    check(page, "report page")
    button(page, "Missbrauch melden").click()
    dialog = page.get_by_role("dialog", name="Missbrauch melden")
    dialog.get_by_role("button", name="Hinweis senden").click()
    expect(dialog.get_by_role("alert")).to_be_visible()
    check(page, "abuse dialog with an error")
    dialog.get_by_role("radio", name="Falscher Ort").check()
    dialog.get_by_role("button", name="Hinweis senden").click()
    expect(dialog.get_by_role("status")).to_be_visible()
    check(page, "abuse dialog sent")

    page.goto("/confirm/kein-gueltiger-link")
    expect(heading(page, "Bestätigungslink ungültig")).to_be_visible()
    check(page, "confirmation, invalid link")

    to_details(page, "Loch")
    check(page, "details with the honeypot")

    _, email = staff.user("admin", citywide=True)
    log_in(desktop_page, email)
    nav_link(desktop_page, "Moderation").click()
    desktop_page.get_by_label("Gemeldet", exact=True).check()
    expect(desktop_page.get_by_role("article", name=f"Meldung {public_id}")).to_be_visible()
    check(desktop_page, "moderation, flagged")
    desktop_page.goto(f"/staff#/ticket/{public_id}")
    expect(button(desktop_page, "Meldungen verwerfen")).to_be_visible()
    check(desktop_page, "ticket with flags")
    nav_link(desktop_page, "Sperrliste").click()
    desktop_page.get_by_label("Muster", exact=True).fill("kein muster")
    button(desktop_page, "Hinzufügen").click()
    expect(desktop_page.locator("#b-pattern-error")).not_to_be_empty()
    check(desktop_page, "block list with an error")

    report = "\n".join(f"{screen}:\n  " + "\n  ".join(v) for screen, v in found.items())
    print(report)
    assert not found, "serious or critical axe violations:\n" + report
