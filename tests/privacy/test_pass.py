"""The privacy pass in the service: a citizen's photo with a face and a number plate is public
only blurred, its unblurred original only for staff; a failed pass keeps the photo from the
public and puts it in moderation; the moderator's review re-renders; old photos are scanned.

The test photo: scikit-image's astronaut (a real face a package ships) and a German plate drawn
with Pillow (docs/design/privacy-pass.md's renderer) on a street-grey background, 1024 × 768.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from skimage import data as skdata
from sqlalchemy import select, update

from maengelmelder.core.events import TicketEvent
from maengelmelder.core.models import Photo, Report
from maengelmelder.extensions import db
from maengelmelder.privacy import detect
from maengelmelder.privacy.jobs import retention
from tests.media import BOTH_MEDIA
from tests.passes import run_privacy_passes
from tests.reports.helpers import media_files, post_multipart

CENTRE = {"lat": 50.1005, "lon": 8.7655}
FACE_AT = (100, 100)  # where the astronaut's crop is pasted
FACE_CROP = (slice(20, 230), slice(140, 320))  # rows, columns: the face lies within
FACE = (100 + 182 - 140, 100 + 58 - 20, 88, 120)  # the face in the photo (x, y, w, h)
PLATE = (600, 500, 260, 55)


def _plate() -> Image.Image:
    """A German plate, 520 × 110 (mm = px), EU band with stars, district, seals, letters."""
    font, small = ImageFont.load_default(size=78), ImageFont.load_default(size=30)
    im = Image.new("RGB", (520, 110), (245, 245, 240))
    dr = ImageDraw.Draw(im)
    dr.rounded_rectangle([1, 1, 518, 108], radius=8, outline=(20, 20, 20), width=5)
    dr.rectangle([5, 5, 46, 104], fill=(0, 51, 153))
    for k in range(12):
        a = 2 * math.pi * k / 12
        cx, cy = 26 + 11 * math.cos(a), 32 + 11 * math.sin(a)
        dr.ellipse([cx - 2, cy - 2, cx + 2, cy + 2], fill=(255, 204, 0))
    dr.text((26, 80), "D", font=small, fill=(255, 255, 255), anchor="mm")
    ink = {"font": font, "fill": (10, 10, 10), "anchor": "lm", "stroke_width": 2}
    dr.text((58, 55), "OF", stroke_fill=(10, 10, 10), **ink)
    x = 58 + dr.textlength("OF", font=font) + 10
    dr.ellipse([x, 30, x + 22, 52], fill=(30, 110, 190))
    dr.ellipse([x, 60, x + 22, 82], fill=(200, 60, 60))
    dr.text((x + 34, 55), "MM 1234", stroke_fill=(10, 10, 10), **ink)
    return im


def astronaut() -> np.ndarray:
    """scikit-image's astronaut, read with Pillow: `skimage.data.astronaut()` goes through
    imageio, which registers pillow-heif's opener in Pillow for the whole test process."""
    with Image.open(Path(skdata.__file__).parent / "astronaut.png") as img:
        return np.asarray(img.convert("RGB"))


def street_photo() -> bytes:
    """A JPEG with a face and a plate on a textured grey background."""
    rng = np.random.default_rng(7)
    base = rng.normal(120, 12, (768, 1024, 1)).clip(0, 255)
    img = np.repeat(base, 3, axis=2).astype(np.uint8)
    face = astronaut()[FACE_CROP]
    y, x = FACE_AT[1], FACE_AT[0]
    img[y : y + face.shape[0], x : x + face.shape[1]] = face
    pil = Image.fromarray(img)
    pil.paste(_plate().resize(PLATE[2:], Image.Resampling.LANCZOS), PLATE[:2])
    out = io.BytesIO()
    pil.save(out, "JPEG", quality=92)
    return out.getvalue()


def file_report(client, category: str = "strassenlaterne") -> str:
    body = {"category": category, "description": "Laterne aus", **CENTRE}
    resp = post_multipart(client, body, [street_photo()])
    assert resp.status_code == 201, resp.json
    return resp.json["report"]["public_id"]


def image(resp) -> np.ndarray:
    assert resp.status_code == 200, resp.status_code
    with Image.open(io.BytesIO(resp.data)) as img:
        return np.asarray(img.convert("L"), dtype=float)


def detail(region: np.ndarray) -> float:
    """How much fine detail a region holds: the mean absolute step between neighbours
    (pixelation leaves steps only at the block edges)."""
    return float(np.abs(np.diff(region, axis=1)).mean() + np.abs(np.diff(region, axis=0)).mean())


def close(a: np.ndarray, b: np.ndarray) -> bool:
    """The same picture but for JPEG's re-encoding."""
    return float(np.abs(a - b).mean()) < 6


