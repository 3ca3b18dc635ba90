"""Forwarding reports to external bodies (Open311 back offices, e-mail, signed webhooks).

The feature's wiring: what it adds to an app.
"""

from __future__ import annotations

from flask import Flask

from ..jobs import Recurring, add_recurring
from ..reports.service import register_hand_over
from ..web.api import register
from .cli import destinations_group
from .jobs import deliver_pending, poll_answers
from .page import page_bp
from .routes import bp
from .service import forward


def init_app(app: Flask) -> None:
    register(app, bp)
    # Intake hands a report to the body its deciding rule names (reports cannot import us).
    register_hand_over(forward)
    app.register_blueprint(page_bp)
    app.cli.add_command(destinations_group)
    add_recurring(
        app,
        Recurring("forwarding-deliver", deliver_pending, 60),
        Recurring("forwarding-answers", poll_answers, 300),
    )
