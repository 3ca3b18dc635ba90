"""Open data: the public exports.

The feature's wiring: what it adds to an app.
"""

from __future__ import annotations

from flask import Flask

from ..web.api import register
from .routes import bp


def init_app(app: Flask) -> None:
    register(app, bp)
