"""Supervisors and admins in the staff app (`/staff`) in Chromium, on the desktop-sized profile
(``desktop_page``): the deadline board, the administration (zones and rules) and moderation.
The helpers are those of test_staff_app.py.
"""

from __future__ import annotations

import json
import re
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import func, select

from maengelmelder.demo import HERE as DEMO_DIR
from maengelmelder.extensions import db
from maengelmelder.zoning.models import RuleSetVersion, Zone
from tests.e2e.test_staff_app import (
    button,
    file_report,
    file_report_with_photo,
    heading,
    is_api,
    log_in,
    nav_link,
    ticket,
)

pytestmark = pytest.mark.usefixtures("staff_requirements")

# A point in the demo city's harbour zone (maengelmelder/demo/areas.geojson, rule `hafen`).
HARBOUR = {"lat": 50.1130, "lon": 8.7650}
# A small square on the market place, for the zone import.
MARKET = {
    "type": "Feature",
    "id": "marktplatz",
    "properties": {"name": "Marktplatz"},
    "geometry": {
        "type": "Polygon",
        "coordinates": [
            [[8.764, 50.099], [8.767, 50.099], [8.767, 50.101], [8.764, 50.101], [8.764, 50.099]]
        ],
    },
}


# --------------------------------------------------------------------------- helpers


def rule_set_version(app) -> int | None:
    with app.app_context():
        return db.session.scalar(select(func.max(RuleSetVersion.version)))


def zones_of_kind(app, kind: str) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(Zone.key).where(Zone.kind == kind)))


# --------------------------------------------------------------------------- tests


def test_supervisor_forwards_a_breached_ticket(app, staff, clock, live_server, desktop_page, shot):
    page = desktop_page
    public_id = file_report(live_server)
    clock.advance(hours=49)
    reason = "Liegt auf dem Privatgrundstück, Ordnungsamt bitte prüfen."
    _, email = staff.user("supervisor", citywide=True)

    log_in(page, email)
    nav_link(page, "Fristen").click()
    expect(heading(page, "Fristen")).to_be_visible()
    expect(page.get_by_role("table", name="Nach Dienststelle")).to_be_visible()
    expect(page.get_by_role("table", name="Nach Kategorie")).to_be_visible()
    expect(page.get_by_role("link", name="CSV herunterladen")).to_be_visible()
    expect(page.get_by_role("link", name="GeoJSON herunterladen")).to_be_visible()
    row = (
        page.get_by_role("table", name="Überschritten")
        .get_by_role("row")
        .filter(has=page.get_by_text(public_id, exact=True))
    )
    expect(row).to_be_visible()
    shot(page, "staff-4-board")

    row.get_by_label("Dienststelle", exact=True).select_option("ordnung")
    row.get_by_label("Grund", exact=True).fill(reason)
    with page.expect_response(is_api("POST", f"/api/v1/tickets/{public_id}/forward")) as sent:
        button(row, "Weiterleiten").click()
    assert sent.value.status == 200, sent.value.text()
    expect(page.get_by_role("alert")).to_have_count(0)

    stored = ticket(app, public_id)
    assert stored["department"] == "ordnung"
    forwarded = [e for e in stored["events"] if e["kind"] == "forwarded"]
    assert len(forwarded) == 1
    assert forwarded[0]["internal_note"] == reason
    assert forwarded[0]["data"]["to_department"] == "ordnung"


