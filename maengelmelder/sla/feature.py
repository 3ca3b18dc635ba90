"""Promises: deadlines, warnings and escalations, the figures kept for the board.

The feature's wiring: what it adds to an app.
"""

from __future__ import annotations

from flask import Flask

from ..jobs import Recurring, add_recurring
from .cli import sla_group
from .jobs import daily_digest, sweep


def init_app(app: Flask) -> None:
    app.cli.add_command(sla_group)
    add_recurring(
        app,
        Recurring("sla-sweep", sweep, 60),
        # Hourly, but each supervisor gets at most one digest per (Berlin) day: a dedupe key.
        Recurring("sla-digest", daily_digest, 3600),
    )
