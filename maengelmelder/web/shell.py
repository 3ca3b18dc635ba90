"""The app shell: the built citizen and staff apps (`frontend/`), their service worker and
manifest, or a short start page while the apps are not built; and the HTML pages a feature
serves beside its API routes."""

from __future__ import annotations

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
    send_from_directory,
)

from ..errors import ApiError

bp = Blueprint("shell", __name__)


def frontend_index(page: str = "index.html") -> Response | None:
    """A built page of the app (citizen index.html, staff.html), or None when not built."""
    directory = current_app.config.get("FRONTEND_DIR")
    if directory and (Path(directory) / page).is_file():
        resp = send_from_directory(directory, page, max_age=0)
        resp.headers["Cache-Control"] = "no-cache"
        return resp
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
    resp = send_from_directory(directory, name, max_age=0)
    resp.headers["Cache-Control"] = "no-cache"
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


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
