"""Duplicates earlier and with evidence, "me too" with a photo and a comment, and the
reporter's feedback when it is not fixed, in a phone-sized Chromium against the live server.

Right after the category the app shows open reports of that category nearby: published ones
with their photo and text, unchecked ones saying so. A supporter's comment and photo go to
staff and wait for moderation; the reporter sees a confirmation and their own note after
"Ist nicht behoben", the public never sees the note.
"""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from maengelmelder.core.events import TicketEvent
from maengelmelder.core.models import Report
from maengelmelder.extensions import db
from tests import images
from tests.passes import run_privacy_passes
from tests.reports.helpers import post_multipart, report_json

from .test_citizen_app import (
    button,
    category_step,
    file_via_api,
    heading,
    location_step,
    open_app,
    status_of,
)
from .test_staff_app import log_in

NOTE = "Das Loch ist wieder da, jetzt noch tiefer."
COMMENT = "Seit gestern ist es doppelt so groß."


def _publish(staff, public_id: str, **body) -> None:
    crew = staff.client("crew", "tiefbau")
    etag = crew.get(f"/api/v1/tickets/{public_id}").headers["ETag"]
    resp = crew.post(
        f"/api/v1/tickets/{public_id}/publication",
        json={"action": "publish", **body},
        headers={"If-Match": etag},
    )
    assert resp.status_code == 200, resp.json


def _file_with_photo(app, description: str) -> str:
    resp = post_multipart(
        app.test_client(),
        report_json(description=description),
        [images.phone_jpeg(1200, 900)],
    )
    assert resp.status_code == 201, resp.json
    return resp.json["report"]["public_id"]


def _support_photos(app, public_id: str) -> list[dict]:
    with app.app_context():
        report = db.session.scalars(select(Report).where(Report.public_id == public_id)).one()
        out = [
            {"kind": p.kind, "approved": p.approved, "size": (p.web_width, p.web_height)}
            for p in report.photos
        ]
        db.session.remove()
        return out


