"""The secret link an e-mail body answers through (`/extern/<token>`).

The token is derived from the app's secret key and the delivery's key (so the mail, built
later by the job, can carry it) and stored only as its SHA-256, to find the delivery by. It
stops working when the ticket is closed.
"""

from __future__ import annotations

import base64
import hmac

from ..core.tokens import token_hash


def link_token(secret_key: str, delivery_key: str) -> str:
    digest = hmac.new(secret_key.encode(), b"extern:" + delivery_key.encode(), "sha256")
    return base64.urlsafe_b64encode(digest.digest()[:24]).decode().rstrip("=")


def link_hash(secret_key: str, delivery_key: str) -> str:
    return token_hash(link_token(secret_key, delivery_key))


def form_nonce(secret_key: str, delivery_key: str, version: int) -> str:
    """The page's form field: valid for the ticket's version it was shown at, so a form sent
    twice (or from a page that is out of date) changes the ticket once."""
    mac = hmac.new(secret_key.encode(), f"extern-form:{delivery_key}:{version}".encode(), "sha256")
    return mac.hexdigest()
