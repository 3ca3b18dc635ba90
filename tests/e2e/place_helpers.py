"""Helpers of the place step's browser tests (test_citizen_place.py): the test's addresses,
what is stored, the place map's state, and measurements of what a citizen sees."""

from __future__ import annotations

import json
import re

from playwright.sync_api import Page, expect
from sqlalchemy import delete, select

from maengelmelder.addresses.importer import import_addresses
from maengelmelder.addresses.models import Address
from maengelmelder.core.models import Report
from maengelmelder.extensions import db

from .conftest import GEOLOCATION, PHONE, only_the_live_server
from .test_citizen_app import button, heading, open_app

MIN_TARGET = 44
M_PER_DEG = 111_320
# Houses of the test (street, number, lat, lon): the first at the phone's GPS fix, the
# second 100 m north of it, the third elsewhere in the Innenstadt.
HOUSES = [
    ("Prüfstraße", "12", GEOLOCATION["latitude"], GEOLOCATION["longitude"]),
    ("Prüfstraße", "40", GEOLOCATION["latitude"] + 100 / M_PER_DEG, GEOLOCATION["longitude"]),
    ("Lindenweg", "7", 50.1021, 8.7631),
]
POSTCODE, PLACE = "63065", "Musterstadt"


def label(street: str, number: str) -> str:
    return f"{street} {number}, {POSTCODE} {PLACE}"


def import_houses(app) -> None:
    """Make the city's addresses exactly HOUSES (imported as an OSM extract would be)."""
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {
                    "addr:street": street,
                    "addr:housenumber": number,
                    "addr:postcode": POSTCODE,
                    "addr:city": PLACE,
                },
            }
            for street, number, lat, lon in HOUSES
        ],
    }
    with app.app_context():
        db.session.execute(delete(Address))
        result = import_addresses(db.session, json.dumps(collection).encode())
        db.session.commit()
        assert result.read == len(HOUSES) and not result.refused


def stored(app) -> list[dict]:
    with app.app_context():
        rows = db.session.scalars(select(Report).order_by(Report.id)).all()
        return [
            {"public_id": r.public_id, "lat": r.lat, "lon": r.lon, "address": r.address}
            for r in rows
        ]


def city_centre(app) -> tuple[float, float]:
    centre = app.test_client().get("/api/v1/city").json["centre"]
    return centre["lat"], centre["lon"]


def place_status(page: Page):
    return page.locator("#place-status")


def pin(page: Page):
    return page.get_by_role("button", name=re.compile("^Ort des Mangels"))


def start_report(page: Page) -> None:
    open_app(page)
    button(page, "Mangel melden").click()
    expect(heading(page, "Wo ist der Mangel?")).to_be_visible()
    expect(page.locator(".map-pin .leaflet-tile-pane")).to_be_attached()


def finish_report(page: Page, description: str = "Loch in der Fahrbahn") -> str:
    """From a chosen place to the thank-you screen (category, no photo, a description)."""
    button(page, "Weiter").click()
    expect(heading(page, "Was ist es?")).to_be_visible()
    button(page, "Schlagloch").click()
    button(page, "Weiter").click()
    expect(heading(page, "Fotos")).to_be_visible()
    button(page, "Weiter").click()
    expect(heading(page, "Beschreibung und Kontakt")).to_be_visible()
    page.get_by_label("Beschreibung", exact=True).fill(description)
    button(page, "Absenden").click()
    thanks = heading(page, "Danke! Ihre Meldung ist eingegangen")
    nearby = heading(page, "Ist es einer davon?")
    expect(thanks.or_(nearby)).to_be_visible()
    if nearby.is_visible():
        button(page, "Nein, neu melden").click()
    expect(thanks).to_be_visible()
    return page.locator(".public-id").inner_text()


def settled(page: Page) -> None:
    """Wait until the place map has stopped moving (ten animation frames without a change)."""
    page.evaluate(
        """() => new Promise((done) => {
          const pane = document.querySelector('.map-pin .leaflet-map-pane');
          let last = pane.style.transform, same = 0;
          const tick = () => {
            const now = pane.style.transform;
            same = now === last ? same + 1 : 0;
            last = now;
            if (same >= 10) done(true); else requestAnimationFrame(tick);
          };
          requestAnimationFrame(tick);
        })"""
    )


def centre_of(box: dict) -> tuple[float, float]:
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def serious_violations(page: Page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(", ".join(n["target"]) for n in v["nodes"])
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


# Every visible control of the page smaller than `min` px either way, described.
SMALL_TARGETS_JS = """(min) => {
  const sel = [
    'button', 'input:not([type=hidden])', 'select', 'textarea', '[role=option]',
    '[role=combobox]', '.leaflet-marker-icon', '.leaflet-control-zoom a',
  ].join(', ');
  const els = Array.from(document.querySelectorAll(sel));
  // A checkbox's or radio's label is part of its target.
  const checks = document.querySelectorAll('input[type=checkbox], input[type=radio]');
  for (const input of checks) for (const l of input.labels || []) els.push(l);
  const small = [];
  for (const el of els) {
    if (el.closest('.hp-field')) continue;  // the honeypot, off-screen for people
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    if (!r.width || !r.height || s.visibility === 'hidden' || s.display === 'none') continue;
    if (r.width < min || r.height < min) {
      const name = el.getAttribute('aria-label') || el.textContent.trim() || el.className;
      const size = `${Math.round(r.width)}×${Math.round(r.height)}`;
      small.push(`${el.tagName.toLowerCase()} "${name}" ${size}`);
    }
  }
  return small;
}"""


def small_targets(page: Page, step: str) -> list[str]:
    """Every visible control of the screen smaller than 44 × 44 px, described."""
    return [f"{step}: {item}" for item in page.evaluate(SMALL_TARGETS_JS, MIN_TARGET)]


def english_phone(browser, live_server: str, blocked: list[str]):
    """A phone profile whose browser speaks British English; only the live server is reachable."""
    ctx = browser.new_context(
        base_url=live_server,
        viewport=PHONE,
        screen=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="en-GB",
        timezone_id="Europe/London",
        service_workers="block",
    )
    only_the_live_server(ctx, live_server, blocked)
    return ctx
