"""Moderation as a compact list on a laptop (1366 × 900): several reports at once, each row
with thumbnails (the small derivative), text, category and place, publish / hide / edit in one
click, and the black-out tool opened per photo."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
import requests
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from maengelmelder.core.models import Report
from maengelmelder.extensions import db
from tests import images
from tests.e2e.test_staff_app import button, heading, is_api, log_in, nav_link
from tests.reports.helpers import INSIDE, report_json

pytestmark = pytest.mark.usefixtures("staff_requirements")

LAPTOP = {"width": 1366, "height": 900}


def file_with_photo(live_server: str, n: int, **fields) -> str:
    """A report with one 1200 × 900 photo, a little apart from the others; its public id."""
    body = report_json(
        description=f"Schaden Nummer {n} am Gehweg",
        lon=INSIDE["lon"] + n * 0.0004,
        lat=INSIDE["lat"],
        **fields,
    )
    data = {k: str(v) for k, v in body.items()}
    files = [("photos", (f"IMG_{n}.jpg", images.phone_jpeg(1200, 900), "image/jpeg"))]
    resp = requests.post(f"{live_server}/api/v1/reports", data=data, files=files, timeout=30)
    assert resp.status_code == 201, resp.text
    return resp.json()["report"]["public_id"]


def stored(app, public_id: str) -> dict:
    with app.app_context():
        r = db.session.scalars(select(Report).where(Report.public_id == public_id)).one()
        return {"published": r.published, "public_description": r.public_description}


def open_moderation(page, email: str) -> None:
    page.set_viewport_size(LAPTOP)
    log_in(page, email)
    nav_link(page, "Moderation").click()
    expect(heading(page, "Moderation")).to_be_visible()


def row(page, public_id: str):
    return page.get_by_role("article", name=f"Meldung {public_id}")


def test_many_rows_fit_with_thumbnails_and_act_in_one_click(app, staff, live_server, desktop_page):
    page = desktop_page
    ids = [file_with_photo(live_server, n) for n in range(6)]
    with_address = file_with_photo(live_server, 6, address="Marktstraße 12")
    _, admin = staff.user("admin", citywide=True)
    open_moderation(page, admin)

    rows = page.locator("article.mod-item")
    expect(rows).to_have_count(7)
    expect(row(page, with_address)).to_contain_text("Marktstraße 12")
    expect(row(page, ids[0])).to_contain_text("Schaden Nummer 0 am Gehweg")
    expect(row(page, ids[0])).to_contain_text("Schlagloch")

    # At least five whole rows within the laptop's screen at once.
    inside = page.evaluate(
        """() => [...document.querySelectorAll('article.mod-item')].filter((el) => {
            const r = el.getBoundingClientRect();
            return r.top >= 0 && r.bottom <= window.innerHeight;
        }).length"""
    )
    assert inside >= 5, f"only {inside} whole rows on the screen"

    # Thumbnails are the small derivative, not the photo.
    thumb = row(page, ids[0]).locator(".mod-thumb img")
    expect(thumb).to_have_count(1)
    src = thumb.get_attribute("src")
    assert re.search(r"-thumb\.jpg(\?|$)", src), src
    resp = requests.get(live_server + src, cookies=cookies(page), timeout=10)
    assert resp.ok, resp.status_code
    assert max(Image.open(BytesIO(resp.content)).size) <= 320

    # Publish in one click: the row goes, the focus moves to the next row's link.
    with page.expect_response(is_api("POST", f"/api/v1/tickets/{ids[0]}/publication")) as sent:
        button(row(page, ids[0]), "Veröffentlichen").click()
    assert sent.value.status == 200, sent.value.text()
    expect(row(page, ids[0])).to_have_count(0)
    expect(page.get_by_role("status")).to_contain_text(ids[0])
    expect(page.locator("article.mod-item h3 a").first).to_be_focused()
    assert stored(app, ids[0]) == {
        "published": True,
        "public_description": "Schaden Nummer 0 am Gehweg",
    }

    # Hide in one click.
    button(row(page, ids[1]), "Verbergen").click()
    expect(row(page, ids[1])).to_have_count(0)
    expect(rows).to_have_count(5)
    assert stored(app, ids[1])["published"] is False

    # Edit the text in the row, then publish it.
    button(row(page, ids[2]), "Text bearbeiten").click()
    text = row(page, ids[2]).get_by_label("Öffentlicher Text")
    expect(text).to_be_focused()
    text.fill("Loch im Gehweg")
    button(row(page, ids[2]), "Veröffentlichen").click()
    expect(row(page, ids[2])).to_have_count(0)
    assert stored(app, ids[2]) == {"published": True, "public_description": "Loch im Gehweg"}


def cookies(page) -> dict:
    return {c["name"]: c["value"] for c in page.context.cookies()}


def test_black_out_opens_per_photo_and_a_drawn_box_is_saved(app, staff, live_server, desktop_page):
    page = desktop_page
    ids = [file_with_photo(live_server, n) for n in range(2)]
    _, admin = staff.user("admin", citywide=True)
    open_moderation(page, admin)
    item = row(page, ids[1])
    expect(item.locator(".redact-box")).to_have_count(0)  # closed until asked for

    button(item, "Foto 1 schwärzen").click()
    photo = item.get_by_role("group", name=re.compile(r"^Foto 1 – Bereich zum Schwärzen"))
    expect(photo).to_be_visible()
    expect(photo).to_be_focused()
    img = photo.locator("img")
    expect(img).to_have_attribute("src", re.compile(r"-web\.jpg"))
    expect(page.locator(".redact-box")).to_have_count(1)  # the other row's tool stays closed

    def web_image(img=img) -> Image.Image:
        resp = requests.get(live_server + img.get_attribute("src"), cookies=cookies(page))
        assert resp.ok, resp.status_code
        return Image.open(BytesIO(resp.content)).convert("L")

    before = web_image()
    width, height = before.size
    box = img.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5, steps=5)
    page.mouse.up()
    expect(item.get_by_text(re.compile(r"^1 Bereiche? ausgewählt$"))).to_be_visible()
    with page.expect_response(is_api("POST", "/redact")) as sent:
        button(item, "Schwärzen").click()
    assert sent.value.ok, sent.value.text()
    expect(item.get_by_text("Geschwärzt.")).to_be_visible()

    # Saved, the tool shows the unblurred original with the box over it, and the public
    # version beside it: that one is blacked out.
    after = web_image(item.get_by_role("img", name="Foto 1, öffentliche Fassung"))
    assert after.getpixel((int(width * 0.35), int(height * 0.35))) < 30
    point = (int(width * 0.8), int(height * 0.8))
    assert abs(after.getpixel(point) - before.getpixel(point)) < 25

    # The thumbnail shows the black-out too, and closing the tool returns to it.
    button(item, "Schwärzen schließen").click()
    expect(item.locator(".redact-box")).to_have_count(0)
    expect(button(item, "Foto 1 schwärzen")).to_be_focused()
    src = item.locator(".mod-thumb img").get_attribute("src")
    thumb = Image.open(
        BytesIO(requests.get(live_server + src, cookies=cookies(page), timeout=10).content)
    ).convert("L")
    assert thumb.getpixel((int(thumb.width * 0.35), int(thumb.height * 0.35))) < 30

    # The same row in English.
    button(page, "English").click()
    item = page.get_by_role("article", name=f"Report {ids[1]}")
    for name in ("Publish", "Hide", "Edit text", "Black out photo 1"):
        expect(button(item, name)).to_be_visible()
