"""The load benchmark's settings, its statistics and the report printed at the end."""

from __future__ import annotations

import math
from dataclasses import dataclass

P99_TARGET_MS = 1000.0
RATIO_TARGET = 0.5
RATE_TOLERANCE = 0.95  # an achieved rate below 95 % of the asked one is a missed load
MIXED_NAMES = (
    "POST report (photo)",
    "POST report (retry)",
    "GET map (geojson)",
    "GET track",
    "GET open311 requests",
    "GET open311 request",
)


# --------------------------------------------------------------------------- statistics


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, math.ceil(q * len(sorted_values)) - 1))
    return sorted_values[index]


@dataclass
class Row:
    name: str
    count: int
    errors: int
    rate: float
    p50: float
    p95: float
    p99: float
    max: float
    error_kinds: dict[str, int]


def rows_of(result: dict, names: tuple[str, ...] | None = None) -> list[Row]:
    window = result["window"][1] - result["window"][0]
    names = names or tuple(sorted(result["times"]))
    rows = []
    for name in names:
        times = sorted(result["times"].get(name, []))
        kinds = result["errors"].get(name, {})
        rows.append(
            Row(
                name,
                len(times),
                sum(kinds.values()),
                len(times) / window,
                percentile(times, 0.50),
                percentile(times, 0.95),
                percentile(times, 0.99),
                times[-1] if times else float("nan"),
                kinds,
            )
        )
    return rows


def cpu_ms(cores: float, rate: float) -> str:
    """CPU milliseconds per request from cores used at a request rate."""
    return f"{cores / rate * 1000:,.1f}" if rate else "-"


def ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:,.0f}"


def print_table(rows: list[Row], title: str) -> None:
    print(title)
    header = (
        f"  {'request':<24} {'count':>7} {'errors':>6} {'per s':>7} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7}"
    )
    print(header)
    print("  " + "-" * (len(header) - 2))
    for r in rows:
        print(
            f"  {r.name:<24} {r.count:>7,} {r.errors:>6,} {r.rate:>7.1f} "
            f"{ms(r.p50):>7} {ms(r.p95):>7} {ms(r.p99):>7} {ms(r.max):>7}"
        )
        for kind, n in sorted(r.error_kinds.items(), key=lambda kv: -kv[1])[:5]:
            print(f"      {n:>6,} x {kind}")


def print_cpu(usage: dict[str, float], cores: int) -> None:
    parts = [f"{label} {value:.2f}" for label, value in usage.items() if label != "machine"]
    print(f"  CPU (cores of {cores}): machine {usage['machine']:.2f} busy = " + ", ".join(parts))


# --------------------------------------------------------------------------- settings


@dataclass
class Settings:
    duration: float
    phase_seconds: float
    rounds: int
    users: int
    report_rate: float
    read_rate: float
    retry_share: float
    redis_url: str
    workers: int | None
    threads: int | None
    photo_size: tuple[int, int] = (4000, 3000)
    app_photo: bool = False


def photo_kind(settings: Settings) -> str:
    return "JPEG as the citizen app uploads it" if settings.app_photo else "phone JPEG with EXIF"


