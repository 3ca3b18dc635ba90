"""The app shell: the built citizen and staff apps (`frontend/`), their service worker and
manifest, or a short start page while the apps are not built; and the HTML pages a feature
serves beside its API routes.

The build writes every text file also as brotli (`.br`) and gzip (`.gz`) copy
(`frontend/precompress.mjs`); the browser gets the copy it accepts, nothing is compressed
while a request waits. The files under `/static/app/` are served by WhiteNoise: those with
a content hash in their name (`assets/index-Czs5eNOs.js`) never change, so browsers keep them
a year without asking; every other file (the pages, the service worker, the manifest, the
icon) is asked for again on each use (`no-cache`), answered `304` while unchanged.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import flask
from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    render_template,
    request,
    send_file,
)
from whitenoise import WhiteNoise

from ..errors import ApiError
from ..security import security_headers

# Where the build is served (Vite's `base`, frontend/vite.config.ts).
BUILT_PREFIX = "/static/app/"
# Vite names what it bundles `assets/<name>-<hash>.<ext>`: a new content, a new name.
HASHED = re.compile(r"^/static/app/assets/[^/]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$")
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# The build's compressed copies, in order of preference (brotli is the smaller).
PRECOMPRESSED = (("br", ".br"), ("gzip", ".gz"))
MEDIA_TYPES = {".webmanifest": "application/manifest+json"}

bp = Blueprint("shell", __name__)


def send_built(path: Path) -> Response:
    """A file of the build, asked for again on each use: its brotli or gzip copy when the
    browser accepts that encoding and the build made one, else the file itself."""
    copies = [(coding, path.with_name(path.name + suffix)) for coding, suffix in PRECOMPRESSED]
    copies = [(coding, copy) for coding, copy in copies if copy.is_file()]
    accepted = [(c, copy) for c, copy in copies if request.accept_encodings.quality(c) > 0]
    coding, chosen = accepted[0] if accepted else (None, path)
    mimetype = MEDIA_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
    resp = send_file(chosen, mimetype=mimetype or "application/octet-stream", max_age=0)
    if coding:
        resp.headers["Content-Encoding"] = coding
    if copies:
        resp.vary.add("Accept-Encoding")
    resp.headers["Cache-Control"] = REVALIDATE
    return resp


def frontend_index(page: str = "index.html") -> Response | None:
    """A built page of the app (citizen index.html, staff.html), or None when not built."""
    directory = current_app.config.get("FRONTEND_DIR")
    if directory and (Path(directory) / page).is_file():
        return send_built(Path(directory) / page)
    return None


@bp.get("/staff")
@bp.get("/staff/<path:_rest>")
def staff_app(_rest: str = ""):
    """The staff app (it routes below /staff itself)."""
    page = frontend_index("staff.html")
    if page is None:
        raise ApiError(404, "not_found")
    return page


@bp.get("/")
def index():
    """The citizen app (or, unbuilt, a short start page)."""
    return frontend_index() or render_template("index.html")


@bp.get("/sw.js")
@bp.get("/manifest.webmanifest")
def app_root_file():
    """Service worker and manifest, served from the root so their scope is the whole app."""
    directory = current_app.config.get("FRONTEND_DIR")
    name = request.path.lstrip("/")
    if not directory or not (Path(directory) / name).is_file():
        raise ApiError(404, "not_found")
    resp = send_built(Path(directory) / name)
    if name == "sw.js":
        resp.headers["Service-Worker-Allowed"] = "/"
    return resp


def page(bp: flask.Blueprint, rule: str, **options: Any) -> Callable:
    """Decorator: an HTML page on a feature's API blueprint, left out of the API document.

    flask's own `add_url_rule` records no documentation, so a page (a server-rendered
    fallback, a link's landing page) keeps its feature's endpoint names without becoming an
    operation of the document.
    """

    def decorator(func: Callable) -> Callable:
        flask.Blueprint.add_url_rule(bp, rule, view_func=func, **options)
        return func

    return decorator


def serve_built_files(app: Flask) -> None:
    """Serve the build's files under /static/app/ with WhiteNoise, in front of the app.

    WhiteNoise reads the folder once at start (in debug mode on every request) and picks the
    compressed copy by Accept-Encoding (with `Vary: Accept-Encoding`), answering
    `If-None-Match` and `If-Modified-Since` with `304`. Its answers never reach Flask, so they
    get the security headers here; the trusted-host check does not concern them, as no
    static file names a host. A file the build added after the start is still served by
    Flask's static route, uncompressed.
    """
    directory = app.config.get("FRONTEND_DIR")
    if not directory or not Path(directory).is_dir():
        return
    fixed = security_headers(app.config["TILE_URL"])

    def headers(headers, path: str, url: str) -> None:
        for name, value in fixed.items():
            headers[name] = value
        headers["Cache-Control"] = IMMUTABLE if HASHED.match(url) else REVALIDATE

    app.wsgi_app = WhiteNoise(  # type: ignore[method-assign]
        app.wsgi_app,
        root=directory,
        prefix=BUILT_PREFIX,
        autorefresh=app.debug,
        max_age=None,
        allow_all_origins=False,
        mimetypes=MEDIA_TYPES,
        add_headers_function=headers,
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    serve_built_files(app)
