"""The place step of the citizen app: an explicit place, its street address, a map-free path.

A phone-sized Chromium with touch, German unless a test says otherwise. What a test checks in
the end is what the service stored (or what a citizen sees: sizes, words, the pin).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests import images

from .conftest import GEOLOCATION
from .place_helpers import (
    HOUSES,
    M_PER_DEG,
    centre_of,
    city_centre,
    english_phone,
    finish_report,
    import_houses,
    label,
    pin,
    place_status,
    serious_violations,
    settled,
    small_targets,
    start_report,
    stored,
)
from .test_citizen_app import button, file_via_api, heading, open_app, tab_to


@pytest.fixture
def addresses(app):
    """The city's addresses are exactly HOUSES."""
    import_houses(app)
    return HOUSES


@pytest.fixture
def english_page(browser, live_server, blocked):
    """A phone whose browser is set to British English (otherwise as the `page` fixture)."""
    ctx = english_phone(browser, live_server, blocked)
    tab = ctx.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(f"{exc.name}: {exc.message}"))
    yield tab
    ctx.close()
    assert errors == []


# --------------------------------------------------------------------------- an explicit place


def test_next_stays_disabled_until_a_place_is_chosen(app, page):
    start_report(page)
    # No pin at the city centre, a hint what to do, and no way on.
    expect(place_status(page)).to_contain_text("Noch kein Ort gewählt")
    expect(pin(page)).to_have_count(0)
    expect(button(page, "Weiter")).to_be_disabled()

    # A tap on the map, away from the centre, places the pin there.
    page.locator(".map-pin").scroll_into_view_if_needed()
    map_box = page.locator(".map-pin").bounding_box()
    tap_x = map_box["x"] + map_box["width"] * 0.25
    page.touchscreen.tap(tap_x, map_box["y"] + map_box["height"] * 0.3)
    expect(pin(page)).to_be_visible()
    expect(button(page, "Weiter")).to_be_enabled()
    expect(place_status(page)).to_contain_text("Gewählter Ort:")
    finish_report(page)

    [report] = stored(app)
    lat, lon = city_centre(app)
    # Up and left of the centre: north-west of it, never the centre itself.
    assert report["lat"] > lat + 1e-4
    assert report["lon"] < lon - 1e-4


def test_back_to_the_place_step_keeps_the_chosen_place(app, page):
    start_report(page)
    button(page, "Meine Position verwenden").click()
    expect(button(page, "Weiter")).to_be_enabled()
    button(page, "Weiter").click()
    expect(heading(page, "Was ist es?")).to_be_visible()
    button(page, "Zurück").click()
    expect(heading(page, "Wo ist der Mangel?")).to_be_visible()
    expect(pin(page)).to_be_visible()
    expect(button(page, "Weiter")).to_be_enabled()


def test_the_crosshair_marks_the_map_centre_that_the_button_takes(app, page):
    start_report(page)
    crosshair = page.locator(".crosshair")
    expect(crosshair).to_be_visible()
    map_el = page.locator(".map-pin")
    cx, cy = centre_of(crosshair.bounding_box())
    mx, my = centre_of(map_el.bounding_box())
    assert abs(cx - mx) <= 2 and abs(cy - my) <= 2

    # Pan the map with its own keys (80 px east), then take its centre.
    map_el.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    settled(page)
    button(page, "Kartenmitte übernehmen").click()
    expect(pin(page)).to_be_visible()
    expect(button(page, "Weiter")).to_be_enabled()
    # The tip of the pin is at the crosshair (measured again: the click scrolled the page).
    cx, cy = centre_of(crosshair.bounding_box())
    # (the drawn pin: the bottom corner of its rotated square, the lowest point of its box)
    drawn = pin(page).locator("span").bounding_box()
    tip_x, tip_y = drawn["x"] + drawn["width"] / 2, drawn["y"] + drawn["height"]
    assert abs(tip_x - cx) <= 2 and abs(tip_y - cy) <= 2, (tip_x, tip_y, cx, cy)
    finish_report(page)

    [report] = stored(app)
    lat, lon = city_centre(app)
    assert report["lat"] == pytest.approx(lat, abs=1e-5)
    assert report["lon"] > lon + 1e-4  # east of the start: the centre of the panned map


