"""Reports: intake, photos, tracking, the public map and the pages beside them.

The feature's wiring: what it adds to an app.
"""

from __future__ import annotations

from flask import Flask

from ..web.api import api_of, register
from .routes import bp
from .schemas import MapReport


def init_app(app: Flask) -> None:
    # `ReportPage` names `MapReport` in an anyOf (a page of markers), which no route dumps:
    # the document gets the component here.
    api_of(app).add_to_spec(lambda spec: spec.components.schema("MapReport", schema=MapReport))
    register(app, bp)
