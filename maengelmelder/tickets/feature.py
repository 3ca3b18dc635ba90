"""Tickets: the staff's queue and a ticket's changes.

The feature's wiring: what it adds to an app.
"""

from __future__ import annotations

from flask import Flask

from ..jobs import Recurring, add_recurring
from ..web.api import register
from .cli import tickets_group
from .jobs import housekeeping
from .routes import bp


def init_app(app: Flask) -> None:
    register(app, bp)
    app.cli.add_command(tickets_group)
    add_recurring(
        app,
        Recurring("tickets-housekeeping", housekeeping, 3600),
    )
