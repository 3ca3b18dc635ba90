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

from playwright.sync_api import Page, expect

from .test_citizen_app import (
    button,
    category_step,
    details_step,
    heading,
    location_step,
    open_app,
    reports,
)

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
