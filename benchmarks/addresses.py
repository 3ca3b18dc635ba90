"""Benchmark the address lookups against a brute-force scan of the same data, in the same run.

Generates 100,000 houses (400 street names in 5 postcodes, 50 houses each, along straight
streets at random places in the demo city's area), writes them as a house coordinates CSV
(ETRS89/UTM 32N) and imports it with `maengelmelder.addresses.importer` (timed, then imported
again: every row unchanged). Then, on SQLite and on PostgreSQL when it answers:

* reverse lookup (`addresses.service.reverse`, one statement) at 2,000 random places in the
  area, against a brute-force scan of the same 100,000 houses in Python (the nearest house
  within 50 m, else within 250 m) at 100 of them; both must give the same answers there.
  Targets: at least 100× faster than the scan, under 1 ms per lookup (mean);
* type-ahead search (`addresses.service.search`, limit 8) for 1,000 queries as people type
  them (a street's first 3–12 characters, folded or not, half of them with a house number's
  first digits). Target: p99 under 20 ms.

Usage: ``.venv/bin/python benchmarks/addresses.py [--quick]`` (``--quick``: 20,000 houses).
PostgreSQL URL: ``MAENGELMELDER_TEST_POSTGRES_URL``
(default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from pyproj import Transformer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from maengelmelder.addresses import service
from maengelmelder.addresses.importer import import_addresses
from maengelmelder.app import create_app
from maengelmelder.extensions import db

POSTGRES_URL = os.environ.get(
    "MAENGELMELDER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
AREA = (8.715, 50.08036, 8.815, 50.11964)  # the demo city's bounding box
NAMES = [
    "Goethe",
    "Schiller",
    "Lessing",
    "Bahnhof",
    "Haupt",
    "Kirch",
    "Linden",
    "Garten",
    "Schul",
    "Berg",
    "Ring",
    "Mühl",
    "Rosen",
    "Friedrich",
    "Wilhelm",
    "Kaiser",
    "Markt",
    "Feld",
    "Wald",
    "Wiesen",
    "Hafen",
    "Ufer",
    "Brunnen",
    "Ahorn",
    "Birken",
    "Eichen",
    "Heine",
    "Mozart",
    "Beethoven",
    "Bach",
    "Händel",
    "Uhland",
    "Körner",
    "Herder",
    "Kant",
    "Humboldt",
    "Luisen",
    "Marien",
    "Sophien",
    "Karl",
    "Ludwig",
    "Bismarck",
    "Moltke",
    "Blücher",
    "Hölderlin",
    "Eichendorff",
    "Fontane",
    "Storm",
    "Raabe",
    "Busch",
    "Dürer",
    "Holbein",
    "Cranach",
    "Gutenberg",
    "Luther",
    "Melanchthon",
    "Zwingli",
    "Kepler",
    "Gauß",
    "Röntgen",
    "Planck",
    "Einstein",
    "Siemens",
    "Bosch",
    "Daimler",
    "Benz",
    "Diesel",
    "Otto",
    "Zeppelin",
    "Lilienthal",
    "Hertz",
    "Ohm",
    "Volta",
    "Ampère",
    "Faraday",
    "Tannen",
    "Fichten",
    "Buchen",
    "Erlen",
    "Weiden",
    "Pappel",
    "Kastanien",
    "Nuss",
    "Apfel",
    "Kirschen",
]
SUFFIXES = ("straße", "weg", "allee", "ring", "gasse")
POSTCODES = ("63065", "63067", "63069", "63071", "63073")
HOUSES_PER_STREET = 50
REVERSE_LOOKUPS, BRUTE_LOOKUPS, SEARCHES = 2_000, 100, 1_000


def generate(n: int, rng: random.Random) -> list[tuple]:
    """(street, number, postcode, place, lat, lon) of `n` houses along straight streets."""
    streets = [f"{name}{suffix}" for name in NAMES for suffix in SUFFIXES]
    houses = []
    cos = math.cos(math.radians(50.1))
    for street_no in range(n // HOUSES_PER_STREET):
        street = streets[street_no % len(streets)]
        postcode = POSTCODES[(street_no // len(streets)) % len(POSTCODES)]
        lat = rng.uniform(AREA[1], AREA[3])
        lon = rng.uniform(AREA[0], AREA[2])
        angle = rng.uniform(0, math.pi)
        step_lat = 20 * math.sin(angle) / 111_320
        step_lon = 20 * math.cos(angle) / (111_320 * cos)
        for i in range(HOUSES_PER_STREET):
            side = 1 if i % 2 else -1
            houses.append(
                (
                    street,
                    str(i + 1),
                    postcode,
                    "Offenbach am Main",
                    lat + (i // 2) * step_lat + side * 10 * math.cos(angle) / 111_320,
                    lon + (i // 2) * step_lon - side * 10 * math.sin(angle) / (111_320 * cos),
                )
            )
    return houses


def as_csv(houses: list[tuple]) -> bytes:
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:25832", always_xy=True)
    xs, ys = to_utm.transform([h[5] for h in houses], [h[4] for h in houses])
    lines = ["str;hnr;adz;plz;ort;ostwert;nordwert"]
    for (street, number, postcode, place, _, _), x, y in zip(houses, xs, ys, strict=True):
        lines.append(f"{street};{number};;{postcode};{place};{x:.3f};{y:.3f}".replace(".", ","))
    # Only the coordinates have decimals: put the street names' dots back (there are none).
    return ("\n".join(lines) + "\n").encode("utf-8")


def brute_force(stored: list[tuple], lat: float, lon: float) -> tuple | None:
    """The reverse lookup's answer by measuring every house: (street, number, precision)."""
    best, best_d = None, math.inf
    for row in stored:
        d = service.distance_m(lat, lon, row[4], row[5])
        if d < best_d:
            best, best_d = row, d
    if best is None or best_d > service.STREET_RADIUS_M:
        return None
    if best_d <= service.HOUSE_RADIUS_M:
        return (best[0], best[1], "house")
    return (best[0], None, "street")