def test_open_reports_are_on_the_place_map_and_let_taps_through(app, page):
    near = {"lat": 50.1010, "lon": 8.7660}
    file_via_api(app, **near)
    file_via_api(app, lat=50.1000, lon=8.7650)
    start_report(page)
    button(page, "Meine Position verwenden").click()
    existing = page.locator(".map-pin path.mm-existing")
    expect(existing).to_have_count(2)
    page.locator(".map-pin").scroll_into_view_if_needed()

    # A tap on an existing report's dot places the pin there, nothing else opens.
    x, y = centre_of(existing.first.bounding_box())
    page.touchscreen.tap(x, y)
    expect(place_status(page)).to_contain_text("Gewählter Ort:")
    box = pin(page).bounding_box()
    assert abs(box["x"] + box["width"] / 2 - x) <= 3
    assert abs(box["y"] + box["height"] - 2 - y) <= 3
    expect(page.locator(".leaflet-popup")).to_have_count(0)


def test_arrow_keys_move_the_pin_and_the_address_follows(app, addresses, page):
    start_report(page)
    button(page, "Meine Position verwenden").click()
    expect(place_status(page)).to_have_text(f"Gewählter Ort: {label('Prüfstraße', '12')}")

    pin(page).focus()
    page.keyboard.press("Shift+ArrowUp")
    # Announced for a screen reader: how far, which way (zoom 17, Shift: 20 m).
    expect(place_status(page)).to_contain_text("Nadel 20 m nach Norden verschoben.")
    for _ in range(4):
        page.keyboard.press("Shift+ArrowUp")
    expect(place_status(page)).to_have_text(
        f"Nadel 20 m nach Norden verschoben. Gewählter Ort: {label('Prüfstraße', '40')}"
    )
    # A small step east: 5 m, still at number 40.
    page.keyboard.press("ArrowRight")
    expect(place_status(page)).to_have_text(
        f"Nadel 5 m nach Osten verschoben. Gewählter Ort: {label('Prüfstraße', '40')}"
    )
    finish_report(page)

    [report] = stored(app)
    assert report["address"] == label("Prüfstraße", "40")
    assert report["lat"] == pytest.approx(GEOLOCATION["latitude"] + 100 / M_PER_DEG, abs=2e-6)
    assert report["lon"] > GEOLOCATION["longitude"]


def test_the_address_is_shown_and_stored_with_the_report(app, addresses, page, server_log):
    start_report(page)
    button(page, "Meine Position verwenden").click()
    expect(place_status(page)).to_have_text(f"Gewählter Ort: {label('Prüfstraße', '12')}")
    public_id = finish_report(page)

    [report] = stored(app)
    assert report["public_id"] == public_id
    assert report["address"] == label("Prüfstraße", "12")
    [post] = server_log.of("POST", "/api/v1/reports")
    assert label("Prüfstraße", "12").encode() in post.body


def test_without_an_address_nearby_the_place_reads_as_coordinates(app, page):
    """No address data at all: the coordinates, and no address sent."""
    start_report(page)
    button(page, "Meine Position verwenden").click()
    expect(place_status(page)).to_have_text(
        f"Gewählter Ort: {GEOLOCATION['latitude']:.5f}, {GEOLOCATION['longitude']:.5f}"
    )
    finish_report(page)
    assert stored(app)[0]["address"] is None


# --------------------------------------------------------------------------- the map-free path


