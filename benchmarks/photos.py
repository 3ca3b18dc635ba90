"""Benchmark: process_photo (JPEG draft decoding) against a full-resolution baseline, and
a worker's memory under photo uploads built to need as much decoding memory as possible.

Both sides get the same 12-megapixel phone JPEG (tests/images/) and produce the same two
derivatives with the same filters and encoder settings; the baseline just decodes every
pixel first (no ``draft``). Runs are interleaved so drift affects both alike.

    .venv/bin/python benchmarks/photos.py            # 12 MP photo, 7 repetitions
    .venv/bin/python benchmarks/photos.py --quick    # smaller photo, 1 repetition (smoke test)
    .venv/bin/python benchmarks/photos.py --memory   # worker RSS under hostile uploads (Linux)

``--memory`` starts a real ``maengelmelder serve --workers 1`` (gunicorn, 4 threads) on a
fresh SQLite database and sends, for each kind of worst-case photo, 3 concurrent requests of
5 such photos each; it prints the answers and the worker's peak RSS (VmHWM, reset before
each round) against the 400 MB target, and whether the worker survived.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image, ImageOps

from maengelmelder.reports.photos import Derivative, process_photo
from tests.images import app_jpeg, phone_jpeg

WEB_LONG_SIDE = 1600
THUMB_LONG_SIDE = 320
QUALITY = 82


def _fit(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, long_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _encode(image: Image.Image) -> Derivative:
    image.info = {}
    buffer = BytesIO()
    image.save(buffer, "JPEG", quality=QUALITY, optimize=True)
    return Derivative(buffer.getvalue(), image.width, image.height)


def baseline(data: bytes) -> tuple[Derivative, Derivative]:
    """The same web and thumb derivatives, decoded at full resolution (no draft)."""
    image = Image.open(BytesIO(data), formats=["JPEG"])
    image.load()
    rgb = image.convert("RGB")
    web = rgb.resize(_fit(rgb.size, WEB_LONG_SIDE), Image.Resampling.BICUBIC, reducing_gap=3.0)
    web = ImageOps.exif_transpose(web)  # rotating the small image, as process_photo does
    thumb = web.resize(_fit(web.size, THUMB_LONG_SIDE), Image.Resampling.BICUBIC, reducing_gap=2.0)
    return _encode(web), _encode(thumb)


def optimised(data: bytes) -> tuple[Derivative, Derivative]:
    """The real pipeline."""
    result = process_photo(
        data, web_long_side=WEB_LONG_SIDE, thumb_long_side=THUMB_LONG_SIDE, quality=QUALITY
    )
    return result.web, result.thumb


def _time_ms(function: object, data: bytes) -> tuple[float, tuple[Derivative, Derivative]]:
    start = time.perf_counter()
    result = function(data)  # type: ignore[operator]
    return (time.perf_counter() - start) * 1000, result


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print median timings, speed-up and output sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run on a smaller photo")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per variant")
    parser.add_argument("--memory", action="store_true", help="worker RSS under hostile uploads")
    args = parser.parse_args(argv)
    if args.memory:
        from benchmarks.photo_memory import run

        return run()

    # The quick photo is still big enough for libjpeg to decode it at 1/2 scale.
    width, height, repeat = (3200, 2400, 1) if args.quick else (4000, 3000, args.repeat)
    data = phone_jpeg(width, height, 6)
    print(
        f"input: {width}x{height} phone JPEG (orientation 6), {len(data) / 1024:.0f} KB; "
        f"{repeat} run(s) per variant"
    )

    if not args.quick:  # warm-up: imports, plugin registration, allocator
        baseline(data)
        optimised(data)
    times, outputs = _compare(data, repeat)
    for name in ("baseline", "process_photo"):
        web, thumb = outputs[name]
        print(
            f"{name:>14}: median {statistics.median(times[name]):7.1f} ms"
            f"  (min {min(times[name]):6.1f}, max {max(times[name]):6.1f})"
            f"  web {web.width}x{web.height} {len(web.data) / 1024:6.1f} KB"
            f"  thumb {thumb.width}x{thumb.height} {len(thumb.data) / 1024:5.1f} KB"
        )
    for name in ("baseline", "process_photo"):
        web, thumb = outputs[name]
        expected = _fit((height, width), WEB_LONG_SIDE)
        if (web.width, web.height) != expected:
            print(f"error: {name} web size {web.width}x{web.height}, expected {expected}")
            return 1
    ratio = statistics.median(times["baseline"]) / statistics.median(times["process_photo"])
    print(f"speed-up: {ratio:.2f}x (target >= 2x)")

    # For information: what the citizen app uploads is kept, not encoded a second time.
    app_width, app_height = (800, 600) if args.quick else (1600, 1200)
    upload = app_jpeg(app_width, app_height)
    app_times, app_outputs = _compare(upload, repeat)
    kept = app_outputs["process_photo"][0].data
    re_encoded, step = (statistics.median(app_times[n]) for n in ("baseline", "process_photo"))
    print(
        f"the app's upload ({app_width}x{app_height}, {len(upload) / 1024:.0f} KB): re-encoded "
        f"{re_encoded:.1f} ms, process_photo {step:.1f} ms ({re_encoded / step:.2f}x; web "
        f"{'kept' if _pixels(kept) == _pixels(upload) else 're-encoded'}, "
        f"{len(kept) / 1024:.0f} KB)"
    )
    return 0


def _pixels(data: bytes) -> bytes:
    with Image.open(BytesIO(data)) as image:
        return image.tobytes()


def _compare(data: bytes, repeat: int) -> tuple[dict, dict]:
    """Baseline and pipeline on one input, interleaved so drift hits both alike."""
    times: dict[str, list[float]] = {"baseline": [], "process_photo": []}
    outputs: dict[str, tuple[Derivative, Derivative]] = {}
    for _ in range(repeat):
        for name, function in (("baseline", baseline), ("process_photo", optimised)):
            elapsed, outputs[name] = _time_ms(function, data)
            times[name].append(elapsed)
    return times, outputs


if __name__ == "__main__":
    sys.exit(main())
