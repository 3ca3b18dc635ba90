"""Privacy: retention and erasure.

The feature's wiring: what it adds to an app.
"""

from __future__ import annotations

from flask import Flask

from .cli import privacy_group


def init_app(app: Flask) -> None:
    app.cli.add_command(privacy_group)