def test_a_whole_report_by_keyboard_through_the_address_search(app, addresses, page):
    open_app(page)
    tab_to(page, button(page, "Mangel melden"))
    page.keyboard.press("Enter")
    expect(heading(page, "Wo ist der Mangel?")).to_be_visible()

    search = page.get_by_role("combobox", name="Adresse suchen")
    tab_to(page, search)
    expect(search).to_have_attribute("aria-expanded", "false")
    page.keyboard.type("Lindenw")
    expect(search).to_have_attribute("aria-expanded", "true")
    listbox = page.get_by_role("listbox")
    expect(listbox.get_by_role("option")).to_have_text([label("Lindenweg", "7")])
    expect(page.get_by_role("status").filter(has_text="1 Adresse gefunden")).to_be_visible()
    page.keyboard.press("ArrowDown")
    expect(listbox.get_by_role("option", selected=True)).to_have_text(label("Lindenweg", "7"))
    page.keyboard.press("Enter")
    expect(search).to_have_attribute("aria-expanded", "false")
    expect(search).to_have_value(label("Lindenweg", "7"))
    expect(place_status(page)).to_have_text(f"Gewählter Ort: {label('Lindenweg', '7')}")
    expect(pin(page)).to_be_visible()

    tab_to(page, button(page, "Weiter"))
    page.keyboard.press("Enter")
    expect(heading(page, "Was ist es?")).to_be_visible()
    tab_to(page, button(page, "Schlagloch"))
    page.keyboard.press("Space")
    for expected in ("Fotos", "Beschreibung und Kontakt"):
        tab_to(page, button(page, "Weiter"))
        page.keyboard.press("Enter")
        expect(heading(page, expected)).to_be_visible()
    tab_to(page, page.get_by_label("Beschreibung", exact=True))
    page.keyboard.type("Gehweg abgesackt")
    tab_to(page, button(page, "Absenden"))
    page.keyboard.press("Enter")
    expect(heading(page, "Danke! Ihre Meldung ist eingegangen")).to_be_visible()

    [report] = stored(app)
    street, number, lat, lon = HOUSES[2]
    assert report["address"] == label(street, number)
    assert report["lat"] == pytest.approx(lat, abs=1e-6)
    assert report["lon"] == pytest.approx(lon, abs=1e-6)


def test_an_address_tapped_in_the_list_places_the_pin(app, addresses, page):
    start_report(page)
    search = page.get_by_role("combobox", name="Adresse suchen")
    search.fill("prüfstrasse 4")
    option = page.get_by_role("option", name=label("Prüfstraße", "40"))
    expect(page.get_by_role("option")).to_have_count(1)
    option.tap()
    expect(search).to_have_value(label("Prüfstraße", "40"))
    expect(place_status(page)).to_have_text(f"Gewählter Ort: {label('Prüfstraße', '40')}")
    expect(pin(page)).to_be_visible()
    finish_report(page)
    [report] = stored(app)
    assert report["address"] == label("Prüfstraße", "40")
    assert report["lat"] == pytest.approx(HOUSES[1][2], abs=1e-6)


def test_the_address_search_says_when_nothing_is_found(app, addresses, page):
    start_report(page)
    search = page.get_by_role("combobox", name="Adresse suchen")
    search.fill("Gibtsnichtweg")
    expect(page.get_by_role("status").filter(has_text="Keine Adresse gefunden.")).to_be_visible()
    expect(search).to_have_attribute("aria-expanded", "false")
    expect(button(page, "Weiter")).to_be_disabled()


def test_the_place_step_has_no_serious_accessibility_violations(app, addresses, page):
    start_report(page)
    found = {"nothing chosen": serious_violations(page)}
    page.get_by_role("combobox", name="Adresse suchen").fill("Prüfstr")
    expect(page.get_by_role("option")).to_have_count(2)
    page.keyboard.press("ArrowDown")
    found["list open"] = serious_violations(page)
    page.keyboard.press("Enter")
    expect(pin(page)).to_be_visible()
    pin(page).focus()
    page.keyboard.press("ArrowLeft")
    expect(place_status(page)).to_contain_text("nach Westen verschoben")
    found["pin placed and moved"] = serious_violations(page)
    assert {k: v for k, v in found.items() if v} == {}


# --------------------------------------------------------------------------- touch targets


