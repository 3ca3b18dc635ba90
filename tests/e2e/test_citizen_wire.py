"""What the citizen app's first screen costs on the wire, served as in production.

`maengelmelder serve` (gunicorn, no proxy in front) on a fresh database (SQLite, then
PostgreSQL) with the demo city and a year of its history (as `make run` loads it); a
phone-sized Chromium opens the map and the bytes it received are summed: headers and bodies
as they came over the network, the service worker's own requests included, answers from a
cache counted as nothing. The first visit must stay within 120 KB, a repeat visit (a reload,
the service worker in place) within 5 KB. The figures are printed (`pytest -s`).

The history ends when the day began; the tickets whose quiet period ended since then are
closed before serving, as the hourly housekeeping of a server that ran all day has closed
them. Left to the served process, its first housekeeping (right after it starts) closes them
while the first visit reads the map, and the repeat visit rightly gets the changed map again.

The browser here is a second Chromium of the run's Playwright, started with every host name
but the loopback address unresolvable: nothing leaves the machine (the map tiles fail at
once and count for nothing), and no request routing is needed. Routing, as the other browser
tests use it, switches the HTTP cache off, which a repeat visit must have.
"""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import brotli
import pytest
import requests
from playwright.sync_api import BrowserContext, Page, Request, expect

from tests.conftest import create_postgres_schema, drop_postgres_schema
from tests.e2e.conftest import APP_DIR, CHROMIUM, CHROMIUM_ARGS, GEOLOCATION, PHONE
from tests.faults.services import free_port, start_app_process, stop_process, wait_until

FIRST_SCREEN_BUDGET = 120 * 1024
REPEAT_VISIT_BUDGET = 5 * 1024
IMMUTABLE = "public, max-age=31536000, immutable"
HISTORY = 4000  # reports in the demo city's year, as `make run` loads it
ONLY_LOOPBACK = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"