def queries(houses: list[tuple], rng: random.Random) -> list[str]:
    typed = []
    for _ in range(SEARCHES):
        street, number = rng.choice(houses)[:2]
        if rng.random() < 0.5:
            street = street.lower().replace("straße", "str").replace("ß", "ss")
        text = street[: rng.randint(3, 12)]
        if rng.random() < 0.5:
            text = f"{street} {number[: rng.randint(1, len(number))]}"
        typed.append(text)
    return typed


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def run(label: str, url: str, content: bytes, houses: list[tuple], seed: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="mm_bench_") as instance:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "SECRET_KEY": "x",
                "INSTANCE_PATH": instance,
                "INPROCESS_JOBS": False,
            }
        )
        with app.app_context():
            try:
                return _measure(label, content, houses, seed)
            finally:
                db.session.remove()
                db.engine.dispose()


def _measure(label: str, content: bytes, houses: list[tuple], seed: int) -> dict:
    db.create_all()
    t = time.perf_counter()
    result = import_addresses(db.session, content)
    db.session.commit()
    imported = time.perf_counter() - t
    t = time.perf_counter()
    again = import_addresses(db.session, content)
    db.session.commit()
    reimported = time.perf_counter() - t
    assert result.added == len(houses) and again.unchanged == len(houses), (result, again)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(
            "ANALYZE addresses" if conn.dialect.name == "postgresql" else "ANALYZE"
        )
    stored = db.session.execute(
        sa.text("SELECT street, house_number, postcode, place, lat, lon FROM addresses")
    ).all()

    rng = random.Random(seed)
    places = [
        (rng.uniform(AREA[1], AREA[3]), rng.uniform(AREA[0], AREA[2]))
        for _ in range(REVERSE_LOOKUPS)
    ]
    for lat, lon in places[:50]:  # warm-up
        service.reverse(db.session, lat, lon)
    times, answers = [], []
    for lat, lon in places:
        t = time.perf_counter()
        found = service.reverse(db.session, lat, lon)
        times.append(time.perf_counter() - t)
        answers.append(found and (found.street, found.house_number, found.precision))
    brute_times, wrong = [], 0
    for (lat, lon), answer in zip(places[:BRUTE_LOOKUPS], answers, strict=False):
        t = time.perf_counter()
        expected = brute_force(stored, lat, lon)
        brute_times.append(time.perf_counter() - t)
        wrong += expected != answer
    precisions = [a[2] if a else "none" for a in answers]

    typed = queries(houses, rng)
    for text in typed[:50]:
        service.search(db.session, text)
    search_times, empty = [], 0
    for text in typed:
        t = time.perf_counter()
        items = service.search(db.session, text)
        search_times.append(time.perf_counter() - t)
        empty += not items
    db.session.rollback()

    reverse_ms = statistics.mean(times) * 1000
    brute_ms = statistics.mean(brute_times) * 1000
    figures = {
        "label": label,
        "import_s": imported,
        "reimport_s": reimported,
        "reverse_mean_ms": reverse_ms,
        "reverse_median_ms": statistics.median(times) * 1000,
        "reverse_p99_ms": percentile(times, 0.99) * 1000,
        "brute_mean_ms": brute_ms,
        "ratio": brute_ms / reverse_ms,
        "wrong": wrong,
        "search_p50_ms": percentile(search_times, 0.5) * 1000,
        "search_p99_ms": percentile(search_times, 0.99) * 1000,
        "empty": empty,
    }
    print(
        f"{label}: import {len(houses):,} houses {imported:.1f} s "
        f"({len(houses) / imported:,.0f}/s), again (all unchanged) {reimported:.1f} s\n"
        f"  reverse: mean {reverse_ms:.3f} ms, median {figures['reverse_median_ms']:.3f} ms, "
        f"p99 {figures['reverse_p99_ms']:.3f} ms "
        f"({precisions.count('house')} house, {precisions.count('street')} street, "
        f"{precisions.count('none')} none of {len(places):,})\n"
        f"  brute-force scan in Python: mean {brute_ms:.1f} ms -> reverse is "
        f"{figures['ratio']:,.0f}x faster; {BRUTE_LOOKUPS - wrong}/{BRUTE_LOOKUPS} answers agree\n"
        f"  search: p50 {figures['search_p50_ms']:.2f} ms, "
        f"p99 {figures['search_p99_ms']:.2f} ms "
        f"({SEARCHES - empty}/{SEARCHES} queries found something)",
        flush=True,
    )
    return figures


