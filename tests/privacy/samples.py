"""A labelled, synthetic test set for the privacy pass (faces and German number plates).

Everything is made here from what installed packages ship, seeded, so every run sees the same
pixels; nothing is downloaded. The images are synthetic: real faces (scikit-image's
`astronaut`, the cameraman of `camera` and the 100 face crops of `lfw_subset`) scaled and
pasted onto street-like backgrounds, and German plates drawn with Pillow (its bundled font)
onto cars in drawn street scenes. They stand in for photos; they are not photos.

- `face_samples()`: 8 images of 1600 × 1200 (the web size), each with 12 faces, one per height
  of `FACE_HEIGHTS` (12–120 px), about half of them mirrored, with some context around the big
  crops, over brick, grass, gravel (scikit-image) or a drawn street scene, then blurred a
  little, noised and JPEG-compressed.
- `plate_samples()`: 8 street scenes of 1600 × 1200 with 4 plates each, 80–260 px wide,
  rotated ±5°, foreshortened a little; half of the scenes put a shadow over part of them.
- `clean_samples()`: 16 images with no face and no plate: 10 of scikit-image's shipped images
  (a cat, a coffee cup, a rocket, a motorcycle, text, coins …) and 6 drawn street scenes with
  shop signs, blue road signs and cars, for false alarms.

Building all 32 images takes a few seconds (3–7 s on the shared 2-core machine); they are built
once per process (`functools.cache`).

scikit-image's shipped files are read here with Pillow (`shipped`), not through `skimage.data`:
its loaders go through imageio, whose Pillow plugin registers pillow-heif's HEIF and AVIF
openers in Pillow for the whole process, and the photo pipeline's tests check that nothing
does (tests/reports/test_photo_heif.py).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont
from skimage import data
from skimage.color import rgb2gray, rgba2rgb
from skimage.util import img_as_bool, img_as_ubyte

WIDTH, HEIGHT = 1600, 1200
FACE_HEIGHTS = (12, 16, 20, 24, 28, 32, 40, 48, 64, 80, 96, 120)
PLATE_WIDTHS = (80, 260)

# Faces labelled by hand in scikit-image's images: (x1, y1, x2, y2), ear to ear, brow to chin.
ASTRONAUT_FACE = (178, 68, 270, 182)
CAMERAMAN_FACE = (200, 115, 260, 198)  # three-quarter view, the camera covers one cheek


@dataclass(frozen=True)
class Truth:
    """One labelled face or plate: its outline as a polygon in image pixels."""

    kind: str  # "face" or "plate"
    polygon: tuple[tuple[float, float], ...]
    size: float  # a face's height, a plate's width (px)
    source: str  # where the face comes from; "synthetic" for plates

    def mask(self, shape: tuple[int, int]) -> np.ndarray:
        out = np.zeros(shape, np.uint8)
        cv2.fillPoly(out, [np.round(np.array(self.polygon)).astype(np.int32)], 1)
        return out.astype(bool)

    def bounds(self) -> tuple[int, int, int, int]:
        """(x, y, w, h) of the polygon's bounding rectangle."""
        pts = np.array(self.polygon)
        x1, y1 = np.floor(pts.min(0)).astype(int)
        x2, y2 = np.ceil(pts.max(0)).astype(int)
        return int(x1), int(y1), int(x2 - x1), int(y2 - y1)


@dataclass(frozen=True)
class Sample:
    name: str
    rgb: np.ndarray  # HEIGHT × WIDTH × 3, uint8
    truths: tuple[Truth, ...]


def shipped(filename: str, as_gray: bool = False) -> np.ndarray:
    """One of scikit-image's shipped images by its file name, the same array as its
    `skimage.data` loader reads (palette images as RGB(A), `as_gray` as its float grey)."""
    with Image.open(Path(data.__file__).parent / filename) as img:
        if img.mode == "P":
            img = img.convert("RGBA" if "transparency" in img.info else "RGB")
        pixels = np.asarray(img)
    if as_gray and pixels.ndim == 3:
        return rgb2gray(rgba2rgb(pixels) if pixels.shape[2] == 4 else pixels)
    return pixels


def all_samples() -> tuple[Sample, ...]:
    return face_samples() + plate_samples() + clean_samples()