def crop(img: np.ndarray, box) -> np.ndarray:
    x, y, w, h = box
    return img[y : y + h, x : x + w]


@pytest.fixture
def crew(staff):
    return staff.client("crew", "beleuchtung")


def forget_model() -> None:
    """Drop what the detectors keep of the model per process (read, checked, nets)."""
    for value in vars(detect).values():
        if callable(getattr(value, "cache_clear", None)):
            value.cache_clear()


@pytest.fixture
def model_missing(monkeypatch, tmp_path):
    """The face model's path points where no model is (as on a server without the wheel)."""
    monkeypatch.setattr(detect, "centerface_path", lambda: tmp_path / "centerface.onnx")
    forget_model()
    yield
    monkeypatch.undo()
    forget_model()


def ticket_photo(crew, public_id: str) -> dict:
    resp = crew.get(f"/api/v1/tickets/{public_id}")
    assert resp.status_code == 200, resp.json
    [photo] = resp.json["photos"]
    return photo


def events(app, public_id: str, kind: str) -> list[dict]:
    with app.app_context():
        report_id = db.session.scalar(select(Report.id).where(Report.public_id == public_id))
        return [
            e.data
            for e in db.session.scalars(
                select(TicketEvent)
                .where(TicketEvent.report_id == report_id, TicketEvent.kind == kind)
                .order_by(TicketEvent.id)
            )
        ]


@BOTH_MEDIA
def test_a_photo_with_a_face_and_a_plate_is_public_only_blurred(app, client, crew):
    public_id = file_report(client)  # an auto-publishing category: the report is public at once
    waiting = ticket_photo(crew, public_id)
    assert waiting["privacy"] == {"state": "pending", "reason": None, "boxes": []}
    assert client.get(f"/api/v1/reports/{public_id}").json["photos"] == []
    assert client.get(waiting["url"]).status_code == 404  # not public before its pass

    assert run_privacy_passes(app) == ["done"]
    photo = ticket_photo(crew, public_id)
    assert photo["privacy"]["state"] == "done"
    kinds = sorted(b["kind"] for b in photo["privacy"]["boxes"])
    assert "face" in kinds and "plate" in kinds
    assert all(b["source"] == "auto" for b in photo["privacy"]["boxes"])
    [public] = client.get(f"/api/v1/reports/{public_id}").json["photos"]
    assert public["url"] == photo["url"]

    # Pixels, not boxes: the public image has lost the face's and the plate's detail.
    blurred = image(client.get(public["url"]))
    original = image(crew.get(photo["original_url"]))
    for box in (FACE, PLATE):
        assert detail(crop(blurred, box)) < 0.5 * detail(crop(original, box))
    far = (700, 100, 200, 150)  # the background elsewhere is left as it was
    assert close(crop(blurred, far), crop(original, far))
    thumb = image(client.get(public["thumbnail_url"]))
    assert thumb.shape[1] <= 320

    # The unblurred files: 404 to the public and to the reporter's key, staff of the ticket's
    # department get them; the other departments' staff do not.
    original_thumb = photo["original_url"].replace("-web.jpg", "-thumb.jpg")
    for url in (photo["original_url"], original_thumb):
        assert client.get(url).status_code == 404
        assert client.get(url + "?k=anything").status_code == 404
        assert crew.get(url).status_code == 200
    other = crew.application.test_client()
    assert other.get(photo["original_url"]).status_code == 404
    assert events(app, public_id, "privacy_pass")[-1]["faces"] >= 1
    assert events(app, public_id, "privacy_pass")[-1]["plates"] >= 1


