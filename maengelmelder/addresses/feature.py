"""Street addresses: the feature's wiring."""

from __future__ import annotations

from flask import Flask

from ..web.api import register
from .cli import addresses_group
from .routes import bp


def init_app(app: Flask) -> None:
    register(app, bp)
    app.cli.add_command(addresses_group)
