"""Privacy: retention and erasure, and the privacy pass of every photo.

The feature's wiring: what it adds to an app.
"""

from __future__ import annotations

from flask import Flask

from ..jobs import Recurring, add_recurring
from ..web.api import register
from .cli import privacy_group
from .jobs import privacy_sweep, retention
from .routes import bp


def init_app(app: Flask) -> None:
    register(app, bp)
    app.cli.add_command(privacy_group)
    add_recurring(
        app,
        # At night, and on the first start after a night the server was down.
        Recurring("privacy-retention", retention, 86400, at="03:00"),
        # Photos whose pass was lost or interrupted (one read of a partial index).
        Recurring("privacy-sweep", privacy_sweep, 300),
    )
