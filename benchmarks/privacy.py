"""Benchmark: the privacy pass (faces and plates found, boxes pixelated) against the photo step
itself, on one core, in the same run; the worker's throughput on a storm day; peak memory.

The images are the synthetic labelled set of the tests (tests/privacy/samples.py: pasted real
faces, drawn German plates, clean images), 1600 × 1200 as the stored web image is. For each
image, interleaved:

- the pass as the worker runs it: decode the stored web JPEG, `detect`, `enlarge` and
  `pixelate` the boxes, encode the public web and thumbnail JPEGs;
- the photo step (`process_photo`) on the same image as a 1600 × 1200 JPEG (what the citizen
  app uploads) and on a 12-megapixel phone JPEG (tests/images).

CPU time (`time.process_time`), OpenCV on one thread. Then the storm: 10 photo reports a
second for 10 minutes, one photo each, against workers of 1, 2 and 4 cores; and the peak
memory (VmHWM) of a fresh process running the pass once.

    .venv/bin/python benchmarks/privacy.py            # 8 images, 3 rounds
    .venv/bin/python benchmarks/privacy.py --quick    # 3 images, 1 round (smoke test)
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cv2
import numpy as np
from PIL import Image

from maengelmelder.privacy import detect
from maengelmelder.reports.photos import process_photo
from tests.images import phone_jpeg
from tests.privacy import samples

STORM_RATE = 10.0  # photo reports per second (the storm-day rate, one photo each)
STORM_SECONDS = 600


def _jpeg(rgb: np.ndarray, quality: int = 82) -> bytes:
    buffer = BytesIO()
    Image.fromarray(rgb).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def privacy_pass(web_jpeg: bytes) -> tuple[bytes, bytes, list[detect.Box]]:
    """What the worker does with a stored web image: find, pixelate, re-encode web and thumb."""
    rgb = np.asarray(Image.open(BytesIO(web_jpeg)).convert("RGB"))
    boxes = detect.detect(rgb)
    height, width = rgb.shape[:2]
    rects = [detect.enlarge((b.x, b.y, b.w, b.h), width, height) for b in boxes]
    public = Image.fromarray(detect.pixelate(rgb, rects))
    web = BytesIO()
    public.save(web, "JPEG", quality=82, optimize=True)
    thumb = public.resize((320, 240), Image.Resampling.BICUBIC, reducing_gap=2.0)
    small = BytesIO()
    thumb.save(small, "JPEG", quality=82, optimize=True)
    return web.getvalue(), small.getvalue(), boxes


def _cpu(function, *args) -> float:
    start = time.process_time()
    function(*args)
    return (time.process_time() - start) * 1000


def _parts(rgb: np.ndarray) -> tuple[float, float]:
    """CPU ms of the face net and of the plate heuristics alone."""
    return _cpu(detect.detect_faces, rgb), _cpu(detect.detect_plates, rgb)


def timings(images: list[samples.Sample], rounds: int) -> dict[str, list[float]]:
    phone = phone_jpeg(4000, 3000, 6)
    web_jpegs = [_jpeg(s.rgb) for s in images]
    privacy_pass(web_jpegs[0])  # warm up: the net is built, the decoders loaded
    process_photo(phone)
    times: dict[str, list[float]] = {
        k: [] for k in ("pass", "faces", "plates", "photo 1600", "photo 12 MP")
    }
    for _round in range(rounds):
        for sample, data in zip(images, web_jpegs, strict=True):
            times["photo 1600"].append(_cpu(process_photo, data))
            times["pass"].append(_cpu(privacy_pass, data))
            times["photo 12 MP"].append(_cpu(process_photo, phone))
            faces, plates = _parts(sample.rgb)
            times["faces"].append(faces)
            times["plates"].append(plates)
    return times


def storm(pass_seconds: float) -> None:
    arrived = STORM_RATE * STORM_SECONDS
    print(
        f"\nstorm: {STORM_RATE:.0f} photo reports/s for {STORM_SECONDS // 60} minutes "
        f"= {arrived:.0f} photos; one core passes {1 / pass_seconds:.2f} photos/s"
    )
    for cores in (1, 2, 4):
        rate = cores / pass_seconds
        backlog = max(0.0, arrived - rate * STORM_SECONDS)
        if not backlog:
            print(f"  {cores} worker core(s): {rate:.2f} photos/s, keeps up")
            continue
        catch_up = backlog / rate
        print(
            f"  {cores} worker core(s): {rate:.2f} photos/s; {backlog:.0f} photos waiting "
            f"when the storm ends ({backlog / arrived:.0%} of them), the queue empty "
            f"{catch_up / 60:.0f} min later if no more come; the last storm photo waits "
            f"{catch_up / 60:.0f} min"
        )
    print(f"  cores to keep up: {STORM_RATE * pass_seconds:.1f}")


_MEMORY_CHILD = """
import sys, resource
sys.path.insert(0, {root!r})
import numpy as np, cv2
from maengelmelder.privacy import detect
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) / 1024
before = hwm()
rgb = np.zeros((1200, 1600, 3), np.uint8)
rgb[:] = (120, 110, 100)
detect.detect(rgb)
print(before, hwm())
"""


def memory() -> None:
    root = str(Path(__file__).resolve().parents[1])
    out = subprocess.run(
        [sys.executable, "-c", _MEMORY_CHILD.format(root=root)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    before, after = (float(v) for v in out)
    print(
        f"\npeak memory (VmHWM) of a fresh process: {before:.0f} MB after the imports, "
        f"{after:.0f} MB after one pass over a 1600 × 1200 image"
    )


def detection(images: list[samples.Sample]) -> None:
    """What the pass finds on the whole labelled set (synthetic), by kind and size."""
    faces: dict[int, list[int]] = {}
    plates = {"80-99 px": [0, 0], "100-260 px": [0, 0]}
    false = {"faces": 0, "plates": 0, "clean": 0}
    for sample in images:
        boxes = detect.detect(sample.rgb)
        height, width = sample.rgb.shape[:2]
        rects = {
            kind: [
                detect.enlarge((b.x, b.y, b.w, b.h), width, height) for b in boxes if b.kind == kind
            ]
            for kind in ("face", "plate")
        }
        for truth in sample.truths:
            found = samples.coverage(truth, rects[truth.kind], (height, width)) >= samples.FOUND
            if truth.kind == "face":
                row = faces.setdefault(int(truth.size), [0, 0])
            else:
                row = plates["80-99 px" if truth.size < 100 else "100-260 px"]
            row[0] += found
            row[1] += 1
        false[sample.name.split("-")[0]] += samples.false_boxes(
            sample, rects["face"] + rects["plate"]
        )
    print("\nfound on the synthetic labelled set (found = enlarged boxes cover ≥ 70 %):")
    print(
        "  faces by height: " + ", ".join(f"{h} px {f}/{n}" for h, (f, n) in sorted(faces.items()))
    )
    big = [v for h, v in faces.items() if h >= 24]
    found, total = sum(v[0] for v in big), sum(v[1] for v in big)
    print(f"  faces from 24 px: {found}/{total} = {found / total:.0%} (target ≥ 90 %)")
    for label, (f, n) in plates.items():
        print(f"  plates {label}: {f}/{n} = {f / max(1, n):.0%} (target from 100 px ≥ 75 %)")
    counts = {k: sum(1 for s in images if s.name.startswith(k)) for k in false}
    print(
        "  false boxes per image: "
        + ", ".join(f"{k} {v / max(1, counts[k]):.2f}" for k, v in false.items())
        + " (target on clean images ≤ 1)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 images, 1 round")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    faces, plates, clean = samples.face_samples(), samples.plate_samples(), samples.clean_samples()
    if args.quick:
        images, rounds = [faces[0], plates[0], clean[-1]], 1
    else:
        images, rounds = [*faces[:3], *plates[:3], clean[0], clean[-1]], 3
    times = timings(images, rounds)
    median = {k: statistics.median(v) for k, v in times.items()}
    print(f"CPU time per 1600 × 1200 photo, one core, median of {len(times['pass'])}:")
    for name in ("photo 1600", "photo 12 MP", "pass", "faces", "plates"):
        print(f"  {name:12s} {median[name]:8.1f} ms")
    for step in ("photo 1600", "photo 12 MP"):
        ratio = median["pass"] / median[step]
        verdict = "met" if ratio <= 3 else "missed"
        print(f"  pass / {step}: {ratio:.1f}x (target ≤ 3x: {verdict})")
    storm(median["pass"] / 1000)
    memory()
    detection(list(samples.all_samples()) if not args.quick else images)


if __name__ == "__main__":
    main()
