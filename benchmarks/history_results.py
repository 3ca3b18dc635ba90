"""Measuring an endpoint on both databases, and printing the results."""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import statistics
from dataclasses import dataclass, field

from history_db import Database
from history_endpoints import Endpoint
from history_servers import Answer, Server, Side

TARGET_MS = {"postgres": 200.0, "sqlite": 500.0}
RATIO_TARGET = 2.0


# --------------------------------------------------------------------------- measuring


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


@dataclass
class Timing:
    totals: list[float] = field(default_factory=list)
    ttfbs: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    spent: float = 0.0
    first: float = float("nan")  # ms of the very first request (cold: nothing cached yet)
    failure: str = ""  # a non-2xx answer or a broken request, shown once
    body: object = None  # the last answer, parsed, when it was JSON

    def add(self, answer: Answer, keep: bool) -> None:
        self.spent += answer.total
        self.statuses[answer.status] = self.statuses.get(answer.status, 0) + 1
        if not 200 <= answer.status < 300:
            if not self.failure:
                text = answer.body[:200].decode(errors="replace")
                self.failure = f"HTTP {answer.status}: {text}"
            return
        if keep:
            self.totals.append(answer.total)
            self.ttfbs.append(answer.ttfb)
            self.sizes.append(answer.size)

    @property
    def median(self) -> float:
        return statistics.median(self.totals) * 1000 if self.totals else float("nan")

    @property
    def p90(self) -> float:
        return percentile(self.totals, 0.9) * 1000

    @property
    def ttfb(self) -> float:
        return statistics.median(self.ttfbs) * 1000 if self.ttfbs else float("nan")

    @property
    def size(self) -> int:
        return int(statistics.median(self.sizes)) if self.sizes else 0


@dataclass
class Result:
    endpoint: Endpoint
    small: Timing
    large: Timing
    bounded: bool

    def ms(self, timing: Timing) -> float:
        """The time the target is about: to the first byte of a download, else to the end."""
        return timing.ttfb if self.endpoint.streamed else timing.median

    @property
    def ratio(self) -> float:
        if not (self.small.totals and self.large.totals):
            return float("nan")
        return self.ms(self.large) / self.ms(self.small)


def measure(ep: Endpoint, sides: list[Side], reps: int, budget: float) -> Result:
    """Warm both sides up, then request alternately until `reps` each or the budget is spent."""
    paths = {}
    for side in sides:
        try:
            paths[side.label] = ep.paths(side)
        except (OSError, http.client.HTTPException) as exc:
            paths[side.label] = []
            print(f"    {ep.name}: could not prepare the request: {exc}")
    timings = {side.label: Timing() for side in sides}

    def one(side: Side, index: int, keep: bool) -> None:
        timing = timings[side.label]
        todo = paths[side.label]
        if not todo:
            return
        path = todo[index % len(todo)]
        try:
            answer = side.get(path, ep.user)
        except (OSError, http.client.HTTPException) as exc:
            side.client(ep.user).close()
            timing.failure = timing.failure or f"{type(exc).__name__}: {exc}"
            timing.spent += budget  # a broken request is not tried again and again
            return
        timing.add(answer, keep)
        if not ep.streamed and answer.body[:1] in (b"{", b"["):
            with contextlib.suppress(ValueError):
                timing.body = json.loads(answer.body)

    for side in sides:  # warm-up: two requests, or one when it is slow
        one(side, 0, keep=False)
        timings[side.label].first = timings[side.label].spent * 1000
        if timings[side.label].spent < 5:
            one(side, 1, keep=False)
        timings[side.label].spent = 0.0
    for index in range(reps):
        for side in sides:
            timing = timings[side.label]
            if timing.failure or (len(timing.totals) >= 3 and timing.spent > budget):
                continue
            one(side, index, keep=True)
    small, large = timings["small"], timings["large"]
    return Result(ep, small, large, ep.is_bounded(large.body))


# --------------------------------------------------------------------------- report


def ms(value: float) -> str:
    if math.isnan(value):
        return "-"
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def size_text(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1e6:.1f} MB"
    if n >= 10_000:
        return f"{n / 1e3:.0f} KB"
    return f"{n:,} B"


