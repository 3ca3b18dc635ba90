"""Mail to reporters and staff: the outbox and its admin.

The feature's wiring: what it adds to an app.
"""

from __future__ import annotations

from flask import Flask

from ..jobs import Recurring, add_recurring
from ..web.api import register
from .jobs import send_pending
from .routes import bp


def init_app(app: Flask) -> None:
    register(app, bp)
    add_recurring(
        app,
        Recurring("outbox-send", send_pending, 60),
    )
