"""A report's tracking token: the secret in its tracking link, stored only as a digest."""

from __future__ import annotations

import base64
import hashlib
import hmac


def token_hash(token: str) -> str:
    """How tracking tokens are stored: only their SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


def tracking_token(secret_key: str, salt: str) -> str:
    """The tracking token of a report: HMAC(secret key, the report's random salt)."""
    digest = hmac.new(secret_key.encode(), b"track:" + salt.encode(), "sha256")
    return base64.urlsafe_b64encode(digest.digest()[:24]).decode().rstrip("=")
