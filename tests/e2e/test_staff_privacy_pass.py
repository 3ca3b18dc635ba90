"""The privacy pass in the staff app (issue 24), in Chromium on a laptop: the black-out tool
shows the unblurred original with the boxes the pass found ("automatisch erkannt"), a
moderator removes one and adds one, and the public photo is rendered anew; a photo whose pass
failed shows why in moderation, and "Erneut prüfen" runs the pass again.

The photo is drawn here: scikit-image's astronaut (a real face from a package) pasted onto a
drawn street with a drawn German number plate on a car. The pass is the worker's job, run
here by calling it, as the other tests run jobs.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import requests
from PIL import Image, ImageDraw, ImageFont
from playwright.sync_api import expect
from sqlalchemy import select

from maengelmelder.core.events import TicketEvent
from maengelmelder.core.models import Report
from maengelmelder.extensions import db
from maengelmelder.privacy.jobs import privacy_pass
from tests.e2e.test_staff_app import button, heading, is_api, log_in, nav_link
from tests.e2e.test_staff_axe import Scanner
from tests.e2e.test_staff_moderation_list import LAPTOP, cookies, row
from tests.reports.helpers import INSIDE, report_json

pytestmark = pytest.mark.usefixtures("staff_requirements")


def street_photo() -> bytes:
    """1600 × 1200: a face (the astronaut's, scaled up) on the left, a car with a German
    plate on the right, sky above and asphalt below."""
    from skimage import data

    img = Image.new("RGB", (1600, 1200), (150, 155, 160))
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, 700, 1600, 1200], fill=(95, 95, 100))
    # Read with Pillow: `data.astronaut()` goes through imageio, which registers pillow-heif's
    # opener in Pillow for the whole test process.
    with Image.open(Path(data.__file__).parent / "astronaut.png") as astronaut:
        face = astronaut.convert("RGB").crop((150, 30, 300, 220)).resize((300, 380))
    img.paste(face, (200, 250))
    draw.rounded_rectangle([900, 650, 1500, 1000], 40, fill=(170, 30, 30))  # the car
    plate = Image.new("RGB", (360, 78), (245, 245, 240))
    pd = ImageDraw.Draw(plate)
    pd.rounded_rectangle([1, 1, 358, 76], 6, outline=(20, 20, 20), width=4)
    pd.rectangle([4, 4, 32, 73], fill=(0, 51, 153))  # the blue EU band
    pd.text((18, 58), "D", font=ImageFont.load_default(size=20), fill=(255, 255, 255), anchor="mm")
    pd.text(
        (46, 40),
        "F AB 1234",
        font=ImageFont.load_default(size=56),
        fill=(10, 10, 10),
        anchor="lm",
        stroke_width=2,
        stroke_fill=(10, 10, 10),
    )
    img.paste(plate, (1020, 860))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    return out.getvalue()


def file_street_report(live_server: str, n: int) -> str:
    body = report_json(
        description=f"Gehweg kaputt, Nummer {n}", lon=INSIDE["lon"] + n * 0.0004, lat=INSIDE["lat"]
    )
    data = {k: str(v) for k, v in body.items()}
    files = [("photos", (f"IMG_{n}.jpg", street_photo(), "image/jpeg"))]
    resp = requests.post(f"{live_server}/api/v1/reports", data=data, files=files, timeout=30)
    assert resp.status_code == 201, resp.text
    return resp.json()["report"]["public_id"]


def photo_of(app, public_id: str) -> dict:
    """The report's (only) photo as plain values."""
    with app.app_context():
        report = db.session.scalars(select(Report).where(Report.public_id == public_id)).one()
        (photo,) = report.photos
        return {
            "id": photo.id,
            "state": photo.privacy_state,
            "reason": photo.privacy_reason,
            "boxes": list(photo.privacy_boxes or []),
            "storage_key": photo.storage_key,
            "original_key": photo.original_key,
        }


def run_pass(app, photo_id: int) -> str | None:
    """The worker's job for one photo."""
    with app.app_context():
        return privacy_pass(photo_id)


def events(app, public_id: str, kind: str) -> list[dict]:
    with app.app_context():
        report = db.session.scalars(select(Report).where(Report.public_id == public_id)).one()
        rows = db.session.scalars(
            select(TicketEvent).where(TicketEvent.report_id == report.id, TicketEvent.kind == kind)
        )
        return [e.data for e in rows]


def image_at(live_server: str, page, src: str) -> Image.Image:
    resp = requests.get(live_server + src, cookies=cookies(page), timeout=10)
    assert resp.ok, (src, resp.status_code)
    return Image.open(io.BytesIO(resp.content)).convert("L")


def test_moderator_sees_the_detected_boxes_removes_one_adds_one(
    app, staff, live_server, desktop_page
):
    page = desktop_page
    public_id = file_street_report(live_server, 1)
    photo = photo_of(app, public_id)
    assert photo["state"] == "pending"
    assert run_pass(app, photo["id"]) == "done"
    found = photo_of(app, public_id)
    faces = [b for b in found["boxes"] if b["kind"] == "face"]
    plates = [b for b in found["boxes"] if b["kind"] == "plate"]
    assert faces and plates, found["boxes"]
    # The first plate is dropped in the tool; the boxes are named by kind in their order.
    dropped = plates[0]
    kept_ids = {b["id"] for b in found["boxes"]} - {dropped["id"]}

    _, admin = staff.user("admin", citywide=True)
    page.set_viewport_size(LAPTOP)
    log_in(page, admin)
    nav_link(page, "Moderation").click()
    expect(heading(page, "Moderation")).to_be_visible()
    item = row(page, public_id)
    button(item, "Foto 1 schwärzen").click()
    tool = item.locator(".redact-photo")
    expect(tool).to_contain_text(
        f"{len(faces)} {'Gesicht' if len(faces) == 1 else 'Gesichter'}, "
        f"{len(plates)} Kennzeichen unkenntlich gemacht"
    )

    # The unblurred original, with the boxes drawn and named on it and listed below it.
    photo_box = item.get_by_role("group", name=re.compile(r"^Foto 1 – Bereich zum Schwärzen"))
    img = photo_box.locator("img")
    expect(img).to_have_attribute("src", re.compile(re.escape(found["original_key"])))
    expect(photo_box.locator(".box-tag")).to_have_count(len(found["boxes"]))
    face_tag = photo_box.get_by_text("Gesicht 1 · automatisch erkannt")
    expect(face_tag).to_be_visible()
    # The name sits on the face's box (its top left corner, just above it).
    shown, tag = img.bounding_box(), face_tag.bounding_box()
    scale = shown["width"] / 1600
    assert abs(tag["x"] - (shown["x"] + faces[0]["x"] * scale)) < 3, (tag, shown)
    assert abs(tag["y"] + tag["height"] - (shown["y"] + faces[0]["y"] * scale)) < 3, (tag, shown)
    listed = item.get_by_role("list", name="Bereiche, die unkenntlich gemacht werden")
    expect(listed.get_by_role("listitem")).to_have_count(len(found["boxes"]))
    expect(listed.get_by_role("listitem").first).to_contain_text("Gesicht 1 (automatisch erkannt)")
    remove = button(listed, "Kennzeichen 1 entfernen")
    size = remove.bounding_box()
    assert size["height"] >= 44 and size["width"] >= 44, size

    # Public version before: the pass's blurred file, not the original.
    public = item.get_by_role("img", name="Foto 1, öffentliche Fassung")
    before_src = public.get_attribute("src")
    assert found["storage_key"] in before_src

    # Remove the first plate by keyboard; it can be kept again and removed again.
    remove.focus()
    page.keyboard.press("Enter")
    expect(button(listed, "Kennzeichen 1 behalten")).to_be_focused()
    expect(listed.get_by_role("listitem").nth(len(faces))).to_contain_text(
        "wird beim Speichern entfernt"
    )
    expect(photo_box.locator(".box-tag")).to_have_count(len(found["boxes"]) - 1)
    button(listed, "Kennzeichen 1 behalten").click()
    expect(photo_box.locator(".box-tag")).to_have_count(len(found["boxes"]))
    button(listed, "Kennzeichen 1 entfernen").click()

    # Add one by hand in the sky, top right.
    img.scroll_into_view_if_needed()
    box = img.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.05)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.9, box["y"] + box["height"] * 0.15, steps=5)
    page.mouse.up()
    expect(item.get_by_text("1 Bereich ausgewählt")).to_be_visible()

    scan = Scanner()
    scan.check("moderation, black-out tool with detected boxes", page)

    with page.expect_response(is_api("POST", f"/photos/{photo['id']}/redact")) as sent:
        button(item, "Speichern").click()
    assert sent.value.ok, sent.value.text()
    assert sent.value.request.post_data_json["remove"] == [dropped["id"]]
    assert len(sent.value.request.post_data_json["rects"]) == 1
    expect(
        item.get_by_text("Gespeichert. Die öffentliche Fassung ist neu erstellt.")
    ).to_be_visible()

    # Stored: the plate gone, the drawn box added, the photo reviewed, a new public file.
    after = photo_of(app, public_id)
    assert after["state"] == "reviewed"
    assert after["original_key"] == found["original_key"]
    assert after["storage_key"] != found["storage_key"]
    assert {b["id"] for b in after["boxes"] if b["source"] == "auto"} == kept_ids
    (manual,) = [b for b in after["boxes"] if b["source"] == "manual"]
    assert events(app, public_id, "redacted")[-1]["removed"] == [dropped["id"]]

    # The tool shows the new public file: another URL, blacked out where the box was drawn.
    public = item.get_by_role("img", name="Foto 1, öffentliche Fassung")
    expect(public).not_to_have_attribute("src", before_src)
    new_src = public.get_attribute("src")
    assert after["storage_key"] in new_src
    rendered = image_at(live_server, page, new_src)
    centre = (manual["x"] + manual["w"] // 2, manual["y"] + manual["h"] // 2)
    assert rendered.getpixel(centre) < 30
    expect(item.locator(".redact-photo")).to_contain_text("Von der Moderation geprüft:")
    expect(item.locator(".redact-photo")).to_contain_text("1 Bereich von Hand geschwärzt")
    expect(listed.get_by_role("listitem")).to_have_count(len(after["boxes"]))
    expect(listed).to_contain_text("Geschwärzter Bereich 1 (von Hand geschwärzt)")

    # The ticket's history says what the pass found and what the moderator changed.
    item.get_by_role("link", name=f"Meldung {public_id}").click()
    expect(heading(page, f"Meldung {public_id}")).to_be_visible()
    history = page.get_by_role("list", name="Verlauf")
    expect(history).to_contain_text(
        f"Datenschutz-Prüfung – Foto 1: {len(faces)} "
        f"{'Gesicht' if len(faces) == 1 else 'Gesichter'}, {len(plates)} Kennzeichen"
    )
    expect(history).to_contain_text(
        "Foto geschwärzt – Foto 1: 1 Bereich geschwärzt, 1 Bereich nicht mehr unkenntlich"
    )
    scan.check("ticket with a reviewed photo", page)

    # In English.
    button(page, "English").click()
    history = page.get_by_role("list", name="History")
    expect(history).to_contain_text("Privacy check – Photo 1:")
    expect(history).to_contain_text("1 area blacked out, 1 area no longer unrecognisable")
    nav_link(page, "Moderation").click()
    item = page.get_by_role("article", name=f"Report {public_id}")
    button(item, "Black out photo 1").click()
    listed = item.get_by_role("list", name="Areas made unrecognisable")
    expect(listed).to_contain_text("Face 1 (detected automatically)")
    expect(button(listed, "Remove Face 1")).to_be_visible()
    expect(item.get_by_text("Face 1 · detected automatically")).to_be_visible()
    scan.check("moderation in English", page)
    scan.assert_clean()


def test_a_failed_pass_shows_its_reason_and_check_again_runs_it(
    app, staff, live_server, desktop_page
):
    page = desktop_page
    public_id = file_street_report(live_server, 2)
    photo = photo_of(app, public_id)
    # A pass that starts no more (as after interrupted runs) fails as timed out.
    app.config["PRIVACY_PASS_TRIES"] = 0
    assert run_pass(app, photo["id"]) == "failed"
    assert photo_of(app, public_id)["reason"] == "timeout"
    # Not public: the photo answers 404 to the public.
    resp = requests.get(
        f"{live_server}/media/{photo_of(app, public_id)['storage_key']}-web.jpg", timeout=10
    )
    assert resp.status_code == 404

    _, admin = staff.user("admin", citywide=True)
    page.set_viewport_size(LAPTOP)
    log_in(page, admin)
    nav_link(page, "Moderation").click()
    item = row(page, public_id)
    expect(item).to_contain_text(
        "Foto 1: Datenschutz-Prüfung fehlgeschlagen: Die automatische Prüfung auf Gesichter "
        "und Kennzeichen wurde mehrmals abgebrochen oder hat zu lange gedauert."
    )
    expect(item).to_contain_text("Das Foto bleibt unveröffentlicht, bis es jemand")
    retry = button(item, "Foto 1 erneut prüfen")
    expect(retry).to_have_text("Erneut prüfen")
    scan = Scanner()
    scan.check("moderation with a failed pass", page)

    app.config["PRIVACY_PASS_TRIES"] = 3
    with page.expect_response(is_api("POST", f"/photos/{photo['id']}/privacy-pass")) as sent:
        retry.click()
    assert sent.value.status == 202, sent.value.text()
    expect(item.get_by_text("Die Datenschutz-Prüfung läuft erneut.")).to_be_visible()
    expect(button(item, "Foto 1 erneut prüfen")).to_have_count(0)
    assert photo_of(app, public_id)["state"] == "pending"

    # The ticket shows the photo's state while the pass waits, and what it did once it ran.
    item.get_by_role("link", name=f"Meldung {public_id}").click()
    on_site = page.get_by_role("region", name="Vor Ort")
    expect(on_site).to_contain_text("Datenschutz-Prüfung läuft…")
    assert run_pass(app, photo["id"]) == "done"
    page.reload()
    on_site = page.get_by_role("region", name="Vor Ort")
    expect(on_site).to_contain_text(re.compile(r"\d+ Gesichte?r?, \d+ Kennzeichen unkenntlich"))
    history = page.get_by_role("list", name="Verlauf")
    expect(history).to_contain_text(
        "Datenschutz-Prüfung – Foto 1: fehlgeschlagen: Die Prüfung hat zu lange gedauert."
    )
    scan.check("ticket after the pass ran again", page)
    scan.assert_clean()
