"""Abuse: flags, confirmation, the block list.

The feature's wiring: what it adds to an app.
"""

from __future__ import annotations

from flask import Flask

from ..web.api import register
from .cli import blocklist_group
from .routes import bp


def init_app(app: Flask) -> None:
    register(app, bp)
    app.cli.add_command(blocklist_group)
