"""A gunicorn worker's memory under uploads of photos that need the most decoding memory.

Run through ``benchmarks/photos.py --memory``. Linux only: the worker's peak resident size
is read from /proc (VmHWM, reset through clear_refs before each round).
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import images  # noqa: E402

TARGET_MB = 400
CONCURRENT = 3
PER_REQUEST = 5


def _progressive_444(width: int, height: int) -> bytes:
    """A noisy progressive 4:4:4 JPEG: libjpeg keeps all its coefficients (6 B/pixel)."""
    noise = Image.effect_noise((width, height), 40).convert("RGB")
    buffer = io.BytesIO()
    noise.save(buffer, "JPEG", quality=20, progressive=True, subsampling=0)
    return buffer.getvalue()


def _webp(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (width, height), (0, 0, 0, 0)).save(buffer, "WEBP", lossless=True)
    return buffer.getvalue()


def _rounds() -> list[tuple[str, str, bytes]]:
    """(name, file name, bytes) of each kind of worst-case photo: the attacks, and the largest
    photo of each kind the default per-photo memory (160 MiB) still accepts."""
    return [
        ("transparent PNG 7000x7000 (attack)", "a.png", images.transparent_png(7000, 7000)),
        ("lossless WebP 7000x7000", "b.webp", _webp(7000, 7000)),
        ("16x16 scan in a 7000x7000 JPEG frame", "c.jpg", images.short_scan_jpeg()),
        ("transparent PNG 4000x4000 (accepted)", "d.png", images.transparent_png(4000, 4000)),
        ("lossless WebP 2400x2400 (accepted)", "e.webp", _webp(2400, 2400)),
        ("progressive 4:4:4 JPEG 4000x3000", "f.jpg", _progressive_444(4000, 3000)),
        ("phone JPEG 4000x3000", "g.jpg", images.phone_jpeg(4000, 3000, 6)),
        ("iPhone HEIC 4032x3024 (grid)", "h.heic", images.heic_photo(4032, 3024, 6)),
        ("AVIF 4032x3024", "i.avif", images.avif_photo(4032, 3024, 6)),
        ("HEIC 5712x4284 (refused)", "j.heic", images.heic_photo(5712, 4284, 6)),
    ]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _status_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} for {pid}")


def _post(url: str, name: str, blob: bytes, results: list) -> None:
    files = [("photos", (f"{i}-{name}", blob)) for i in range(PER_REQUEST)]
    data = {"category": "schlagloch", "lat": "50.1005", "lon": "8.7655"}
    started = time.perf_counter()
    try:
        resp = requests.post(url, data=data, files=files, timeout=300)
        code = resp.json().get("error", {}).get("photo_error") if resp.status_code >= 400 else ""
        extra = f" Retry-After {resp.headers['Retry-After']}" if resp.status_code == 503 else ""
        results.append((f"{resp.status_code} {code or ''}{extra}".strip(), started))
    except requests.RequestException as exc:
        results.append((f"failed: {type(exc).__name__}", started))


def run() -> int:
    """Start a server, send each round, print answers and the worker's peak RSS."""
    rounds = _rounds()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        env.update(
            {
                "MAENGELMELDER_INSTANCE_PATH": tmp,
                "MAENGELMELDER_SECRET_KEY": "benchmark",
                "MAENGELMELDER_RATELIMIT_ENABLED": "false",  # memory, not rate limits
                "MAENGELMELDER_INPROCESS_JOBS": "false",
                "MAENGELMELDER_FRONTEND_DIR": str(Path(tmp) / "no-frontend"),
            }
        )
        cli = [sys.executable, "-m", "maengelmelder"]
        subprocess.run([*cli, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
        subprocess.run([*cli, "demo", "load"], env=env, cwd=ROOT, check=True, capture_output=True)
        port = _free_port()
        server = subprocess.Popen(
            [*cli, "serve", "--workers", "1", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            return _measure(server, f"http://127.0.0.1:{port}/api/v1/reports", rounds)
        finally:
            server.terminate()
            server.wait(30)


def _measure(server: subprocess.Popen, url: str, rounds: list) -> int:
    for _ in range(100):
        try:
            requests.get(url.replace("/api/v1/reports", "/healthz"), timeout=2)
            break
        except requests.RequestException:
            time.sleep(0.2)
    [worker] = _children(server.pid)
    # Warm up: imports and allocator pools of a normal photo intake.
    _post(url, "warm.jpg", images.app_jpeg(1600, 1200), [])
    base = _status_mb(worker, "VmRSS")
    print(f"worker {worker}: {base:.0f} MB resident after one ordinary upload")
    print(f"{CONCURRENT} concurrent requests x {PER_REQUEST} photos each, per kind:")
    worst = 0.0
    for name, file_name, blob in rounds:
        Path(f"/proc/{worker}/clear_refs").write_text("5")  # reset VmHWM
        results: list = []
        threads = [
            threading.Thread(target=_post, args=(url, file_name, blob, results))
            for _ in range(CONCURRENT)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        alive = worker in _children(server.pid)
        peak = _status_mb(worker, "VmHWM") if alive else float("nan")
        worst = max(worst, peak)
        answers = ", ".join(f"{n}x {a}" for a, n in Counter(r for r, _ in results).items())
        print(
            f"  {name:38} {len(blob) / 1024:6.0f} KB  peak RSS {peak:5.0f} MB  "
            f"{elapsed:5.1f} s  {answers}{'' if alive else '  WORKER GONE'}"
        )
        if not alive:
            return 1
    verdict = "within" if worst < TARGET_MB else "OVER"
    print(f"highest peak RSS {worst:.0f} MB: {verdict} the {TARGET_MB} MB target")
    return 0 if worst < TARGET_MB else 1
