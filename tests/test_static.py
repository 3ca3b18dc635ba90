"""What the built apps and the public API answers weigh on the wire, and how long browsers
keep them: hashed assets a year, everything else revalidated; brotli or gzip as the browser
accepts, from the build's compressed copies for the apps' files."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import brotli
import pytest

from maengelmelder.app import create_app

IMMUTABLE = "public, max-age=31536000, immutable"
BROWSER = "gzip, deflate, br, zstd"  # what Chromium sends
ASSET = "/static/app/assets/index-Bq3xZ_9k.js"
SCRIPT = b"export const greeting = 'Moin';\n" * 200
PAGE = b"<!doctype html><title>M\xc3\xa4ngelmelder</title>" + b"<div></div>\n" * 100


def _write(path: Path, data: bytes, *, copies: bool = True) -> None:
    """A built file and, as frontend/precompress.mjs makes them, its .br and .gz copies."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if copies:
        path.with_name(path.name + ".br").write_bytes(brotli.compress(data))
        path.with_name(path.name + ".gz").write_bytes(gzip.compress(data))


@pytest.fixture
def built(tmp_path: Path) -> Path:
    """A small build of the apps, as `npm run build` lays it out."""
    root = tmp_path / "app"
    _write(root / "index.html", PAGE)
    _write(root / "staff.html", PAGE.replace(b"div", b"main"))
    _write(root / "sw.js", b"self.addEventListener('fetch', () => undefined);\n" * 40)
    _write(root / "manifest.webmanifest", json.dumps({"name": "Mängelmelder" * 30}).encode())
    _write(root / "icon.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", copies=False)
    _write(root / ASSET.removeprefix("/static/app/"), SCRIPT)
    return root


