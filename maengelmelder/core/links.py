"""Every URL the service hands out, in mails and in answers, made in one place.

The base: `MAENGELMELDER_BASE_URL` when set (it must be, to send mail: `serve` refuses
otherwise); else, during a request, the address the request came to; else (a job, the CLI)
the address `make run` serves at.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from flask import current_app, has_request_context, request

from .tokens import tracking_token

DEFAULT_BASE_URL = "http://127.0.0.1:5000"


class _Report(Protocol):
    public_id: str
    tracking_salt: str


def base_url() -> str:
    """The service's address without a trailing slash (see the module's docstring)."""
    configured = current_app.config.get("BASE_URL")
    if configured:
        return configured.rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    return DEFAULT_BASE_URL


@dataclass(frozen=True)
class Links:
    """What a mail or an answer needs to point people at the service."""

    base_url: str
    secret_key: str
    city_name: str

    def url(self, path: str) -> str:
        """An absolute URL of a path of the service (`/track/…`)."""
        return f"{self.base_url.rstrip('/')}{path}"

    def tracking_url(self, report: _Report) -> str:
        return self.url(f"/track/{tracking_token(self.secret_key, report.tracking_salt)}")

    def public_url(self, report: _Report) -> str:
        return self.url(f"/reports/{report.public_id}")

    def staff_url(self, report: _Report) -> str:
        return self.url(f"/staff/tickets/{report.public_id}")


def links() -> Links:
    """The current app's links (during a request: to the address it came to, unless
    BASE_URL says otherwise)."""
    cfg = current_app.config
    return Links(base_url=base_url(), secret_key=cfg["SECRET_KEY"], city_name=cfg["CITY_NAME"])
