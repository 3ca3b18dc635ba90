"""Security headers on every response (a strict CSP, no sniffing, no referrer leaks), the
hosts the service answers to, and whose forwarded headers count."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix


def tile_origin(tile_url: str) -> str:
    """The origin of the map tile server, as a CSP source ({s} subdomains become *)."""
    parts = urlsplit(tile_url.replace("{s}", "*"))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def content_security_policy(tile_url: str) -> str:
    """Only our own scripts and styles, and images from us and the tile server."""
    tiles = tile_origin(tile_url)
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src 'self' data: blob: {tiles}".strip(),
            "connect-src 'self'",
            "worker-src 'self'",
            "manifest-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


# Always answered: health checks and local runs on the machine itself. Links never name
# these unless BASE_URL does (serve refuses to send mail without BASE_URL).
LOOPBACK_HOSTS = ("localhost", "127.0.0.1")


def trusted_hosts(config: Mapping[str, Any]) -> list[str]:
    """The host names a request's Host header may carry: BASE_URL's host, the configured
    TRUSTED_HOSTS and loopback. Flask refuses any other with 400 before routing, so every
    link built from the request (tracking links, mail links, Link headers) names one of them.
    """
    hosts = list(LOOPBACK_HOSTS)
    base = urlsplit(config.get("BASE_URL") or "").hostname
    if base:
        hosts.append(base)
    for entry in config.get("TRUSTED_HOSTS") or ():
        hosts.append(entry.strip().lower())
    return list(dict.fromkeys(h for h in hosts if h))


def security_headers(tile_url: str) -> dict[str, str]:
    """The headers every answer carries (HSTS aside: only answers over TLS get it)."""
    return {
        "Content-Security-Policy": content_security_policy(tile_url),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Permissions-Policy": "geolocation=(self), camera=(self)",
    }


def init_app(app: Flask) -> None:
    app.config["TRUSTED_HOSTS"] = trusted_hosts(app.config)
    if app.config.get("PROXY_FIX"):
        # Behind a TLS-terminating proxy: trust its X-Forwarded-For/-Proto/-Host (one hop).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    headers = security_headers(app.config["TILE_URL"])

    @app.after_request
    def _headers(resp):
        for name, value in headers.items():
            resp.headers.setdefault(name, value)
        if request.is_secure:
            resp.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        return resp