@pytest.mark.parametrize(
    ("category", "department"), [("strassenlaterne", "beleuchtung"), ("schlagloch", "tiefbau")]
)
def test_the_reporters_first_links_lead_to_the_blurred_photo_never_the_original(
    app, client, staff, category, department
):
    """The links in the answer to filing name the files the pass keeps as the unblurred
    original: after the pass they lead to the blurred photo (public in an auto-publishing
    category, by a key of its own while moderation has not published it), never to the
    original, whose bytes the reporter's key does not open."""
    crew = staff.client("crew", department)
    body = {"category": category, "description": "Laterne aus", **CENTRE}
    created = post_multipart(client, body, [street_photo()]).json
    [pending] = created["report"]["photos"]
    assert client.get(pending["url"]).status_code == 200  # the reporter's own, by their key
    run_privacy_passes(app)
    photo = ticket_photo(crew, created["report"]["public_id"])
    tracked = client.get(f"/api/v1/track/{created['tracking_token']}").json
    [mine] = tracked["photos"]
    assert mine["url"].split("?")[0] == photo["url"]
    assert pending["url"].split("?")[0] == photo["original_url"]
    public = category == "strassenlaterne"
    assert ("?k=" not in mine["url"]) is public

    for field in ("url", "thumbnail_url"):
        first = client.get(pending[field])
        assert first.status_code == 302, field
        assert "no-store" in first.headers["Cache-Control"]
        assert first.headers["Location"] == mine[field]
        followed = client.get(pending[field], follow_redirects=True)
        assert followed.status_code == 200
        assert followed.data == client.get(mine[field]).data
        assert followed.data != crew.get(pending[field].split("?")[0]).data  # not the original
    blurred = image(client.get(pending["url"], follow_redirects=True))
    original = image(crew.get(photo["original_url"]))
    assert detail(crop(blurred, FACE)) < 0.5 * detail(crop(original, FACE))

    # Only the reporter's key leads on: a wrong one, another file's, none is the 404.
    web_key = pending["url"].split("?k=")[1]
    thumb_plain = pending["thumbnail_url"].split("?")[0]
    for url in (f"{thumb_plain}?k={web_key}", f"{photo['original_url']}?k={web_key[:-2]}AA"):
        assert client.get(url).status_code == 404, url
    assert client.get(photo["original_url"]).status_code == 404


def test_a_failed_pass_keeps_the_photo_unpublished_and_in_moderation(
    app, client, crew, model_missing
):
    public_id = file_report(client)
    assert run_privacy_passes(app) == ["failed"]
    photo = ticket_photo(crew, public_id)
    assert photo["privacy"]["state"] == "failed"
    assert photo["privacy"]["reason"]["de"].startswith("Das Erkennungsmodell")
    assert "model" in photo["privacy"]["reason"]["en"]
    assert photo["original_url"] is None
    seen = client.get(f"/api/v1/reports/{public_id}").json
    assert seen["published"] is True and seen["photos"] == []
    assert client.get(photo["url"]).status_code == 404
    assert events(app, public_id, "privacy_pass") == [
        {"photo_id": photo["id"], "failed": "model_missing"}
    ]
    # The moderation list holds the published report because of its photo.
    listed = crew.get("/api/v1/tickets?published=false").json["items"]
    assert public_id in [t["public_id"] for t in listed]
    assert run_privacy_passes(app) == []  # failed stays failed: no job retries it by itself

    # The moderator looks at it and blacks out the face by hand: reviewed, public.
    resp = crew.post(
        f"/api/v1/tickets/{public_id}/photos/{photo['id']}/redact",
        json={"rects": [list(FACE)]},
    )
    assert resp.status_code == 200, resp.json
    assert resp.json["privacy"]["state"] == "reviewed"
    assert resp.json["privacy"]["boxes"][0]["source"] == "manual"
    [public] = client.get(f"/api/v1/reports/{public_id}").json["photos"]
    face = crop(image(client.get(public["url"])), FACE)
    assert face[4:-4, 4:-4].max() < 40  # blacked out
    listed = crew.get("/api/v1/tickets?published=false").json["items"]
    assert public_id not in [t["public_id"] for t in listed]


def test_the_privacy_pass_endpoint_runs_it_again(app, client, crew, model_missing):
    public_id = file_report(client)
    run_privacy_passes(app)
    photo = ticket_photo(crew, public_id)
    assert photo["privacy"]["state"] == "failed"
    url = f"/api/v1/tickets/{public_id}/photos/{photo['id']}/privacy-pass"
    resp = crew.post(url)
    assert resp.status_code == 202, resp.json
    assert resp.json["privacy"]["state"] == "pending"
    assert client.get(url).status_code in (404, 405)


def test_the_pass_runs_again_once_the_model_is_back(app, client, crew, monkeypatch, tmp_path):
    monkeypatch.setattr(detect, "centerface_path", lambda: tmp_path / "centerface.onnx")
    forget_model()
    public_id = file_report(client)
    run_privacy_passes(app)
    photo = ticket_photo(crew, public_id)
    monkeypatch.undo()
    forget_model()
    resp = crew.post(f"/api/v1/tickets/{public_id}/photos/{photo['id']}/privacy-pass")
    assert resp.status_code == 202
    assert run_privacy_passes(app) == ["done"]
    assert ticket_photo(crew, public_id)["privacy"]["state"] == "done"
    assert len(client.get(f"/api/v1/reports/{public_id}").json["photos"]) == 1


