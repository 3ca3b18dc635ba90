"""The admin map on a laptop (1366 × 900): the existing zones of each kind drawn with their
names, a legend with a keyboard toggle per kind, and an import preview drawn over them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from maengelmelder.extensions import db
from maengelmelder.zoning.models import Zone
from tests.e2e.test_staff_admin import MARKET
from tests.e2e.test_staff_app import heading, log_in, nav_link

pytestmark = pytest.mark.usefixtures("staff_requirements")

LAPTOP = {"width": 1366, "height": 900}


def zones_by_kind(app) -> dict[str, list[str]]:
    with app.app_context():
        out: dict[str, list[str]] = {}
        for zone in db.session.scalars(select(Zone).order_by(Zone.key)):
            out.setdefault(zone.kind, []).append(zone.name)
        return out


def test_admin_map_draws_the_zones_and_the_preview_over_them(
    app, staff, desktop_page, tmp_path: Path
):
    page = desktop_page
    page.set_viewport_size(LAPTOP)
    stored = zones_by_kind(app)
    assert set(stored) >= {"district", "area"}, stored
    _, admin = staff.user("admin")
    log_in(page, admin)
    nav_link(page, "Verwaltung").click()
    expect(heading(page, "Verwaltung")).to_be_visible()

    zone_map = page.get_by_role("region", name="Karte: vorhandene Zonen und die Vorschau der Datei")
    expect(zone_map).to_be_visible()
    # Every zone of each kind is one outline, styled per kind, labelled with its name.
    for kind, names in stored.items():
        expect(zone_map.locator(f"path.zone-kind-{kind}")).to_have_count(len(names))
    for name in stored["district"] + stored["area"]:
        expect(zone_map.locator(".zone-label").get_by_text(name, exact=True)).to_have_count(1)
    expect(zone_map.locator("path.zone-preview")).to_have_count(0)

    # The legend toggles a kind, by keyboard too.
    districts = page.get_by_label(f"Stadtteil ({len(stored['district'])})", exact=True)
    areas = page.get_by_label(f"Gebiet ({len(stored['area'])})", exact=True)
    expect(districts).to_be_checked()
    districts.focus()
    page.keyboard.press("Space")
    expect(districts).not_to_be_checked()
    expect(zone_map.locator("path.zone-kind-district")).to_have_count(0)
    expect(zone_map.locator("path.zone-kind-area")).to_have_count(len(stored["area"]))
    page.keyboard.press("Shift+Tab")  # the kinds in their order: area, district
    expect(areas).to_be_focused()
    page.keyboard.press("Tab")
    expect(districts).to_be_focused()
    page.keyboard.press("Space")
    expect(zone_map.locator("path.zone-kind-district")).to_have_count(len(stored["district"]))

    # A file's zones: drawn over the existing ones, in a pane above them, in their own style.
    upload = tmp_path / "markt.geojson"
    upload.write_text(
        json.dumps({"type": "FeatureCollection", "features": [MARKET]}), encoding="utf-8"
    )
    page.get_by_label("GeoJSON-Datei", exact=True).set_input_files(upload)
    zone_map = page.get_by_role("region", name="Karte: vorhandene Zonen und die Vorschau der Datei")
    preview = zone_map.locator("path.zone-preview")
    expect(preview).to_have_count(1)
    expect(zone_map.locator(".zone-label-preview").get_by_text("Marktplatz")).to_be_visible()
    for kind, names in stored.items():
        expect(zone_map.locator(f"path.zone-kind-{kind}")).to_have_count(len(names))
    above = zone_map.evaluate(
        """(map) => {
            const pane = (sel) => map.querySelector(sel).closest('.leaflet-pane');
            const z = (sel) => Number(getComputedStyle(pane(sel)).zIndex);
            return z('path.zone-preview') > z('path.zone-kind-district');
        }"""
    )
    assert above, "the preview is not drawn over the existing zones"
    assert preview.get_attribute("stroke-dasharray"), "the preview is not dashed"
    expect(page.get_by_text("Vorschau aus der Datei (1)")).to_be_visible()
