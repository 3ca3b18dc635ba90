"""Zones and rules: which department a report goes to, and why.

The feature's wiring: what it adds to an app.
"""

from __future__ import annotations

from flask import Flask

from ..web.api import register
from .cli import rules_group, zones_group
from .routes import bp


def init_app(app: Flask) -> None:
    register(app, bp)
    app.cli.add_command(zones_group)
    app.cli.add_command(rules_group)
