"""First-screen weight of the citizen app, gzipped, against the 120 KB budget.

Baseline in the same run: Leaflet alone (its JS and CSS from node_modules), so the figure
reads as "the whole app costs N × a bare map library". Run after `make frontend`.
"""

from __future__ import annotations

import gzip
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "maengelmelder" / "static" / "app"
LEAFLET = ROOT / "frontend" / "node_modules" / "leaflet" / "dist"
BUDGET_KB = 120


def gz_kb(path: Path) -> float:
    return len(gzip.compress(path.read_bytes(), compresslevel=9)) / 1024


def first_screen_files() -> list[Path]:
    """Every script and stylesheet index.html loads (what the first screen needs)."""
    html = (APP / "index.html").read_text(encoding="utf-8")
    refs = re.findall(r'(?:src|href)="/static/app/([^"]+\.(?:js|css))"', html)
    return [APP / ref for ref in refs]


def main() -> int:
    if not (APP / "index.html").exists():
        print("build the app first: make frontend", file=sys.stderr)
        return 2
    files = first_screen_files()
    total = 0.0
    for path in files:
        size = gz_kb(path)
        total += size
        print(f"{path.relative_to(APP)}: {size:.1f} KB gzipped")
    print(f"first screen: {total:.1f} KB gzipped (budget {BUDGET_KB} KB)")
    if LEAFLET.exists():
        leaflet = gz_kb(LEAFLET / "leaflet.js") + gz_kb(LEAFLET / "leaflet.css")
        ratio = total / leaflet
        print(f"baseline, Leaflet alone: {leaflet:.1f} KB gzipped; ratio app/Leaflet {ratio:.2f}")
    return 0 if total <= BUDGET_KB else 1


if __name__ == "__main__":
    sys.exit(main())
