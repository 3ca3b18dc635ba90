"""The citizen app in a phone-sized Chromium against the live server (see frontend/README.md).

The tests rely only on the accessible names the README promises; everything they check in
the end is what the service stored.
"""

from __future__ import annotations

import re
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from maengelmelder.core.models import Report
from maengelmelder.extensions import db
from tests import images
from tests.reports.helpers import report_json

from .conftest import GEOLOCATION

PUBLIC_ID = re.compile(r"\b\d{4}-\d{6}\b")
ORIGINAL_SIZE = (4000, 3000)
MAX_UPLOAD_BYTES = 600 * 1024
WEB_LONG_SIDE = 1600
BERLIN = {"latitude": 52.52, "longitude": 13.40}


# --------------------------------------------------------------------------- helpers


def reports(app) -> list[dict]:
    """Every stored report as plain values (no session outlives the call)."""
    with app.app_context():
        rows = db.session.scalars(select(Report).order_by(Report.id)).all()
        return [
            {
                "public_id": r.public_id,
                "category": r.category.code,
                "status": r.status,
                "email": r.reporter_email,
                "notify": r.notify_reporter,
                "lat": r.lat,
                "lon": r.lon,
                "description": r.description,
                "supporters": r.supporters,
                "photos": [(p.web_width, p.web_height, p.web_bytes) for p in r.photos],
            }
            for r in rows
        ]


def status_of(page: Page):
    """The tracking page's status value (the <dd> after the "Status:" term)."""
    return page.locator("dt", has_text="Status:").locator("xpath=following-sibling::dd[1]")


def heading(page: Page, name: str):
    return page.get_by_role("heading", name=name)


def button(page: Page, name: str):
    return page.get_by_role("button", name=name, exact=True)


def nearby_heading(page: Page):
    return heading(page, "Ist es einer davon?")


def open_app(page: Page) -> None:
    page.goto("/")
    expect(button(page, "Mangel melden")).to_be_visible()


def next_step(page: Page, expected: str) -> bool:
    """Click `Weiter`; True when the app asked "Ist es einer davon?" instead of `expected`."""
    button(page, "Weiter").click()
    target = heading(page, expected)
    expect(target.or_(nearby_heading(page))).to_be_visible()
    return nearby_heading(page).is_visible()


def location_step(page: Page, shot=None) -> None:
    """To the place step and choose the phone's position (nothing is chosen before)."""
    button(page, "Mangel melden").click()
    expect(heading(page, "Wo ist der Mangel?")).to_be_visible()
    expect(button(page, "Weiter")).to_be_disabled()
    button(page, "Meine Position verwenden").click()
    expect(button(page, "Weiter")).to_be_enabled()
    if shot:
        shot(page, "citizen-2-location")


def category_step(page: Page, category: str = "Schlagloch", shot=None) -> bool:
    """From the location step to the photo step; True if the nearby list came up on the way."""
    assert not next_step(page, "Was ist es?")
    button(page, category).click()
    if shot:
        shot(page, "citizen-3-category")
    return next_step(page, "Fotos")


def details_step(page: Page, description: str, email: str | None = None, shot=None) -> bool:
    """From the photo step to the filled-in details; True if the nearby list came up."""
    if next_step(page, "Beschreibung und Kontakt"):
        return True
    page.get_by_label("Beschreibung", exact=True).fill(description)
    if email:
        page.get_by_label("E-Mail (freiwillig)").fill(email)
        page.get_by_label("Über den Fortschritt per E-Mail informieren").check()
    if shot:
        shot(page, "citizen-5-details")
    return False