def _environment(tmp: Path, database_url: str) -> dict[str, str]:
    """Ours, without the caller's MAENGELMELDER_* settings; a database of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAENGELMELDER_")}
    env.update(
        {
            "MAENGELMELDER_DATABASE_URL": database_url,
            "MAENGELMELDER_INSTANCE_PATH": str(tmp / "instance"),
            "MAENGELMELDER_SECRET_KEY": "wire-test",
            "MAENGELMELDER_FRONTEND_DIR": str(APP_DIR),
            "MAENGELMELDER_COOKIE_SECURE": "false",
        }
    )
    return env


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(e2e_requirements, tmp_path_factory, request) -> Iterator[str]:
    """`maengelmelder serve` on a free loopback port, the demo city and its history loaded,
    on each database (a schema of its own on PostgreSQL)."""
    tmp = tmp_path_factory.mktemp("wire")
    if request.param == "postgresql":
        database_url, schema = create_postgres_schema()  # fails in CI without PostgreSQL
        request.addfinalizer(lambda: drop_postgres_schema(schema))
    else:
        database_url = f"sqlite:///{tmp / 'wire.db'}"
    env = _environment(tmp, database_url)
    for args in (
        ["db", "upgrade"],
        ["demo", "load", "--history", str(HISTORY)],
        ["tickets", "close-quiet"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "maengelmelder", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp / "serve.log"
    args = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    proc = start_app_process(args, env, log)

    def healthy() -> bool:
        assert proc.poll() is None, log.read_text(errors="replace")
        try:
            return requests.get(url + "/healthz", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    try:
        wait_until(healthy, timeout=60, what="gunicorn to serve", every=0.2)
        yield url
    finally:
        stop_process(proc)


@pytest.fixture(scope="module")
def isolated_browser(browser):
    """A Chromium that resolves no host name but the loopback address."""
    chromium = browser.browser_type.launch(
        executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, ONLY_LOOPBACK]
    )
    yield chromium
    chromium.close()


@dataclass
class Received:
    """One request as the browser saw it: how many bytes came over the network for it."""

    url: str
    status: int
    size: int
    encoding: str | None
    cache_control: str | None
    etag: str | None
    by_worker: bool


class Meter:
    """Every request of a browser context to the served app, with the bytes it received."""

    def __init__(self, context: BrowserContext, origin: str) -> None:
        self.origin = origin
        self.pending: set[Request] = set()
        self.received: list[Received] = []
        context.on("request", self._started)
        context.on("requestfinished", self._finished)
        context.on("requestfailed", self._failed)

    def _ours(self, request: Request) -> bool:
        return urlsplit(request.url).netloc == self.origin

    def _started(self, request: Request) -> None:
        if self._ours(request):
            self.pending.add(request)

    def _finished(self, request: Request) -> None:
        self.pending.discard(request)
        response = request.response()
        sizes = request.sizes()
        # Playwright splits what the network delivered into headers and body; for an answer
        # from a cache the body is negative by the headers' size: together nothing came.
        size = max(0, sizes["responseHeadersSize"] + sizes["responseBodySize"])
        headers = response.headers if response else {}
        self.received.append(
            Received(
                url=request.url,
                status=response.status if response else 0,
                size=size,
                encoding=headers.get("content-encoding"),
                cache_control=headers.get("cache-control"),
                etag=headers.get("etag"),
                by_worker=request.service_worker is not None,
            )
        )

    def _failed(self, request: Request) -> None:
        self.pending.discard(request)  # the map tiles: no host name resolves

    def settle(self, page: Page) -> None:
        """Wait until every request the app made has ended (each end is an event)."""
        page.evaluate("1")  # events the browser sent meanwhile are delivered with the answer
        while self.pending:
            with page.context.expect_event("requestfinished", timeout=15_000):
                pass

    def take(self) -> list[Received]:
        taken, self.received = self.received, []
        return taken


def _total(received: list[Received]) -> int:
    return sum(r.size for r in received)


def _print(label: str, received: list[Received]) -> None:
    print(f"\n{label}: {_total(received):,} bytes in {len(received)} requests")
    for r in received:
        path = urlsplit(r.url).path + ("?…" if urlsplit(r.url).query else "")
        worker = " (service worker)" if r.by_worker else ""
        print(f"  {r.size:>7,}  {r.status}  {r.encoding or '-':<5} {path}{worker}")


def _map_shown(page: Page) -> int:
    """The number of reports the map shows, once it shows them."""
    count = page.locator("p.count")
    expect(count).to_have_text(re.compile(r"^\d+ Meldungen auf der Karte$"))
    return int(count.inner_text().split()[0])


def test_the_first_screen_within_120_kb_and_a_repeat_visit_within_5_kb(
    served: str, isolated_browser
):
    context = isolated_browser.new_context(
        base_url=served,
        viewport=PHONE,
        screen=PHONE,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=1,
        locale="de-DE",
        timezone_id="Europe/Berlin",
        geolocation=GEOLOCATION,
        permissions=["geolocation"],
        service_workers="allow",
    )
    context.set_default_timeout(30_000)
    try:
        meter = Meter(context, urlsplit(served).netloc)
        page = context.new_page()
        page.goto("/")
        shown = _map_shown(page)
        # The service worker installs after the page has loaded: it fetches the shell and
        # caches every asset it names, which belongs to the first visit.
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        meter.settle(page)
        first = meter.take()
        _print(f"first screen ({shown} reports on the map)", first)

        page.reload()
        assert _map_shown(page) == shown
        meter.settle(page)
        repeat = meter.take()
        _print("repeat visit", repeat)
    finally:
        context.close()

    assert shown > 0, "the map shows the demo city's reports"
    assets = [r for r in first if "/static/app/assets/" in r.url and r.size > 0]
    assert {urlsplit(r.url).path.rsplit(".", 1)[1] for r in assets} == {"js", "css"}
    for r in assets:
        assert (r.encoding, r.cache_control) == ("br", IMMUTABLE), r
    map_reads = [r for r in first if "/api/v1/reports?" in r.url]
    assert map_reads and all(r.encoding == "br" for r in map_reads), map_reads
    assert _total(first) <= FIRST_SCREEN_BUDGET
    # The city did not change between the visits: the map read is the same answer.
    again = [r for r in repeat if "/api/v1/reports?" in r.url]
    assert {r.etag for r in again} == {r.etag for r in map_reads}, (map_reads, again)
    assert _total(repeat) < REPEAT_VISIT_BUDGET
    # Nothing is downloaded again: what is not from a cache is a 304 of a few headers.
    assert all(r.size < 1024 for r in repeat), [r for r in repeat if r.size >= 1024]


def test_the_build_has_a_brotli_and_a_gzip_copy_of_every_text_file(e2e_requirements):
    texts = [
        p
        for p in APP_DIR.rglob("*")
        if p.suffix in {".js", ".css", ".html", ".svg", ".webmanifest"} and p.is_file()
    ]
    assert any(p.parent.name == "assets" for p in texts)
    for path in texts:
        data = path.read_bytes()
        br, gz = path.with_name(path.name + ".br"), path.with_name(path.name + ".gz")
        assert br.is_file() and gz.is_file(), f"{path.name} has no compressed copies"
        assert brotli.decompress(br.read_bytes()) == data
        assert gzip.decompress(gz.read_bytes()) == data