def verdict(result: Result, backend: str) -> str:
    if result.small.failure or result.large.failure:
        return "FAILED"
    if not result.bounded:
        return "grows"
    target = TARGET_MS[backend]
    fast = result.ms(result.large) < target
    if backend == "sqlite":  # on SQLite the target is the time alone
        return "ok" if fast else "MISSED"
    steady = result.ratio <= RATIO_TARGET
    if fast and steady:
        return "ok"
    why = [part for part, bad in (("ratio", not steady), (f">= {target:.0f} ms", not fast)) if bad]
    return f"MISSED ({', '.join(why)})"


def print_results(
    backend: str, small: Database, large: Database, results: list[Result], reps: int
) -> None:
    target = TARGET_MS[backend]
    print()
    print(
        f"{'PostgreSQL' if backend == 'postgres' else 'SQLite'}: {small.reports:,} vs "
        f"{large.reports:,} reports; median (p90) ms to the end of the answer, median time "
        f"to first byte (TTFB), the first request (cold); ratio and target of downloads "
        f"('first byte') by their TTFB"
    )
    header = (
        f"  {'endpoint':<44} {'small ms':>16} {'large ms':>16} {'TTFB s/l':>13} "
        f"{'1st s/l':>13} {'ratio':>6} {'bytes small / large':>21}  target"
    )
    print(header)
    print("  " + "-" * (len(header) - 2))
    group = None
    for r in results:
        if r.endpoint.group != group:
            group = r.endpoint.group
            print(f"  [{group}]")
        s, g = r.small, r.large
        sizes = f"{size_text(s.size)} / {size_text(g.size)}"
        if r.bounded and s.size and g.size and not 0.8 <= g.size / s.size <= 1.25:
            sizes += " *"
        print(
            f"  {r.endpoint.name:<44} {ms(s.median):>7} ({ms(s.p90):>6}) "
            f"{ms(g.median):>7} ({ms(g.p90):>6}) {ms(s.ttfb):>6}/{ms(g.ttfb):<6} "
            f"{ms(s.first):>6}/{ms(g.first):<6} {r.ratio:>6.2f} {sizes:>21}  {verdict(r, backend)}"
        )
        for label, timing in (("small", s), ("large", g)):
            if timing.failure:
                print(f"      {label}: {timing.failure[:160]}")
            elif len(timing.totals) < min(5, reps):
                print(f"      {label}: only {len(timing.totals)} requests within the budget")
    print("  * answers of different size on the two databases")
    bounded = [r for r in results if r.bounded and not (r.small.failure or r.large.failure)]
    missed = [r for r in bounded if verdict(r, backend) != "ok"]
    failed = [r for r in results if r.small.failure or r.large.failure]
    goal = f"< {target:.0f} ms"
    if backend == "postgres":
        goal += f" and ratio <= {RATIO_TARGET:g}"
    print(
        f"  targets ({goal} at {large.reports:,} reports, bounded answers): "
        f"{len(bounded) - len(missed)} of {len(bounded)} met"
        + (f"; missed: {', '.join(r.endpoint.name for r in missed)}" if missed else "")
        + (f"; failed: {', '.join(r.endpoint.name for r in failed)}" if failed else "")
    )


def print_markdown(backend: str, small: Database, large: Database, results: list[Result]) -> None:
    print()
    print(
        f"| {'PostgreSQL' if backend == 'postgres' else 'SQLite'} | endpoint | "
        f"{small.reports:,} | {large.reports:,} | ratio | bytes | target |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in results:
        target = verdict(r, backend)
        print(
            f"| {r.endpoint.group} | {r.endpoint.name} | {ms(r.ms(r.small))} ms | "
            f"{ms(r.ms(r.large))} ms | {r.ratio:.2f} | {size_text(r.small.size)} / "
            f"{size_text(r.large.size)} | {target} |"
        )


def server_trouble(server: Server) -> list[str]:
    signs = ("Traceback (most recent call last)", "WORKER TIMEOUT", '" 5')
    lines = server.log.read_text(errors="replace").splitlines()
    return [line[:160] for line in lines if any(sign in line for sign in signs)]