def send_and_get_id(page: Page, shot=None) -> str:
    """`Absenden`, answering "Nein, neu melden" if asked; the public id of the new report."""
    button(page, "Absenden").click()
    thanks = heading(page, "Danke! Ihre Meldung ist eingegangen")
    expect(thanks.or_(nearby_heading(page))).to_be_visible()
    if nearby_heading(page).is_visible():
        button(page, "Nein, neu melden").click()
    expect(thanks).to_be_visible()
    expect(page.get_by_role("link", name="Meldung verfolgen")).to_be_visible()
    expect(page.get_by_text(PUBLIC_ID).first).to_be_visible()
    if shot:
        shot(page, "citizen-6-thanks")
    match = PUBLIC_ID.search(page.locator("body").inner_text())
    assert match, "no public id on the thank-you screen"
    return match.group(0)


def file_via_api(app, **fields) -> dict:
    resp = app.test_client().post("/api/v1/reports", json=report_json(**fields))
    assert resp.status_code == 201, resp.json
    return resp.json


def multipart_photos(body: bytes, content_type: str) -> list[bytes]:
    """The `photos` parts of a multipart/form-data body."""
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    return [
        part.get_payload(decode=True)
        for part in message.iter_parts()
        if part.get_param("name", header="content-disposition") == "photos"
    ]


# --------------------------------------------------------------------------- tests


def test_full_report_with_a_phone_photo(app, page, server_log, tmp_path: Path, shot):
    original = images.phone_jpeg(*ORIGINAL_SIZE)
    photo = tmp_path / "IMG_20260310_094100.jpg"
    photo.write_bytes(original)

    open_app(page)
    shot(page, "citizen-1-map")
    location_step(page, shot)
    assert not category_step(page, shot=shot)
    page.get_by_label("Foto aufnehmen oder auswählen").set_input_files(photo)
    expect(page.get_by_role("img", name="Foto 1")).to_be_visible()
    shot(page, "citizen-4-photo")
    details_step(page, "Tiefes Loch vor Hausnummer 12", "anna@example.org", shot)
    public_id = send_and_get_id(page, shot)

    stored = reports(app)
    assert len(stored) == 1
    report = stored[0]
    assert report["public_id"] == public_id
    assert report["category"] == "schlagloch"
    assert report["email"] == "anna@example.org"
    assert report["notify"] is True
    assert report["description"] == "Tiefes Loch vor Hausnummer 12"
    assert report["lat"] == pytest.approx(GEOLOCATION["latitude"], abs=1e-4)
    assert report["lon"] == pytest.approx(GEOLOCATION["longitude"], abs=1e-4)
    assert len(report["photos"]) == 1
    width, height, _ = report["photos"][0]
    assert max(width, height) <= WEB_LONG_SIDE

    # The thank-you screen's link leads to this report's tracking page.
    page.get_by_role("link", name="Meldung verfolgen").click()
    expect(page).to_have_url(re.compile(r"/track/[A-Za-z0-9_-]+$"))
    expect(page.get_by_role("heading", name=f"Meldung {public_id}")).to_be_visible()
    expect(status_of(page)).to_have_text("Neu")

    # The phone shrank the photo before sending: the upload is far below the 3 MB original.
    posts = server_log.of("POST", "/api/v1/reports")
    assert len(posts) == 1, f"{len(posts)} POSTs of the report"
    assert posts[0].headers.get("idempotency-key"), "sent without an Idempotency-Key"
    assert posts[0].headers["content-type"].startswith("multipart/form-data")
    assert len(original) > 2 * 1024 * 1024
    uploaded = multipart_photos(posts[0].body, posts[0].headers["content-type"])
    assert len(uploaded) == 1
    assert len(uploaded[0]) <= MAX_UPLOAD_BYTES, f"uploaded photo is {len(uploaded[0])} bytes"
    assert len(uploaded[0]) < len(original) / 4


def test_offline_report_is_sent_exactly_once_when_back_online(app, context, page, server_log, shot):
    open_app(page)
    location_step(page)
    assert not category_step(page)
    assert not details_step(page, "Laterne flackert seit Tagen")

    context.set_offline(True)
    button(page, "Absenden").click()
    expect(page.get_by_text("Wartet auf Verbindung").first).to_be_visible()
    shot(page, "citizen-8-offline")
    assert reports(app) == []
    assert server_log.of("POST", "/api/v1/reports") == []

    context.set_offline(False)
    expect(page.get_by_text(re.compile(r"^\s*Gesendet\b")).first).to_be_visible()
    assert len(reports(app)) == 1

    page.reload()
    expect(button(page, "Mangel melden").or_(heading(page, re.compile("Danke")))).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert len(reports(app)) == 1
    # Not merely deduplicated by the Idempotency-Key: the app sent it once.
    assert len(server_log.of("POST", "/api/v1/reports")) == 1


