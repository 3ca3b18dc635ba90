"""Open311 fixtures: the blueprint on the test app (until app.py registers it), helpers."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _open311_registered(app):
    if "open311" not in app.blueprints:
        from maengelmelder.open311.routes import bp

        app.register_blueprint(bp)
    return app


@pytest.fixture
def api_key(staff) -> str:
    """A valid API token (any role will do for Open311)."""
    return staff.token("crew", "tiefbau")
