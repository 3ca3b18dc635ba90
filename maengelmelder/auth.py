"""Access to the admin API: a configured bearer token (until staff accounts replace it)."""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable

from flask import current_app, request

from .errors import ApiError


def admin_required(view: Callable) -> Callable:
    """Allow the request only with `Authorization: Bearer <MAENGELMELDER_ADMIN_TOKEN>`."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        expected = current_app.config.get("ADMIN_TOKEN")
        if not expected:
            raise ApiError(403, "admin_disabled")
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), expected.encode()
        ):
            raise ApiError(401, "unauthorized", headers={"WWW-Authenticate": "Bearer"})
        return view(*args, **kwargs)

    return wrapped
