"""First-screen weight of the citizen app as the app serves it, against the 120 KB budget.

Every file the citizen page loads before it reads the API (the page, its scripts and
stylesheets, the icon and manifest, the service worker) is asked from the app itself (its
WSGI stack, WhiteNoise included) once per encoding a browser may accept: brotli, gzip and
none. The sums are the bodies as sent. Headers and the API's answers (city, categories, the
map's reports) are what the browser test adds on top
(tests/e2e/test_citizen_wire.py, which runs `maengelmelder serve` and counts what Chromium
received).

Baseline in the same run: Leaflet alone (its JS and CSS from node_modules, compressed the
same way), so the figure reads as "the whole app costs N × a bare map library". Run after
`make frontend`.
"""

from __future__ import annotations

import gzip
import re
import sys
import tempfile
from pathlib import Path

import brotli

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "maengelmelder" / "static" / "app"
LEAFLET = ROOT / "frontend" / "node_modules" / "leaflet" / "dist"
BUDGET_KB = 120
ENCODINGS = {"br": "br", "gzip": "gzip, deflate", "none": "identity"}


def first_screen_paths() -> list[str]:
    """The page, and every file its head names (scripts, styles, icon, manifest), and the
    service worker it registers."""
    html = (APP / "index.html").read_text(encoding="utf-8")
    refs = re.findall(r'(?:src|href)="(/static/app/[^"]+)"', html)
    return ["/", *dict.fromkeys(refs), "/sw.js"]


def served_sizes(paths: list[str]) -> dict[str, dict[str, int]]:
    """Bytes of each answer's body as the app sends it, per accepted encoding."""
    sys.path.insert(0, str(ROOT))
    from maengelmelder.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/unused.db",
                "INSTANCE_PATH": tmp,
                "SECRET_KEY": "budget",
                "FRONTEND_DIR": str(APP),
            }
        )
        client = app.test_client()
        sizes: dict[str, dict[str, int]] = {}
        for path in paths:
            sizes[path] = {}
            for name, accept in ENCODINGS.items():
                resp = client.get(path, headers={"Accept-Encoding": accept})
                if resp.status_code != 200:
                    raise SystemExit(f"{path}: {resp.status_code}")
                sent = resp.headers.get("Content-Encoding", "none")
                if sent != name:
                    print(f"  note: {path} asked as {name}, sent as {sent}")
                sizes[path][name] = len(resp.data)
        return sizes


def leaflet_kb() -> dict[str, float]:
    data = (LEAFLET / "leaflet.js").read_bytes() + (LEAFLET / "leaflet.css").read_bytes()
    return {
        "br": len(brotli.compress(data, quality=11)) / 1024,
        "gzip": len(gzip.compress(data, compresslevel=9)) / 1024,
    }


def main() -> int:
    if not (APP / "index.html").exists():
        print("build the app first: make frontend", file=sys.stderr)
        return 2
    sizes = served_sizes(first_screen_paths())
    print(f"{'file':<45} {'brotli':>8} {'gzip':>8} {'none':>8}  (KB as served)")
    totals = dict.fromkeys(ENCODINGS, 0.0)
    for path, by in sizes.items():
        print(f"{path:<45} " + " ".join(f"{by[n] / 1024:>8.1f}" for n in ENCODINGS))
        for name in ENCODINGS:
            totals[name] += by[name] / 1024
    print(
        f"{'first screen, before the API':<45} " + " ".join(f"{totals[n]:>8.1f}" for n in ENCODINGS)
    )
    print(
        f"first screen's files as Chromium gets them (brotli): {totals['br']:.1f} KB; "
        f"the budget, {BUDGET_KB} KB, also holds the headers and the API's answers"
    )
    if LEAFLET.exists():
        leaflet = leaflet_kb()
        print(
            f"baseline, Leaflet alone: {leaflet['br']:.1f} KB brotli, {leaflet['gzip']:.1f} KB "
            f"gzipped; ratio app/Leaflet {totals['br'] / leaflet['br']:.2f} (brotli), "
            f"{totals['gzip'] / leaflet['gzip']:.2f} (gzip)"
        )
    return 0 if totals["br"] <= BUDGET_KB else 1


if __name__ == "__main__":
    sys.exit(main())