def test_every_control_of_the_flow_is_at_least_44_px(app, addresses, page, tmp_path: Path):
    # On the start screen's map, away from the place reported below: a cluster of two
    # reports and a marker of one.
    for lat, lon in ((50.1021, 8.7631), (50.10215, 8.76315), (50.0950, 8.7500)):
        file_via_api(app, lat=lat, lon=lon)
    problems: list[str] = []
    open_app(page)
    expect(page.locator(".map-home .marker-cluster")).to_have_count(1)
    expect(page.locator(".map-home .mm-marker")).to_have_count(1)
    problems += small_targets(page, "map")

    button(page, "Mangel melden").click()
    expect(heading(page, "Wo ist der Mangel?")).to_be_visible()
    search = page.get_by_role("combobox", name="Adresse suchen")
    search.fill("Prüfstr")
    expect(page.get_by_role("option")).to_have_count(2)
    problems += small_targets(page, "place, search open")
    page.keyboard.press("Escape")
    button(page, "Meine Position verwenden").click()
    expect(pin(page)).to_be_visible()
    expect(page.locator(".leaflet-control-zoom a")).to_have_count(2)
    problems += small_targets(page, "place")

    button(page, "Weiter").click()
    expect(heading(page, "Was ist es?")).to_be_visible()
    expect(button(page, "Schlagloch")).to_be_visible()
    problems += small_targets(page, "category")
    button(page, "Schlagloch").click()

    button(page, "Weiter").click()
    expect(heading(page, "Fotos")).to_be_visible()
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(images.phone_jpeg(800, 600))
    page.get_by_label("Foto aufnehmen oder auswählen").set_input_files(photo)
    expect(button(page, "Foto 1 entfernen")).to_be_visible()
    problems += small_targets(page, "photos")

    button(page, "Weiter").click()
    expect(heading(page, "Beschreibung und Kontakt")).to_be_visible()
    problems += small_targets(page, "details")

    assert problems == [], "controls under 44 × 44 px:\n" + "\n".join(problems)


def test_the_nearby_question_has_44_px_controls_too(app, page):
    file_via_api(app)  # at the phone's position: "Ist es einer davon?" after the category
    start_report(page)
    button(page, "Meine Position verwenden").click()
    button(page, "Weiter").click()
    button(page, "Schlagloch").click()
    button(page, "Weiter").click()
    expect(heading(page, "Ist es einer davon?")).to_be_visible()
    problems = small_targets(page, "nearby")
    button(page, "Unterstützen").click()
    expect(button(page, "Unterstützung senden")).to_be_visible()
    problems += small_targets(page, "support form")
    assert problems == [], "controls under 44 × 44 px:\n" + "\n".join(problems)


# --------------------------------------------------------------------------- words


def test_the_details_step_says_what_becomes_public(app, page):
    start_report(page)
    button(page, "Meine Position verwenden").click()
    button(page, "Weiter").click()
    button(page, "Schlagloch").click()
    button(page, "Weiter").click()
    button(page, "Weiter").click()
    expect(heading(page, "Beschreibung und Kontakt")).to_be_visible()
    note = page.locator("#public-note")
    expect(note).to_contain_text("nach Prüfung durch die Stadt")
    expect(note).to_contain_text("Beschreibung und Ihre Fotos")
    expect(note).to_contain_text("E-Mail-Adresse wird nie veröffentlicht")
    button(page, "English").click()
    expect(page.locator("#public-note")).to_contain_text("after review by the city")
    expect(page.locator("#public-note")).to_contain_text("e-mail address is never published")


def test_an_english_browser_starts_in_english_and_a_choice_is_kept(english_page):
    page = english_page
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(button(page, "Report an issue")).to_be_visible()
    button(page, "Report an issue").click()
    expect(heading(page, "Where is the issue?")).to_be_visible()
    expect(page.get_by_role("combobox", name="Search for an address")).to_be_visible()

    button(page, "Deutsch").click()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.reload()
    expect(button(page, "Mangel melden")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "de")


def test_a_german_browser_starts_in_german(page):
    open_app(page)
    expect(page.locator("html")).to_have_attribute("lang", "de")