def test_report_and_tracking_links_open_the_app_without_a_connection(app, context, page):
    """After one visit, a link from a mail opens the app offline, not the browser's error page."""
    filed = file_via_api(app)
    open_app(page)
    assert page.evaluate("() => navigator.serviceWorker.ready.then(r => !!r.active)")
    context.set_offline(True)
    for path in (f"/reports/{filed['report']['public_id']}", f"/track/{filed['tracking_token']}"):
        page.goto(path)
        expect(page.get_by_text("Die Daten konnten nicht geladen werden.")).to_be_visible()
    page.goto("/confirm/any-token")
    expect(heading(page, "Bestätigung Ihrer Meldung")).to_be_visible()
    context.set_offline(False)


def test_nearby_open_report_can_be_supported_instead(app, live_server, page, shot):
    existing = file_via_api(app)["report"]["public_id"]

    open_app(page)
    location_step(page)
    # Asked right after the category, before photos and text.
    assert category_step(page), "no nearby list after the category"
    expect(nearby_heading(page)).to_be_visible()
    expect(button(page, "Nein, neu melden")).to_be_visible()
    shot(page, "citizen-7-nearby")
    support = button(page, "Unterstützen")
    expect(support).to_have_count(1)
    support.click()
    button(page, "Unterstützung senden").click()
    expect(heading(page, "Danke für Ihre Unterstützung!")).to_be_visible()
    expect(page.get_by_text(existing).first).to_be_visible()

    stored = reports(app)
    assert [(r["public_id"], r["supporters"]) for r in stored] == [(existing, 1)]


def test_tracking_page_shows_the_history_and_reopens(app, staff, clock, live_server, page, shot):
    created = file_via_api(app)
    public_id = created["report"]["public_id"]
    tracking_path = created["tracking_url"].removeprefix(live_server)
    assert tracking_path.startswith("/track/")

    crew = staff.client("crew", "tiefbau")
    for target, extra in (("acknowledged", {}), ("resolved", {"public_note": "Verfüllt"})):
        clock.advance(hours=1)
        etag = crew.get(f"/api/v1/tickets/{public_id}").headers["ETag"]
        resp = crew.post(
            f"/api/v1/tickets/{public_id}/transition",
            json={"to": target, **extra},
            headers={"If-Match": etag},
        )
        assert resp.status_code == 200, resp.json

    page.goto(tracking_path)
    expect(page.get_by_role("heading", name=re.compile(rf"Meldung {public_id}"))).to_be_visible()
    history = page.get_by_role("list", name="Verlauf")
    expect(history).to_contain_text("Verfüllt")
    expect(button(page, "Ist behoben")).to_be_visible()
    expect(status_of(page)).to_have_text("Erledigt")
    shot(page, "citizen-9-tracking")

    button(page, "Ist nicht behoben").click()
    note = page.get_by_label("Was ist noch nicht in Ordnung?")
    note.fill("Das Loch ist wieder da.")
    button(page, "Wieder öffnen").click()
    confirmation = page.get_by_role("status").filter(has_text="Die Meldung ist wieder geöffnet")
    expect(confirmation).to_be_visible()
    expect(button(page, "Ist nicht behoben")).to_be_hidden()
    expect(button(page, "Wieder öffnen")).to_be_hidden()
    expect(page.get_by_text("Die Stadt hat den Mangel als erledigt gemeldet")).to_be_hidden()
    expect(status_of(page)).to_have_text("Angenommen")
    expect(history).to_contain_text("Ihre Anmerkung: Das Loch ist wieder da.")

    assert reports(app)[0]["status"] == "acknowledged"