def test_admin_imports_zones_and_moves_the_harbour(
    app, staff, live_server, desktop_page, tmp_path: Path, shot
):
    page = desktop_page
    page.on("dialog", lambda dialog: dialog.accept())  # should the app ask "are you sure?"
    harbour_id = file_report(live_server, **HARBOUR)
    assert ticket(app, harbour_id)["department"] == "hafen"
    assert rule_set_version(app) == 1

    # The demo's areas (the rules name `hafen`; an import replaces every zone of its kind)
    # and one new square.
    areas = json.loads((DEMO_DIR / "areas.geojson").read_text(encoding="utf-8"))
    upload = tmp_path / "bereiche.geojson"
    upload.write_text(
        json.dumps({"type": "FeatureCollection", "features": [*areas["features"], MARKET]}),
        encoding="utf-8",
    )
    _, email = staff.user("admin")

    log_in(page, email)
    nav_link(page, "Verwaltung").click()
    expect(heading(page, "Verwaltung")).to_be_visible()
    for section in ("Dienststellen", "Kategorien", "Konten", "Zonen", "Regeln"):
        expect(page.get_by_role("heading", name=section, exact=True)).to_be_visible()

    # Zones: choose the file and the kind, see the preview, import.
    page.get_by_label("GeoJSON-Datei", exact=True).set_input_files(upload)
    kind = page.get_by_label("Art", exact=True)
    if kind.evaluate("el => el.tagName") == "SELECT":
        kind.select_option("area")
    else:
        kind.fill("area")
    expect(page.get_by_text(re.compile("Marktplatz")).first).to_be_visible()
    preview = page.get_by_role("region", name=re.compile("Vorschau"))
    expect(preview).to_be_visible()
    expect(preview.locator("path.zone-preview")).to_have_count(3)  # the file's zones
    with page.expect_response(is_api("POST", "/api/v1/admin/zones/import")) as imported:
        button(page, "Zonen importieren").click()
    assert imported.value.status == 200, imported.value.text()
    expect(page.get_by_role("status").filter(has_text=re.compile(r"\b1 neu\b"))).to_be_visible()
    assert zones_of_kind(app, "area") == {"stadtpark", "hafen", "marktplatz"}

    # Rules: in the form, send the harbour to the Ordnungsamt.
    hafen = page.get_by_role("group", name=re.compile(r"^Regel \d+ · Hafengebiet$"))
    hafen.get_by_label("Dienststelle", exact=True).select_option("ordnung")

    with page.expect_response(is_api("POST", "/api/v1/admin/rules/dry-run")) as tried:
        button(page, "Probelauf").click()
    assert tried.value.status == 200, tried.value.text()
    move = page.get_by_role("row").filter(has=page.get_by_text(harbour_id, exact=True))
    expect(move).to_be_visible()
    cells = move.get_by_role("cell")
    expect(cells.filter(has_text=re.compile(r"\bhafen\b|Hafenbetrieb"))).not_to_have_count(0)
    expect(cells.filter(has_text=re.compile(r"\bordnung\b|Ordnungsamt"))).not_to_have_count(0)
    assert ticket(app, harbour_id)["department"] == "hafen", "the dry run changed the ticket"
    assert rule_set_version(app) == 1
    shot(page, "staff-6-admin")

    button(page, "Regeln übernehmen").click()
    dialog = page.get_by_role("dialog", name="Regeln in Kraft setzen?")
    expect(dialog.get_by_role("row").filter(has=page.get_by_text(harbour_id))).to_be_visible()
    with page.expect_response(is_api("POST", "/api/v1/admin/rules")) as applied:
        button(dialog, "Ja, in Kraft setzen").click()
    assert applied.value.status == 201, applied.value.text()
    expect(page.get_by_role("alert")).to_have_count(0)

    assert rule_set_version(app) == 2
    assert ticket(app, harbour_id)["department"] == "ordnung"


def test_a_photo_is_blacked_out_with_the_keyboard_alone(app, staff, live_server, desktop_page):
    page = desktop_page
    file_report_with_photo(live_server)
    _, admin = staff.user("admin")
    log_in(page, admin)
    nav_link(page, "Moderation").click()
    expect(heading(page, "Moderation")).to_be_visible()
    photo = page.get_by_role("group", name=re.compile(r"^Foto 1 – Bereich zum Schwärzen"))

    def focused(locator) -> bool:
        return locator.evaluate("el => el === document.activeElement")

    # Tab reaches the photo's thumbnail in the row; Enter opens the black-out tool on it.
    thumb = button(page, "Foto 1 schwärzen")
    for _ in range(40):
        if focused(thumb):
            break
        page.keyboard.press("Tab")
    assert focused(thumb), "Tab never reached the photo's thumbnail"
    page.keyboard.press("Enter")
    expect(photo).to_be_visible()

    def web_image(img=None) -> Image.Image:
        src = (img or photo.locator("img")).get_attribute("src")
        resp = page.request.get(live_server + src)
        assert resp.ok, resp.status
        return Image.open(BytesIO(resp.body())).convert("L")

    before = web_image()
    width, height = before.size

    # The opened tool has the focus; the frame starts as the middle quarter of each side.
    assert focused(photo), "the opened tool does not have the focus"
    expect(photo.locator(".redact-frame")).to_have_count(1)
    for _ in range(5):
        page.keyboard.press("ArrowRight")  # x: 0.375 -> 0.475
    for _ in range(5):
        page.keyboard.press("Shift+ArrowDown")  # height: 0.25 -> 0.35
    page.keyboard.press("Enter")
    expect(page.get_by_text(re.compile(r"^1 Bereiche? ausgewählt$"))).to_be_visible()
    photo = page.get_by_role("group", name=re.compile(r"^Foto 1 – Bereich zum Schwärzen"))
    assert focused(photo), "the photo keeps the focus after adding an area"
    for _ in range(10):
        if focused(button(page, "Schwärzen")):
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Geschwärzt.")).to_be_visible()

    # Saved, the tool shows the unblurred original and, beside it, the public version.
    after = web_image(page.get_by_role("img", name="Foto 1, öffentliche Fassung"))
    # Inside the chosen area (x 0.475-0.725, y 0.375-0.725 of the photo): black.
    assert after.getpixel((int(width * 0.6), int(height * 0.55))) < 30
    assert after.getpixel((int(width * 0.48), int(height * 0.72))) < 30
    # Outside it: the photo as it was.
    for fx, fy in ((0.1, 0.1), (0.4, 0.55), (0.6, 0.3), (0.9, 0.9)):
        point = (int(width * fx), int(height * fy))
        assert abs(after.getpixel(point) - before.getpixel(point)) < 25, point