@BOTH_MEDIA
def test_redact_removes_and_adds_boxes_and_renders_from_the_original(app, client, crew):
    public_id = file_report(client)
    run_privacy_passes(app)
    photo = ticket_photo(crew, public_id)
    original = image(crew.get(photo["original_url"]))
    faces = [b for b in photo["privacy"]["boxes"] if b["kind"] == "face"]
    url = f"/api/v1/tickets/{public_id}/photos/{photo['id']}/redact"
    corner = [900, 650, 60, 60]
    resp = crew.post(url, json={"rects": [corner], "remove": [b["id"] for b in faces]})
    assert resp.status_code == 200, resp.json
    after = resp.json
    assert after["privacy"]["state"] == "reviewed"
    assert after["url"] != photo["url"]  # a new name: no cache keeps the old pixels
    assert after["original_url"] == photo["original_url"]
    assert not [b for b in after["privacy"]["boxes"] if b["kind"] == "face"]
    assert next(b for b in after["privacy"]["boxes"] if b["source"] == "manual")["x"] == 900
    public = image(client.get(after["url"]))
    # The face is back as in the original (rendered from it), the plate still blurred, the
    # new box black.
    assert close(crop(public, FACE), crop(original, FACE))
    assert detail(crop(public, PLATE)) < 0.5 * detail(crop(original, PLATE))
    assert crop(public, corner)[4:-4, 4:-4].max() < 40
    assert client.get(photo["url"]).status_code == 404  # the old public files are gone
    assert events(app, public_id, "redacted")[-1] == {
        "photo_id": photo["id"],
        "rects": [corner],
        "removed": [b["id"] for b in faces],
    }
    # Unknown boxes and rects outside the image are refused.
    assert crew.post(url, json={"rects": [], "remove": [999]}).status_code == 422
    assert crew.post(url, json={"rects": [[1000, 0, 100, 10]]}).status_code == 422


def test_a_photo_from_before_the_pass_keeps_the_old_black_out(app, client, crew):
    public_id = file_report(client)
    with app.app_context():
        db.session.execute(update(Photo).values(privacy_state=None, privacy_at=None))
        db.session.commit()
    photo = ticket_photo(crew, public_id)
    assert photo["privacy"]["state"] is None and photo["original_url"] is None
    assert len(client.get(f"/api/v1/reports/{public_id}").json["photos"]) == 1  # as before
    url = f"/api/v1/tickets/{public_id}/photos/{photo['id']}/redact"
    assert crew.post(url, json={"rects": [[0, 0, 10, 10]], "remove": [1]}).status_code == 422
    resp = crew.post(url, json={"rects": [[0, 0, 10, 10]]})
    assert resp.status_code == 200, resp.json
    assert resp.json["privacy"]["state"] is None
    assert resp.json["url"] != photo["url"]


def test_scan_all_runs_the_pass_over_old_photos(app, client, crew):
    first, second = file_report(client), file_report(client, "papierkorb")
    with app.app_context():
        db.session.execute(update(Photo).values(privacy_state=None, privacy_at=None))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["privacy", "scan", "--all"])
    assert result.exit_code == 0, result.output
    de, en = result.output.strip().splitlines()[-2:]
    assert de.startswith("2 Fotos geprüft: ") and "0 fehlgeschlagen" in de
    assert en.startswith("2 photos checked: ") and "0 failed" in en
    with app.app_context():
        states = db.session.scalars(select(Photo.privacy_state)).all()
    assert states == ["done", "done"]
    assert ticket_photo(crew, first)["original_url"] is not None
    assert len(client.get(f"/api/v1/reports/{second}").json["photos"]) == 1
    again = app.test_cli_runner().invoke(args=["privacy", "scan", "--all"])
    assert again.output.strip().splitlines()[-1].startswith("0 photos checked")
    one = app.test_cli_runner().invoke(args=["privacy", "scan", first])
    assert one.exit_code == 0
    assert one.output.strip().splitlines()[-1].startswith("1 photos checked")


@BOTH_MEDIA
def test_retention_removes_the_unblurred_original_with_the_photo(
    app, client, staff, clock, media_dir
):
    crew = staff.client("crew", "tiefbau")
    body = {"category": "schlagloch", "description": "Loch", **CENTRE}  # not auto-published
    public_id = post_multipart(client, body, [street_photo()]).json["report"]["public_id"]
    run_privacy_passes(app)
    assert len(media_files(media_dir)) == 4  # public web and thumbnail, and the original's
    for to in ("resolved", "closed"):
        etag = crew.get(f"/api/v1/tickets/{public_id}").headers["ETag"]
        resp = crew.post(
            f"/api/v1/tickets/{public_id}/transition",
            json={"to": to, "public_note": "erledigt"},
            headers={"If-Match": etag},
        )
        assert resp.status_code == 200, resp.json
    clock.advance(days=91)
    with app.app_context():
        assert retention()["photos"] == 1
    assert media_files(media_dir) == []