def test_position_outside_the_city_is_refused(context, page, shot):
    context.set_geolocation(BERLIN)
    open_app(page)
    button(page, "Mangel melden").click()
    expect(heading(page, "Wo ist der Mangel?")).to_be_visible()
    button(page, "Meine Position verwenden").click()
    expect(page.get_by_role("alert").filter(has_text="außerhalb")).to_be_visible()
    expect(button(page, "Weiter")).to_be_disabled()
    shot(page, "citizen-10-outside")


def test_no_serious_accessibility_violations(app, live_server, page):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    found: dict[str, list[str]] = {}

    def check(screen: str) -> None:
        results = axe.run(page)
        bad = [
            f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(", ".join(n["target"]) for n in v["nodes"])
            for v in results.response["violations"]
            if v["impact"] in {"serious", "critical"}
        ]
        if bad:
            found[screen] = bad

    open_app(page)
    check("map")
    location_step(page)
    check("location")
    assert not next_step(page, "Was ist es?")
    check("category")
    button(page, "Schlagloch").click()
    assert not next_step(page, "Fotos")
    check("photos")
    assert not details_step(page, "Loch", "anna@example.org")
    check("details")
    send_and_get_id(page)
    check("thanks")

    created = file_via_api(app)
    page.goto(created["tracking_url"].removeprefix(live_server))
    expect(page.get_by_role("heading", name=re.compile("Meldung"))).to_be_visible()
    check("tracking")

    report = "\n".join(f"{screen}:\n  " + "\n  ".join(v) for screen, v in found.items())
    print(report)
    assert not found, "serious or critical axe violations:\n" + report


def test_switches_to_english(page, shot):
    open_app(page)
    expect(page.locator("html")).to_have_attribute("lang", "de")
    button(page, "English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(button(page, "Report an issue")).to_be_visible()  # startReport in src/i18n.ts
    expect(button(page, "Deutsch")).to_be_visible()
    expect(button(page, "Mangel melden")).to_have_count(0)
    shot(page, "citizen-11-english")


def test_only_the_service_and_the_tile_server_are_contacted(app, page, blocked):
    """No request to another host; the configured tile server is allowed (blocked here)."""
    tile_host = urlsplit(app.config["TILE_URL"]).netloc
    open_app(page)
    page.wait_for_load_state("networkidle")
    assert [u for u in blocked if urlsplit(u).netloc != tile_host] == []


def tab_to(page: Page, target, limit: int = 40) -> None:
    """Press Tab until `target` has the focus (fails after `limit` presses)."""
    expect(target).to_be_visible()
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    pytest.fail(f"{target} not reached with {limit} presses of Tab")


def test_a_report_can_be_filed_with_the_keyboard_alone(app, page):
    open_app(page)
    tab_to(page, button(page, "Mangel melden"))
    page.keyboard.press("Enter")
    expect(heading(page, "Wo ist der Mangel?")).to_be_visible()
    tab_to(page, button(page, "Meine Position verwenden"))
    page.keyboard.press("Enter")
    expect(button(page, "Weiter")).to_be_enabled()
    for expected in ("Was ist es?", "Fotos", "Beschreibung und Kontakt"):
        if expected == "Fotos":
            tab_to(page, button(page, "Schlagloch"))
            page.keyboard.press("Space")
        tab_to(page, button(page, "Weiter"))
        page.keyboard.press("Enter")
        expect(heading(page, expected)).to_be_visible()
    tab_to(page, page.get_by_label("Beschreibung", exact=True))
    page.keyboard.type("Gullydeckel klappert")
    tab_to(page, button(page, "Absenden"))
    page.keyboard.press("Enter")
    expect(heading(page, "Danke! Ihre Meldung ist eingegangen")).to_be_visible()

    [report] = reports(app)
    assert (report["category"], report["description"]) == ("schlagloch", "Gullydeckel klappert")
