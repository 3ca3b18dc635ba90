"""Public figures computed once per period and answered with ETag and public caching headers.

Anyone may ask for the public figures, as often as they like: each app process computes an
answer at most once per `max_age` seconds (concurrent requests wait for the one computation
instead of starting their own), browsers and proxies may keep it as long, and a client that
sends the ETag back gets a 304 without a body.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Response, current_app, jsonify, request

from ..clock import now


@dataclass
class _Entry:
    at: datetime
    body: dict
    etag: str


@dataclass
class _Cache:
    entries: dict[str, _Entry] = field(default_factory=dict)
    locks: dict[str, threading.Lock] = field(default_factory=dict)
    guard: threading.Lock = field(default_factory=threading.Lock)

    def lock(self, key: str) -> threading.Lock:
        with self.guard:
            return self.locks.setdefault(key, threading.Lock())


def _cache() -> _Cache:
    # Per app: every app (and every test's app) has its own database and its own answers.
    return current_app.extensions.setdefault("public_figures", _Cache())


def _fresh(entry: _Entry | None, max_age: int) -> bool:
    return entry is not None and now() - entry.at < timedelta(seconds=max_age)


def get_or_compute(key: str, max_age: int, compute: Callable[[], dict]) -> tuple[dict, str]:
    """The cached (body, ETag) under `key`, computed by one request when missing or stale."""
    cache = _cache()
    entry = cache.entries.get(key)
    if not _fresh(entry, max_age):
        with cache.lock(key):
            entry = cache.entries.get(key)
            if not _fresh(entry, max_age):
                body = compute()
                digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
                entry = _Entry(now(), body, digest[:32])
                cache.entries[key] = entry
    return entry.body, entry.etag


def answer(body: dict, etag: str, max_age: int) -> Response:
    """200 with the body, or 304 when the client already holds this version."""
    resp = Response(status=304) if request.if_none_match.contains(etag) else jsonify(body)
    resp.set_etag(etag)
    resp.headers["Cache-Control"] = f"public, max-age={max_age}"
    return resp