@pytest.fixture
def web(built: Path, tmp_path: Path):
    """A client of an app serving that build (no database needed for these files)."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'unused.db'}",
            "SECRET_KEY": "x",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "FRONTEND_DIR": str(built),
        }
    )
    return app.test_client()


def _decoded(resp) -> bytes:
    coding = resp.headers.get("Content-Encoding")
    if coding == "br":
        return brotli.decompress(resp.data)
    if coding == "gzip":
        return gzip.decompress(resp.data)
    assert coding is None, coding
    return resp.data


def test_a_hashed_asset_is_kept_a_year_and_sent_as_the_browser_accepts(web):
    for accept, coding in [(BROWSER, "br"), ("gzip, deflate", "gzip"), (None, None)]:
        resp = web.get(ASSET, headers={"Accept-Encoding": accept} if accept else {})
        assert resp.status_code == 200
        assert resp.headers.get("Content-Encoding") == coding
        assert _decoded(resp) == SCRIPT
        assert resp.headers["Cache-Control"] == IMMUTABLE
        assert "Accept-Encoding" in resp.headers["Vary"]
        assert resp.content_type.startswith("text/javascript")
        # WhiteNoise answers before Flask: the security headers are still there.
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert "default-src 'self'" in resp.headers["Content-Security-Policy"]
    assert len(web.get(ASSET, headers={"Accept-Encoding": BROWSER}).data) < len(SCRIPT) / 10


def test_unhashed_build_files_are_compressed_and_revalidated(web):
    manifest = web.get("/static/app/manifest.webmanifest", headers={"Accept-Encoding": BROWSER})
    assert manifest.headers["Content-Encoding"] in {"br", "gzip"}  # whichever copy is smaller
    assert manifest.headers["Cache-Control"] == "no-cache"
    assert manifest.content_type == "application/manifest+json"
    assert json.loads(_decoded(manifest))["name"].startswith("Mängelmelder")
    again = web.get(
        "/static/app/manifest.webmanifest",
        headers={"Accept-Encoding": BROWSER, "If-None-Match": manifest.headers["ETag"]},
    )
    assert (again.status_code, again.data) == (304, b"")
    # A file the build did not compress is sent as it is.
    icon = web.get("/static/app/icon.svg", headers={"Accept-Encoding": BROWSER})
    assert (icon.status_code, icon.headers.get("Content-Encoding")) == (200, None)
    assert icon.headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize(
    ("path", "body"),
    [("/", PAGE), ("/staff", PAGE.replace(b"div", b"main")), ("/staff/tickets/2026-000001", None)],
)
def test_the_app_pages_are_sent_precompressed_and_revalidated(web, path, body):
    resp = web.get(path, headers={"Accept-Encoding": BROWSER})
    assert resp.status_code == 200
    assert resp.headers["Content-Encoding"] == "br"
    assert resp.headers["Cache-Control"] == "no-cache"
    assert "Accept-Encoding" in resp.headers["Vary"]
    assert resp.content_type == "text/html; charset=utf-8"
    assert int(resp.headers["Content-Length"]) == len(resp.data)
    if body is not None:
        assert _decoded(resp) == body
    etag = resp.headers["ETag"]
    again = web.get(path, headers={"Accept-Encoding": BROWSER, "If-None-Match": etag})
    assert (again.status_code, again.data) == (304, b"")
    plain = web.get(path)
    assert plain.headers.get("Content-Encoding") is None
    assert plain.headers["ETag"] != resp.headers["ETag"]  # another representation
    assert plain.data.startswith(b"<!doctype html>")


def test_the_service_worker_is_sent_compressed_with_its_scope(web):
    resp = web.get("/sw.js", headers={"Accept-Encoding": "gzip"})
    assert resp.headers["Content-Encoding"] == "gzip"
    assert resp.headers["Service-Worker-Allowed"] == "/"
    assert resp.headers["Cache-Control"] == "no-cache"
    assert _decoded(resp).startswith(b"self.addEventListener")


# --------------------------------------------------------------------------- the API


def test_public_reads_are_compressed_and_a_repeated_read_is_a_304(app, client):
    plain = client.get("/api/v1/categories")
    resp = client.get("/api/v1/categories", headers={"Accept-Encoding": BROWSER})
    assert resp.status_code == 200
    assert resp.headers["Content-Encoding"] == "br"
    assert json.loads(_decoded(resp)) == plain.json
    assert len(resp.data) < len(plain.data) / 2
    assert resp.headers["Cache-Control"] == "private, no-cache"
    assert "Accept-Encoding" in resp.headers["Vary"]
    etag = resp.headers["ETag"]
    assert etag.startswith('W/"')
    again = client.get(
        "/api/v1/categories", headers={"Accept-Encoding": BROWSER, "If-None-Match": etag}
    )
    assert (again.status_code, again.data) == (304, b"")
    gzipped = client.get("/api/v1/categories", headers={"Accept-Encoding": "gzip"})
    assert gzipped.headers["Content-Encoding"] == "gzip"
    assert json.loads(_decoded(gzipped)) == plain.json


def test_a_changed_answer_is_sent_again(app, client, admin_headers):
    first = client.get("/api/v1/categories", headers={"Accept-Encoding": BROWSER})
    changed = client.patch(
        "/api/v1/admin/categories/graffiti", json={"name_de": "Schmiererei"}, headers=admin_headers
    )
    assert changed.status_code == 200, changed.json
    again = client.get(
        "/api/v1/categories",
        headers={"Accept-Encoding": BROWSER, "If-None-Match": first.headers["ETag"]},
    )
    assert again.status_code == 200
    assert "Schmiererei" in _decoded(again).decode()


def test_answers_to_staff_are_neither_compressed_nor_kept(app, staff, admin_headers):
    crew = staff.client("crew", "tiefbau")
    for client, headers in [(crew, {}), (app.test_client(), admin_headers)]:
        resp = client.get("/api/v1/categories", headers={**headers, "Accept-Encoding": BROWSER})
        assert resp.status_code == 200
        assert resp.headers.get("Content-Encoding") is None
        assert "ETag" not in resp.headers
        assert resp.headers.get("Cache-Control") != "private, no-cache"


def test_streamed_downloads_stay_streamed_and_uncompressed(app, client):
    resp = client.get("/api/v1/export/reports.geojson", headers={"Accept-Encoding": BROWSER})
    assert resp.status_code == 200
    assert resp.is_streamed
    assert resp.headers.get("Content-Encoding") is None
    assert json.loads(resp.data)["type"] == "FeatureCollection"


def test_an_answer_with_caching_of_its_own_keeps_it(app, client):
    resp = client.get("/api/v1/sla/transparency", headers={"Accept-Encoding": BROWSER})
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"].startswith("public, max-age=")
    again = client.get(
        "/api/v1/sla/transparency",
        headers={"Accept-Encoding": BROWSER, "If-None-Match": resp.headers["ETag"]},
    )
    assert again.status_code == 304