def postgres_schema() -> tuple[sa.Engine, str] | None:
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    schema = f"mm_bench_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    except sa.exc.OperationalError as exc:
        print(f"PostgreSQL not reachable ({exc.orig}); SQLite only")
        admin.dispose()
        return None
    return admin, schema


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 houses")
    args = parser.parse_args()
    n = 20_000 if args.quick else 100_000
    rng = random.Random(1)
    houses = generate(n, rng)
    content = as_csv(houses)
    results = []
    with tempfile.TemporaryDirectory(prefix="mm_bench_") as tmp:
        results.append(run("SQLite", f"sqlite:///{tmp}/addresses.db", content, houses, 2))
    found = postgres_schema()
    if found is not None:
        admin, schema = found
        sep = "&" if "?" in POSTGRES_URL else "?"
        url = f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
        try:
            results.append(run("PostgreSQL", url, content, houses, 2))
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            admin.dispose()
    print()
    ok = True
    for r in results:
        checks = {
            "reverse >= 100x the scan": r["ratio"] >= 100,
            "reverse < 1 ms": r["reverse_mean_ms"] < 1,
            "search p99 < 20 ms": r["search_p99_ms"] < 20,
            "import < 60 s": r["import_s"] < 60,
            "same answers as the scan": r["wrong"] == 0,
        }
        print(
            f"{r['label']}: " + ", ".join(f"{k}: {'yes' if v else 'NO'}" for k, v in checks.items())
        )
        ok = ok and r["wrong"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
