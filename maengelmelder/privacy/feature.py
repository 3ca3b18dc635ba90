"""Privacy: retention and erasure.

The feature's wiring: what it adds to an app.
"""

from __future__ import annotations

from flask import Flask

from ..jobs import Recurring, add_recurring
from .cli import privacy_group
from .jobs import retention


def init_app(app: Flask) -> None:
    app.cli.add_command(privacy_group)
    add_recurring(
        app,
        # At night, and on the first start after a night the server was down.
        Recurring("privacy-retention", retention, 86400, at="03:00"),
    )