# ---------------------------------------------------------------- faces
@functools.cache
def face_samples() -> tuple[Sample, ...]:
    rng = np.random.default_rng(24)
    sources = _face_sources()
    lfw = _lfw_faces()
    out = []
    for i in range(8):
        background = _background(rng, i % 4)
        truths = []
        heights = list(FACE_HEIGHTS)
        rng.shuffle(heights)
        for slot, face_h in enumerate(heights):
            cell_x, cell_y = (slot % 4) * 400, (slot // 4) * 400
            # The two portraits at every size; LFW's 25-px crops up to twice their size.
            choice = (i + slot) % 3
            if choice == 2 and face_h <= 48:
                index = int(rng.integers(len(lfw)))
                crop = lfw[index]
                face = (0, 0, crop.shape[1], crop.shape[0])
                source = f"lfw {index}"
            else:
                name = ("astronaut", "camera")[(i + slot) % 2]
                crop, face = sources[name]
                source = name
            truths.append(_paste_face(background, rng, crop, face, face_h, cell_x, cell_y, source))
        out.append(Sample(f"faces-{i}", _photographic(background, rng), tuple(truths)))
    return tuple(out)


def _face_sources() -> dict[str, tuple[np.ndarray, tuple[int, int, int, int]]]:
    camera = np.stack([shipped("camera.png")] * 3, axis=-1)
    astronaut = shipped("astronaut.png")
    return {"astronaut": (astronaut, ASTRONAUT_FACE), "camera": (camera, CAMERAMAN_FACE)}


def _lfw_faces() -> list[np.ndarray]:
    # lfw_subset(): 100 face crops (25 × 25, grey, 0..1), then 100 crops without faces.
    crops = (data.lfw_subset()[:100] * 255).round().astype(np.uint8)
    return [np.stack([c] * 3, axis=-1) for c in crops]


def _paste_face(canvas, rng, image, face, face_h, cell_x, cell_y, source) -> Truth:
    x1, y1, x2, y2 = face
    scale = face_h / (y2 - y1)
    # Context around the face (hair, collar) where the source has it, up to 60 % each side.
    margin = 0.6 * (y2 - y1)
    cx1, cy1 = max(0, int(x1 - margin)), max(0, int(y1 - margin))
    cx2 = min(image.shape[1], int(x2 + margin))
    cy2 = min(image.shape[0], int(y2 + margin))
    crop = image[cy1:cy2, cx1:cx2]
    mirrored = bool(rng.integers(2))
    if mirrored:
        crop = crop[:, ::-1]
        fx1 = (cx2 - x2) * scale
    else:
        fx1 = (x1 - cx1) * scale
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    crop = cv2.resize(np.ascontiguousarray(crop), size, interpolation=interp)
    ch, cw = crop.shape[:2]
    ox = cell_x + int(rng.integers(10, max(11, 400 - cw - 10)))
    oy = cell_y + int(rng.integers(10, max(11, 400 - ch - 10)))
    canvas[oy : oy + ch, ox : ox + cw] = crop
    fx, fy = ox + fx1, oy + (y1 - cy1) * scale
    fw, fh = (x2 - x1) * scale, (y2 - y1) * scale
    polygon = ((fx, fy), (fx + fw, fy), (fx + fw, fy + fh), (fx, fy + fh))
    return Truth("face", polygon, float(face_h), source + (" mirrored" if mirrored else ""))


def _background(rng, kind: int) -> np.ndarray:
    """Street-like ground: scikit-image's brick, grass or gravel, tinted, or a drawn scene."""
    if kind == 3:
        return street_scene(rng, cars=True)
    texture = shipped(("brick.png", "grass.png", "gravel.png")[kind], as_gray=True)
    tiled = np.block([[texture, texture[:, ::-1]], [texture[::-1], texture[::-1, ::-1]]])
    tiled = np.tile(tiled, (2, 2))[:HEIGHT, :WIDTH].astype(np.float32)
    tint = rng.uniform(0.75, 1.1, 3).astype(np.float32)
    return np.clip(tiled[..., None] * tint, 0, 255).astype(np.uint8)


def _photographic(img: np.ndarray, rng) -> np.ndarray:
    """A little blur, exposure, sensor noise and JPEG compression, as a phone photo has."""
    sigma = rng.uniform(0.3, 1.0)
    img = cv2.GaussianBlur(img, (0, 0), sigma)
    img = img.astype(np.float32) * np.float32(rng.uniform(0.8, 1.1))
    img += np.float32(rng.uniform(-15, 15))
    dy, dx = (int(v) for v in rng.integers(0, 64, 2))
    img += _noise()[dy : dy + img.shape[0], dx : dx + img.shape[1]]  # sensor noise, σ = 3
    img = np.clip(img, 0, 255).astype(np.uint8)
    ok, encoded = cv2.imencode(".jpg", img[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 82])
    assert ok
    return np.ascontiguousarray(cv2.imdecode(encoded, cv2.IMREAD_COLOR)[..., ::-1])


@functools.cache
def _noise() -> np.ndarray:
    """One field of Gaussian noise, each image a shifted window of it (drawing is slow)."""
    rng = np.random.default_rng(1)
    return (rng.standard_normal((HEIGHT + 64, WIDTH + 64, 3), dtype=np.float32) * 3).round()


# ---------------------------------------------------------------- plates
FONT = ImageFont.load_default(size=78)
SMALL = ImageFont.load_default(size=30)
LETTERS = "ABCDEFGHIJKLMNOPRSTUVWXYZ"


def render_plate(rng) -> np.ndarray:
    """A synthetic German plate, 520 × 110 px for 520 × 110 mm, EU band 40 mm."""
    w, h = 520, 110
    im = Image.new("RGB", (w, h), (245, 245, 240))
    dr = ImageDraw.Draw(im)
    dr.rounded_rectangle([1, 1, w - 2, h - 2], radius=8, outline=(20, 20, 20), width=5)
    dr.rectangle([5, 5, 46, h - 6], fill=(0, 51, 153))  # EU band
    for k in range(12):  # stars
        a = 2 * math.pi * k / 12
        cx, cy = 26 + 11 * math.cos(a), 32 + 11 * math.sin(a)
        dr.ellipse([cx - 2, cy - 2, cx + 2, cy + 2], fill=(255, 204, 0))
    dr.text((26, 80), "D", font=SMALL, fill=(255, 255, 255), anchor="mm")
    district = "".join(rng.choice(list(LETTERS), rng.integers(1, 4)))
    letters = "".join(rng.choice(list(LETTERS), rng.integers(1, 3)))
    number = str(rng.integers(1, 10000))
    text = {"font": FONT, "fill": (10, 10, 10), "anchor": "lm", "stroke_width": 2}
    x = 58
    dr.text((x, 55), district, stroke_fill=(10, 10, 10), **text)
    x += dr.textlength(district, font=FONT) + 10
    dr.ellipse([x, 30, x + 22, 52], fill=(30, 110, 190))  # inspection sticker
    dr.ellipse([x, 60, x + 22, 82], fill=(200, 60, 60))  # district seal
    x += 34
    dr.text((x, 55), f"{letters} {number}", stroke_fill=(10, 10, 10), **text)
    plate = np.array(im)
    if x + dr.textlength(f"{letters} {number}", font=FONT) > w - 8:  # too long: squeeze
        plate = _squeeze(im, dr, district, letters, number)
    return plate


def _squeeze(im, dr, district, letters, number) -> np.ndarray:
    """Long registrations drawn narrower, as the real (narrow) FE font is."""
    text = Image.new("RGB", (900, 110), (245, 245, 240))
    tdr = ImageDraw.Draw(text)
    tdr.text((0, 55), f"{district} {letters} {number}", font=FONT, fill=(10, 10, 10), anchor="lm")
    used = int(tdr.textlength(f"{district} {letters} {number}", font=FONT)) + 4
    squeezed = text.crop((0, 0, used, 110)).resize((450, 110))
    base = im.copy()
    ImageDraw.Draw(base).rectangle([52, 10, 512, 100], fill=(245, 245, 240))
    base.paste(squeezed.crop((0, 12, 450, 98)), (58, 12))
    return np.array(base)


def street_scene(rng, cars: bool = True) -> np.ndarray:
    """A drawn street: sky, facades with windows, asphalt, blue road signs with a white
    symbol, black-on-white shop signs and (optionally) cars as coloured boxes."""
    w, h = WIDTH, HEIGHT
    img = np.zeros((h, w, 3), np.float32)
    horizon = int(rng.integers(h // 4, h // 2))
    img[:horizon] = np.linspace([150, 180, 220], [200, 210, 225], horizon)[:, None, :]
    asphalt = rng.standard_normal((h - horizon, w, 1), dtype=np.float32) * 14
    img[horizon:] = rng.integers(70, 130) + asphalt
    x = 0
    while x < w:  # facades
        bw = int(rng.integers(180, 450))
        top = int(rng.integers(20, horizon))
        img[top:horizon, x : x + bw] = rng.integers(90, 230, 3)
        for wy in range(top + 22, horizon - 45, 75):
            for wx in range(x + 18, x + bw - 45, 68):
                img[wy : wy + 45, wx : wx + 33] = rng.integers(30, 250)
        x += bw
    for _ in range(int(rng.integers(1, 4))):  # blue road signs with a white symbol
        s = int(rng.integers(40, 120))
        sx, sy = int(rng.integers(0, w - s)), int(rng.integers(0, h - s))
        img[sy : sy + s, sx : sx + s] = (20, 70, 170)
        img[sy + s // 4 : sy + 3 * s // 4, sx + s // 3 : sx + 2 * s // 3] = 245
    pil = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    dr = ImageDraw.Draw(pil)
    for _ in range(int(rng.integers(1, 3))):  # shop signs: black text on white
        size = int(rng.integers(20, 60))
        sx, sy = int(rng.integers(0, w - 450)), int(rng.integers(0, h - 90))
        font = ImageFont.load_default(size=size)
        text = "".join(rng.choice(list("BÄCKEREI APOTHEKE KIOSK 24h"), rng.integers(5, 12)))
        tw = dr.textlength(text, font=font)
        dr.rectangle([sx, sy, sx + tw + 14, sy + size + 12], fill=(240, 240, 235))
        dr.text((sx + 7, sy + 6), text, font=font, fill=(15, 15, 15))
    for _ in range(int(rng.integers(0, 3)) if cars else 0):  # cars without plates in view
        cx, cy = int(rng.integers(0, w - 300)), int(rng.integers(horizon, h - 150))
        dr.rounded_rectangle(
            [cx, cy, cx + int(rng.integers(220, 600)), cy + int(rng.integers(120, 300))],
            30,
            fill=tuple(int(v) for v in rng.integers(0, 255, 3)),
        )
    return np.array(pil)


def _paste_plate(img, rng, width, taken) -> Truth:
    """A plate on a car's rear (a coloured box), rotated ±5°, slightly foreshortened."""
    h_img, w_img = img.shape[:2]
    plate = render_plate(rng)
    height = width * 110 / 520
    angle = math.radians(rng.uniform(-5, 5))
    yaw = rng.uniform(0.85, 1.0)  # seen a little from the side
    key = rng.uniform(-0.06, 0.06)  # and a little from above or below
    w2 = width * yaw
    pts = np.array(
        [
            [-w2 / 2, -height / 2 * (1 + key)],
            [w2 / 2, -height / 2 * (1 - key)],
            [w2 / 2, height / 2 * (1 - key)],
            [-w2 / 2, height / 2 * (1 + key)],
        ]
    )
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    base = pts @ rot.T
    for _try in range(100):  # no car may cover another car's plate
        cx = rng.uniform(w2 + 20, w_img - w2 - 20)
        cy = rng.uniform(h_img * 0.35, h_img - 2 * height - 20)
        pts = base + np.array([cx, cy])
        bx1, by1 = pts.min(0) - np.array([width * 0.7, height * 2.0])
        bx2, by2 = pts.max(0) + np.array([width * 0.7, height * 1.0])
        if not any(bx1 < t[2] and bx2 > t[0] and by1 < t[3] and by2 > t[1] for t in taken):
            break
    taken.append((bx1, by1, bx2, by2))
    colour = tuple(int(c) for c in rng.integers(0, 255, 3))
    cv2.rectangle(img, (int(bx1), int(by1)), (int(bx2), int(by2)), colour, -1)
    matrix = cv2.getPerspectiveTransform(
        np.float32([[0, 0], [520, 0], [520, 110], [0, 110]]), np.float32(pts)
    )
    warped = cv2.warpPerspective(plate, matrix, (w_img, h_img), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.full((110, 520), 255, np.uint8), matrix, (w_img, h_img)) > 127
    img[mask] = warped[mask]
    return Truth("plate", tuple(map(tuple, pts.tolist())), float(width), "synthetic")


def _shadow(img, rng) -> np.ndarray:
    """A soft-edged shadow (a building's or a tree's) darkening part of the lower image."""
    h, w = img.shape[:2]
    mask = np.zeros((h // 8, w // 8), np.float32)  # drawn small: its edges are soft anyway
    x1, x2 = sorted(rng.integers(0, w // 8, 2))
    mask[int(h * 0.3 / 8) :, x1 : max(x2, x1 + w // 24)] = 1
    mask = cv2.resize(cv2.GaussianBlur(mask, (0, 0), 3), (w, h), interpolation=cv2.INTER_LINEAR)
    light = 1 - (1 - rng.uniform(0.45, 0.65)) * mask  # 45–65 % of the light in the shadow
    return np.clip(img * light[..., None], 0, 255).astype(np.uint8)


@functools.cache
def plate_samples() -> tuple[Sample, ...]:
    rng = np.random.default_rng(25)
    out = []
    for i in range(8):
        img = street_scene(rng, cars=False)
        taken: list[tuple[float, float, float, float]] = []
        widths = sorted(rng.uniform(*PLATE_WIDTHS, 4), reverse=True)
        truths = tuple(_paste_plate(img, rng, float(w), taken) for w in widths)
        if i % 2:
            img = _shadow(img, rng)
        out.append(Sample(f"plates-{i}", _photographic(img, rng), truths))
    return tuple(out)


# ---------------------------------------------------------------- clean images
# scikit-image's images by the name of their `skimage.data` loader, read as it reads them.
CLEAN_SHIPPED: dict[str, Callable[[], np.ndarray]] = {
    "chelsea": lambda: shipped("chelsea.png"),
    "coffee": lambda: shipped("coffee.png"),
    "rocket": lambda: shipped("rocket.jpg"),
    "stereo_motorcycle": lambda: shipped("motorcycle_left.png"),  # its left view
    "horse": lambda: img_as_bool(shipped("horse.png", as_gray=True)),
    "coins": lambda: shipped("coins.png"),
    "page": lambda: shipped("page.png"),
    "text": lambda: shipped("text.png"),
    "hubble_deep_field": lambda: shipped("hubble_deep_field.jpg"),
    "immunohistochemistry": lambda: shipped("ihc.png"),
}


@functools.cache
def clean_samples() -> tuple[Sample, ...]:
    rng = np.random.default_rng(26)
    out = []
    for name, load in CLEAN_SHIPPED.items():
        img = load()
        if img.ndim == 2:
            img = np.stack([img] * 3, axis=-1)
        img = np.ascontiguousarray(img_as_ubyte(img[..., :3]))
        img = cv2.resize(img, (WIDTH, HEIGHT), interpolation=cv2.INTER_CUBIC)
        out.append(Sample(f"clean-{name}", _photographic(img, rng), ()))
    for i in range(6):
        out.append(Sample(f"clean-street-{i}", _photographic(street_scene(rng), rng), ()))
    return tuple(out)


# ---------------------------------------------------------------- scoring
FOUND = 0.7  # a truth is found when the enlarged boxes of its kind cover 70 % of its pixels


def coverage(truth: Truth, rects, shape: tuple[int, int]) -> float:
    """The share of the truth's pixels inside the union of the rects (x, y, w, h)."""
    x, y, w, h = truth.bounds()
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(shape[1], x + w + 1), min(shape[0], y + h + 1)
    mask = truth.mask(shape)[y0:y1, x0:x1]
    inside = np.zeros_like(mask)
    for rx, ry, rw, rh in rects:
        inside[max(0, ry - y0) : max(0, ry + rh - y0), max(0, rx - x0) : max(0, rx + rw - x0)] = (
            True
        )
    return float((mask & inside).sum() / max(1, mask.sum()))


def false_boxes(sample: Sample, rects) -> int:
    """Boxes (x, y, w, h) touching no labelled face or plate."""
    bounds = [t.bounds() for t in sample.truths]
    return sum(
        not any(
            rx < bx + bw and bx < rx + rw and ry < by + bh and by < ry + rh
            for bx, by, bw, bh in bounds
        )
        for rx, ry, rw, rh in rects
    )
