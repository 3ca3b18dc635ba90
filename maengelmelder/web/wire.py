"""What the API's public answers weigh on the wire.

The citizen app's first screen reads the city, the categories and the map (500 reports, about
90 KB of GeoJSON). Such answers are

- compressed, brotli or gzip as the browser accepts (flask-compress, brotli at level 4: a
  map read of 90 KB becomes 8 KB in about a millisecond), from 500 bytes on; streamed answers
  (the open data downloads) stay streamed as they are;
- revalidated: an answer without caching headers of its own gets an ETag of its content and
  `Cache-Control: private, no-cache`, so the browser keeps it and asks again with
  `If-None-Match`; unchanged, the answer is a `304` without a body. The server still reads
  the data; the repeat visit only saves the bytes.

Both only for requests without credentials (no session cookie, no bearer token). A staff
answer can hold a secret (the CSRF token, a reporter's address) beside text an attacker
chose (a report's description); compressed, its length would tell how much of the two
match (BREACH). Staff answers also must not stay in a browser's cache.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request
from flask_compress import Compress

# The answers worth compressing: JSON and GeoJSON, and Open311's XML.
COMPRESSIBLE = ("application/json", "application/geo+json", "application/xml", "text/xml")
REVALIDATE = "private, no-cache"


def _without_credentials() -> bool:
    cookie = current_app.config.get("SESSION_COOKIE_NAME") or "session"
    return "Authorization" not in request.headers and cookie not in request.cookies


def _revalidated(resp: Response) -> Response:
    """An ETag (weak: the same for every encoding) and `no-cache`; a 304 while it matches."""
    if (
        request.method not in ("GET", "HEAD")
        or resp.status_code != 200
        or resp.is_streamed
        or "Cache-Control" in resp.headers
        or "ETag" in resp.headers
        or "Set-Cookie" in resp.headers
    ):
        return resp
    resp.add_etag(weak=True)
    resp.headers["Cache-Control"] = REVALIDATE
    resp.vary.add("Accept-Encoding")  # the 304 names it as the 200 does
    return resp.make_conditional(request)


def init_app(app: Flask) -> None:
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_MIMETYPES", list(COMPRESSIBLE))
    app.config.setdefault("COMPRESS_STREAMS", False)
    # Compression is applied below, to answers without credentials only.
    app.config["COMPRESS_REGISTER"] = False
    compress = Compress(app)

    @app.after_request
    def _lighter(resp: Response) -> Response:
        if resp.mimetype not in COMPRESSIBLE or not _without_credentials():
            return resp
        resp = _revalidated(resp)
        if resp.status_code != 200:
            return resp
        return compress.after_request(resp)