def report(settings: Settings, **r) -> None:
    cores = r["cores"]
    print()
    print("=" * 78)
    rows = rows_of(r["mixed"], MIXED_NAMES)
    print_table(rows, f"mixed scenario, {settings.duration:g} s (after a 5 s warm-up):")
    window = r["mixed"]["window"][1] - r["mixed"]["window"][0]
    reads = [row for row in rows if row.name.startswith("GET")]
    report_rate = rows[0].count / window
    read_rate = sum(row.count for row in reads) / window
    print(
        f"  achieved: {report_rate:.2f} photo reports/s (asked {settings.report_rate:g}), "
        f"{read_rate:.1f} reads/s (asked {settings.read_rate:g})"
    )
    if r["mixed"].get("unfinished_users"):
        print(f"  {r['mixed']['unfinished_users']} users still busy after the drain time")
    print_cpu(r["mixed_usage"], cores)

    c = r["check"]
    print()
    print("database check of the mixed scenario:")
    print(
        f"  keys sent {c['keys_sent']:,}, answered 201 {c['keys_201']:,}, stored "
        f"{c['stored']:,}; duplicates {c['duplicates']}, missing {c['missing']}, other public "
        f"id {c['wrong_id']}, without exactly one photo {c['without_photo']}, stored without a "
        f"201 (client error) {c['stored_without_201']}, unknown {c['unknown_keys']}"
    )
    print(
        f"  retries with the same key: {c['retries']} ({c['retries_racing']} racing): "
        f"{c['retries_ok']} answered with the same report (one replay each), "
        f"{len(c['retries_wrong'])} with different reports or replays, "
        f"{c['retries_unanswered']} without an answer (counted as errors above)"
    )
    for wrong in c["retries_wrong"][:5]:
        print(f"    {wrong}")

    def mean_rate(runs: list[tuple[dict, dict]]) -> float:
        count = sum(
            len(res["times"].get(name, [])) - sum(res["errors"].get(name, {}).values())
            for res, _ in runs
            for name in res["times"]
        )
        seconds = sum(res["window"][1] - res["window"][0] for res, _ in runs)
        return count / seconds

    def mean_cpu(runs: list[tuple[dict, dict]], server: str) -> float:
        """Server CPU (cores) over the phases, weighted by their length."""
        seconds = sum(res["window"][1] - res["window"][0] for res, _ in runs)
        return sum(use[server] * (res["window"][1] - res["window"][0]) for res, use in runs) / (
            seconds
        )

    intake = mean_rate(r["throughput"]["intake"])
    base = mean_rate(r["throughput"]["baseline"])

    def ratio_of(intake_rate: float, base_rate: float) -> float:
        return intake_rate / base_rate if base_rate else float("nan")

    ratio = ratio_of(intake, base)
    # Phases run intake, baseline, baseline, intake...: the k-th of each are neighbours. How
    # far their ratios differ shows how much the machine's speed drifted during the run.
    pairs = [
        ratio_of(mean_rate([i]), mean_rate([b]))
        for i, b in zip(r["throughput"]["intake"], r["throughput"]["baseline"], strict=True)
    ]
    spread = " ".join(f"{pair:.2f}" for pair in pairs)
    intake_cpu = cpu_ms(mean_cpu(r["throughput"]["intake"], "app"), intake)
    base_cpu = cpu_ms(mean_cpu(r["throughput"]["baseline"], "baseline"), base)
    photo_row, photo_usage = r["photo"]
    photo_cpu = cpu_ms(photo_usage["app"], photo_row.rate)
    print()
    print(
        f"intake without photos: {intake:.1f} reports/s ({intake_cpu} ms app CPU each); "
        f"baseline: {base:.1f} rows/s ({base_cpu} ms CPU each); "
        f"ratio {ratio:.2f} (target >= {RATIO_TARGET}; neighbouring phases: {spread})"
    )
    print(
        f"photo intake at full speed: {photo_row.rate:.1f} reports/s "
        f"({photo_cpu} ms app CPU each; p50 {ms(photo_row.p50)} ms, {photo_row.errors} errors)"
    )
    findings = {name: lines for name, lines in r["server_log"].items() if lines}
    print(
        "app log: "
        + (
            ", ".join(f"{len(v)} {k}" for k, v in findings.items())
            or "no worker timeouts, no tracebacks, no 5xx"
        )
    )
    for name, lines in findings.items():
        for line in lines[:3]:
            print(f"  {name}: {line}")
    load_before, load_after = r["load"]
    print(
        f"load average before {load_before[0]:.2f} / {load_before[1]:.2f} / "
        f"{load_before[2]:.2f}, after {load_after[0]:.2f} / {load_after[1]:.2f} / "
        f"{load_after[2]:.2f} (1/5/15 min); total run time {r['elapsed']:.0f} s"
    )

    errors = sum(row.errors for row in rows)
    worst = max(rows, key=lambda row: -1 if math.isnan(row.p99) else row.p99)
    stored_once = (
        c["duplicates"] == 0 and c["missing"] == 0 and c["wrong_id"] == 0 and c["keys_201"] > 0
    )
    retries_ok = c["retries_ok"] > 0 and not c["retries_wrong"]
    rates_ok = (
        report_rate >= RATE_TOLERANCE * settings.report_rate
        and read_rate >= RATE_TOLERANCE * settings.read_rate
    )

    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    print()
    print("targets:")
    print(f"  zero errors ({errors}): {verdict(errors == 0)}")
    print(
        f"  p99 < {P99_TARGET_MS:.0f} ms for every request type (worst: {worst.name} "
        f"{ms(worst.p99)} ms): {verdict(worst.p99 < P99_TARGET_MS)}"
    )
    print(f"  every 201 stored exactly once: {verdict(stored_once)}")
    print(f"  retries answered with the same report: {verdict(retries_ok)}")
    print(f"  asked rates reached (>= {RATE_TOLERANCE:.0%}): {verdict(rates_ok)}")
    print(f"  intake / baseline >= {RATIO_TARGET} ({ratio:.2f}): {verdict(ratio >= RATIO_TARGET)}")

    mu = r["mixed_usage"]
    print()
    print("for the README:")
    print()
    print(
        f"**Load** (`benchmarks/load.py`: `maengelmelder serve`, gunicorn {r['workers']} "
        f"workers × {r['threads']} threads, with PostgreSQL, Redis, the rq worker and the load "
        f"client on the same {cores}-core machine; rate limits raised): "
        f"{settings.duration / 60:g} minutes of {settings.report_rate:g} reports/s, each with "
        f"a {settings.photo_size[0]} × {settings.photo_size[1]} {photo_kind(settings)} "
        f"({r['photo_mb']:.1f} MB), {settings.retry_share:.0%} "
        f"retried with the same key, and {settings.read_rate:g} reads/s (map, tracking, "
        f"Open311), starting with {r['stored_before']:,} reports stored:"
    )
    print()
    print("| request | count | errors | p50 | p95 | p99 | max |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row.name} | {row.count:,} | {row.errors} | {ms(row.p50)} ms | "
            f"{ms(row.p95)} ms | {ms(row.p99)} ms | {ms(row.max)} ms |"
        )
    print()
    print(
        f"Achieved {report_rate:.1f} reports/s and {read_rate:.0f} reads/s; "
        f"{errors} errors; p99 ≤ {ms(worst.p99)} ms (target < 1 s: "
        f"{verdict(worst.p99 < P99_TARGET_MS)}); {c['keys_201']:,} reports answered 201, "
        f"each stored exactly once ({verdict(stored_once)}), {c['retries_ok']} of "
        f"{c['retries']} retries got the same report. CPU during the run: "
        f"{mu['machine']:.1f} of {cores} cores busy (app {mu['app']:.2f}, PostgreSQL "
        f"{mu['postgres']:.2f}, load client {mu['client']:.2f}, other {mu['others']:.2f})."
        f" Intake without photos at full speed: {intake:.0f} reports/s ({intake_cpu} ms of "
        f"app CPU each) against {base:.0f} rows/s ({base_cpu} ms) for a bare Flask insert — "
        f"**ratio {ratio:.2f}** (target ≥ {RATIO_TARGET}; neighbouring phases alone: "
        f"{spread}); photo intake at full speed: "
        f"{photo_row.rate:.1f} reports/s ({photo_cpu} ms of app CPU each)."
    )
