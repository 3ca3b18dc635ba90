"""Security headers that every page and API answer carries."""

from __future__ import annotations

from maengelmelder.security import tile_origin


def test_every_answer_has_strict_headers(client):
    for path in ("/", "/api/v1/categories", "/api/v1/nothing", "/track/unknown"):
        resp = client.get(path)
        csp = resp.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "img-src 'self' data: blob: https://tile.openstreetmap.org" in csp
        assert "frame-ancestors 'none'" in csp
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Referrer-Policy"] == "no-referrer"
        assert "Strict-Transport-Security" not in resp.headers  # plain HTTP


def test_hsts_only_over_tls(client):
    resp = client.get("/api/v1/city", base_url="https://maengel.test")
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_tile_origin():
    assert (
        tile_origin("https://{s}.tile.example.org/{z}/{x}/{y}.png") == "https://*.tile.example.org"
    )
    assert tile_origin("https://tiles.stadt.de/osm/{z}/{x}/{y}.png") == "https://tiles.stadt.de"
    assert tile_origin("/tiles/{z}/{x}/{y}.png") == ""


def test_pages_carry_no_inline_script(client):
    for path in ("/", "/reports/2026-000001"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>" not in html and "onclick" not in html and "style=" not in html
