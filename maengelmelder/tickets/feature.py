"""Tickets: the staff's queue and a ticket's changes.

The feature's wiring: what it adds to an app.
"""

from __future__ import annotations

from flask import Flask

from ..web.api import register
from .cli import tickets_group
from .routes import bp


def init_app(app: Flask) -> None:
    register(app, bp)
    app.cli.add_command(tickets_group)
