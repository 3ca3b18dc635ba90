"""The SLA board and the public figures.

The feature's wiring: what it adds to an app.
"""

from __future__ import annotations

from flask import Flask

from ..web.api import register
from .routes import bp
from .trend import bp as trend_bp


def init_app(app: Flask) -> None:
    register(app, bp)
    register(app, trend_bp)