def _axe_violations(page: Page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def test_nearby_comes_right_after_the_category_with_photo_and_text(app, staff, page, shot):
    shown = _file_with_photo(app, "Tiefes Loch vor Hausnummer 12")
    assert run_privacy_passes(app) == ["done"]  # as the worker does after the photo's intake
    _publish(staff, shown)
    unchecked = file_via_api(app, description="Noch nicht freigegeben")["report"]["public_id"]

    open_app(page)
    location_step(page)
    # The question comes on "Weiter" from the category: before any photo or text.
    assert category_step(page), "the nearby list did not come right after the category"
    expect(heading(page, "Fotos")).to_have_count(0)
    items = page.locator("ul.nearby > li")
    expect(items).to_have_count(2)

    published = items.filter(has_text=shown)
    thumb = published.get_by_role("img", name=f"Foto zu Vorgang {shown}")
    expect(thumb).to_be_visible()
    expect(published).to_contain_text("Tiefes Loch vor Hausnummer 12")
    assert thumb.evaluate("img => img.complete && img.naturalWidth > 0"), "thumbnail not loaded"

    other = items.filter(has_text=unchecked)
    expect(other).to_contain_text("Noch nicht geprüft")
    expect(other).to_contain_text(re.compile(r"(heute|gestern|vor \d+ Tagen) gemeldet"))
    expect(other).not_to_contain_text("Noch nicht freigegeben")
    expect(other.get_by_role("img")).to_have_count(0)
    shot(page, "citizen-7-nearby")
    assert _axe_violations(page) == []

    # None of them: on to the photos, and the report is filed as usual.
    button(page, "Nein, neu melden").click()
    expect(heading(page, "Fotos")).to_be_visible()


@pytest.mark.usefixtures("staff_requirements")
def test_me_too_with_comment_and_photo_lands_in_moderation(
    app, staff, live_server, page, desktop_page, tmp_path: Path, shot
):
    existing = file_via_api(app)["report"]["public_id"]
    photo = tmp_path / "IMG_20260310_101500.jpg"
    photo.write_bytes(images.phone_jpeg(4000, 3000, 6, images.BERLIN))

    open_app(page)
    location_step(page)
    assert category_step(page)
    button(page, "Unterstützen").click()
    page.get_by_label("Kommentar für die Stadt (freiwillig)").fill(COMMENT)
    page.get_by_label("Eigenes Foto hinzufügen (freiwillig)").set_input_files(photo)
    expect(page.get_by_role("img", name="Ihr Foto")).to_be_visible()
    assert _axe_violations(page) == []
    button(page, "Unterstützung senden").click()
    expect(heading(page, "Danke für Ihre Unterstützung!")).to_be_visible()
    expect(page.get_by_text("prüft sie, bevor etwas davon öffentlich wird")).to_be_visible()
    shot(page, "citizen-7b-supported")
    # The answer came, so the photo is stored: the worker's privacy pass runs on it.
    assert run_privacy_passes(app) == ["done"]

    # Stored for moderation: resized on the phone, not public.
    [kept] = _support_photos(app, existing)
    assert kept["kind"] == "support" and kept["approved"] is False
    assert max(kept["size"]) <= 1600
    public = app.test_client().get(f"/api/v1/reports/{existing}").json
    assert public["supporters"] == 1 and public["photos"] == []
    with app.app_context():
        notes = db.session.scalars(
            select(TicketEvent.internal_note).where(TicketEvent.kind == "supported")
        ).all()
        db.session.remove()
    assert notes == [COMMENT]

    # Staff: the ticket shows the comment and the supporter's photo, not yet public ...
    _, admin = staff.user("admin")
    staff_page = desktop_page
    log_in(staff_page, admin, f"/staff#/ticket/{existing}")
    history = staff_page.get_by_role("list").filter(has_text="Unterstützt, mit Kommentar oder Foto")
    expect(history).to_contain_text(COMMENT)
    expect(staff_page.get_by_text("von Unterstützer · noch nicht öffentlich")).to_be_visible()

    # ... and moderation offers it; publishing makes it public.
    staff_page.get_by_role("link", name="Moderation", exact=True).click()
    item = staff_page.locator("article.mod-item").filter(has_text=existing)
    expect(item.get_by_role("button", name="Foto 1 schwärzen (von Unterstützer)")).to_be_visible()
    item.get_by_role("button", name="Veröffentlichen", exact=True).click()
    expect(staff_page.get_by_text(f"{existing} veröffentlicht.")).to_be_visible()
    [kept] = _support_photos(app, existing)
    assert kept["approved"] is True
    assert len(app.test_client().get(f"/api/v1/reports/{existing}").json["photos"]) == 1


def test_reopen_confirms_and_shows_the_note_to_the_reporter_only(
    app, staff, clock, live_server, page, shot
):
    created = file_via_api(app)
    public_id = created["report"]["public_id"]
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

    page.goto(created["tracking_url"].removeprefix(live_server))
    button(page, "Ist nicht behoben").click()
    page.get_by_label("Was ist noch nicht in Ordnung?").fill(NOTE)
    button(page, "Wieder öffnen").click()

    confirmation = page.get_by_role("status").filter(has_text="wieder geöffnet")
    expect(confirmation).to_contain_text("Danke! Die Meldung ist wieder geöffnet")
    expect(status_of(page)).to_have_text("Angenommen")
    history = page.get_by_role("list", name="Verlauf")
    expect(history).to_contain_text("Von Ihnen wieder geöffnet")
    expect(history).to_contain_text(f"Ihre Anmerkung: {NOTE}")
    shot(page, "citizen-9b-reopened")
    assert _axe_violations(page) == []

    # Still there after a reload: the tracking page reads it from the server.
    page.reload()
    expect(page.get_by_role("list", name="Verlauf")).to_contain_text(NOTE)
    # The report's public page never shows it.
    page.goto(f"/reports/{public_id}")
    expect(page.get_by_text(re.compile(public_id)).first).to_be_visible()
    expect(page.get_by_text(NOTE)).to_have_count(0)
    assert NOTE not in page.content()


@pytest.mark.usefixtures("staff_requirements")
def test_a_supporters_photo_on_a_public_report_is_published_from_the_ticket(
    app, staff, live_server, desktop_page
):
    public_id = file_via_api(app)["report"]["public_id"]
    _publish(staff, public_id)
    resp = app.test_client().post(
        f"/api/v1/reports/{public_id}/support",
        data={"comment": COMMENT, "photos": [(BytesIO(images.phone_jpeg(800, 600)), "a.jpg")]},
        content_type="multipart/form-data",
        headers={"X-Device-Id": "phone-b"},
    )
    assert resp.status_code == 200, resp.json
    assert resp.json["photos"] == []
    assert run_privacy_passes(app) == ["done"]  # as the worker does after the photo's intake
    assert app.test_client().get(f"/api/v1/reports/{public_id}").json["photos"] == []

    _, admin = staff.user("admin")
    log_in(desktop_page, admin, f"/staff#/ticket/{public_id}")
    expect(desktop_page.get_by_text("von Unterstützer · noch nicht öffentlich")).to_be_visible()
    desktop_page.get_by_role("button", name="Foto 1 veröffentlichen", exact=True).click()
    expect(desktop_page.get_by_text("Foto 1 ist jetzt öffentlich.")).to_be_visible()
    expect(desktop_page.get_by_text("noch nicht öffentlich")).to_have_count(0)
    public = app.test_client().get(f"/api/v1/reports/{public_id}").json
    assert public["published"] is True and len(public["photos"]) == 1
    assert public["description"] == report_json()["description"]


def test_offline_the_question_is_skipped(app, context, page, server_log):
    file_via_api(app)  # a report the check would find
    open_app(page)
    location_step(page)
    button(page, "Weiter").click()
    button(page, "Schlagloch").click()
    context.set_offline(True)
    button(page, "Weiter").click()
    expect(heading(page, "Fotos")).to_be_visible()
    expect(heading(page, "Ist es einer davon?")).to_have_count(0)
    assert server_log.of("GET", "/api/v1/reports/nearby") == []
