"""The crew's ticket on a phone (390 × 844): what they need on the spot comes first.

Photos, the citizen's text, the address and the map come before the state buttons; a
"Navigation starten" link hands the place to the phone's map app (``geo:``); the whole queue
card opens the ticket; the back link is a 44 px target; an "after" photo taken while
resolving is stored and shown, to staff and (the crew's photos being public) on the
citizen's tracking page.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest
import requests
from playwright.sync_api import Page, expect

from tests import images
from tests.e2e.test_staff_app import (
    button,
    file_report_with_photo,
    heading,
    is_api,
    log_in,
    status_of,
    ticket,
)
from tests.reports.helpers import report_json

pytestmark = pytest.mark.usefixtures("staff_requirements")

PHONE = {"width": 390, "height": 844}
ADDRESS = "Hauptstraße 12"
TEXT = "Tiefes Loch vor Hausnummer 12"


def box(locator) -> dict:
    """The element's bounding box on the page, after it is visible."""
    expect(locator).to_be_visible()
    found = locator.bounding_box()
    assert found is not None
    return found


def open_ticket(page: Page, email: str, public_id: str) -> None:
    page.set_viewport_size(PHONE)
    log_in(page, email, f"/staff#/ticket/{public_id}")
    expect(heading(page, f"Meldung {public_id}")).to_be_visible()


def test_photo_text_address_and_map_come_before_the_state_buttons(app, staff, live_server, page):
    public_id = file_report_with_photo(live_server, description=TEXT, address=ADDRESS)
    _, email = staff.user("crew", "tiefbau")
    open_ticket(page, email, public_id)

    photo = box(page.get_by_role("img", name="Foto 1 (vorher)"))
    text = box(page.get_by_text(TEXT, exact=True))
    address = box(page.get_by_text(ADDRESS, exact=True).first)
    place_map = box(page.get_by_role("region", name="Ort der Meldung auf der Karte"))
    first_state = box(button(page, "Angenommen"))
    note = box(page.get_by_label("Öffentliche Notiz", exact=True))

    for name, part in {"photo": photo, "text": text, "address": address, "map": place_map}.items():
        assert part["y"] + part["height"] <= first_state["y"], f"{name} is not above the buttons"
        assert part["y"] + part["height"] <= note["y"], f"{name} is not above the note fields"
    # The photo is seen without scrolling.
    assert photo["y"] + photo["height"] <= PHONE["height"]


def test_the_navigation_link_names_the_place(app, staff, live_server, page):
    lat, lon = 50.1012, 8.7663
    public_id = file_report_with_photo(live_server, lat=lat, lon=lon, address=ADDRESS)
    _, email = staff.user("crew", "tiefbau")
    open_ticket(page, email, public_id)

    link = page.get_by_role("link", name="Navigation starten", exact=True)
    expect(link).to_be_visible()
    href = link.get_attribute("href")
    m = re.fullmatch(r"geo:([-\d.]+),([-\d.]+)\?q=([-\d.]+),([-\d.]+)\((.*)\)", href or "")
    assert m, href
    assert [float(v) for v in m.groups()[:4]] == pytest.approx([lat, lon, lat, lon], abs=1e-7)
    assert unquote(m.group(5)) == ADDRESS
    assert box(link)["height"] >= 44


def test_tapping_anywhere_on_a_queue_card_opens_the_ticket(app, staff, live_server, page):
    public_id = file_report_with_photo(live_server, address=ADDRESS)
    _, email = staff.user("crew", "tiefbau")
    page.set_viewport_size(PHONE)
    log_in(page, email)
    expect(heading(page, "Meine Liste")).to_be_visible()
    link = page.get_by_role("link", name=public_id, exact=True)
    card = page.get_by_role("listitem").filter(has=link)
    expect(card).to_contain_text(ADDRESS)

    # The card's lower right corner: the place line, far from the id link itself.
    where = box(card)
    link_box = box(link)
    point = {"x": where["width"] - 12, "y": where["height"] - 8}
    assert where["y"] + point["y"] > link_box["y"] + link_box["height"]
    card.tap(position=point)
    expect(heading(page, f"Meldung {public_id}")).to_be_visible()
    assert page.url.endswith(f"#/ticket/{public_id}")
    # The heading and the back link are drawn while the ticket loads, then drawn again with
    # it: measure the back link of the loaded ticket, not the one about to be replaced.
    expect(page.get_by_text(ADDRESS, exact=True).first).to_be_visible()

    # The back link is a 44 px target and leads back to the list.
    back = page.get_by_role("link", name="← Zurück zur Liste", exact=True)
    assert box(back)["height"] >= 44
    back.tap()
    expect(heading(page, "Meine Liste")).to_be_visible()

    # By keyboard: the card's one link, Enter opens it.
    link.focus()
    page.keyboard.press("Enter")
    expect(heading(page, f"Meldung {public_id}")).to_be_visible()


def test_an_after_photo_taken_on_resolve_is_stored_and_shown(
    app, staff, live_server, page, tmp_path: Path
):
    body = {k: str(v) for k, v in report_json(address=ADDRESS).items()}
    created = requests.post(
        f"{live_server}/api/v1/reports",
        data=body,
        files=[("photos", ("IMG_0001.jpg", images.phone_jpeg(1200, 900), "image/jpeg"))],
        timeout=30,
    )
    assert created.status_code == 201, created.text
    public_id = created.json()["report"]["public_id"]
    tracking = created.json()["tracking_url"]
    _, email = staff.user("crew", "tiefbau")
    after = tmp_path / "nachher.jpg"
    after.write_bytes(images.phone_jpeg(2000, 1500))
    open_ticket(page, email, public_id)

    camera = page.get_by_label("Nachher-Foto", exact=True)
    assert camera.get_attribute("capture") == "environment"
    assert camera.get_attribute("accept") == "image/*"
    # Taken right before resolving: the camera comes before the state buttons.
    assert box(camera)["y"] < box(button(page, "Erledigt"))["y"]
    camera.set_input_files(after)
    with page.expect_response(is_api("POST", f"/api/v1/tickets/{public_id}/photos")) as upload:
        button(page, "Foto hochladen").click()
    assert upload.value.status == 201, upload.value.text()
    expect(page.get_by_role("img", name="Foto 2 (nachher)")).to_be_visible()

    page.get_by_label("Öffentliche Notiz", exact=True).fill("Loch verfüllt.")
    button(page, "Erledigt").click()
    confirm = button(page, "Ja, erledigt")  # the second look before the reporter is told
    resolved = status_of(page).filter(has_text="Erledigt")
    expect(confirm.or_(resolved)).to_be_visible()
    if confirm.is_visible():
        confirm.click()
    expect(resolved).to_be_visible()

    stored = ticket(app, public_id)
    assert stored["status"] == "resolved"
    assert stored["photos"] == ["after", "report"]
    assert {"kind": "after", "count": 1} in [e["data"] for e in stored["events"]]

    # The crew's photo is public on the citizen's tracking page (see README, photos).
    token = tracking.rstrip("/").rsplit("/", 1)[-1]
    seen = requests.get(f"{live_server}/api/v1/track/{token}", timeout=10)
    assert seen.status_code == 200, seen.text
    kinds = [p["kind"] for p in seen.json().get("photos", [])]
    assert "after" in kinds, seen.json()
