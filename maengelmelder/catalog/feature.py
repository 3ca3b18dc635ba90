"""The catalogue: departments and categories, public and for the admin.

The feature's wiring: what it adds to an app.
"""

from __future__ import annotations

from flask import Flask

from ..web.api import register
from .admin import bp as admin_bp
from .routes import bp


def init_app(app: Flask) -> None:
    register(app, bp)
    register(app, admin_bp)
