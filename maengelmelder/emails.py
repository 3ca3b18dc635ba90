"""E-mail addresses as lookup keys, the same on SQLite and PostgreSQL.

An address is stored as the citizen typed it (mails go to exactly that), and next to it as a
key: Unicode-normalised (NFC) and case-folded in Python. Erasure, confirmations and the block
list compare keys, never `lower()` in SQL: SQLite's `lower()` folds only ASCII, so
`ÄNNE@example.org` and `änne@example.org` were two people there and one on PostgreSQL.
"""

from __future__ import annotations

import re
import unicodedata

# Anything that looks like an address in free text (SMTP replies, exception messages).
_ADDRESS_IN_TEXT = re.compile(r"[^\s<>()\[\]{}'\",;:]+@[^\s<>()\[\]{}'\",;:]+")
REDACTED = "<address>"


def email_key(address: str | None) -> str | None:
    """The key an address is found by: trimmed, NFC, case-folded; None for no address."""
    if address is None:
        return None
    # NFC again after folding, so a key is its own key.
    key = unicodedata.normalize("NFC", unicodedata.normalize("NFC", address.strip()).casefold())
    return key or None


def redact(text: str, *addresses: str | None) -> str:
    """`text` with the given addresses (in any case) and anything address-like replaced.

    For log lines and stored error texts: an SMTP server's reply or an exception may quote the
    recipient, which is personal data.
    """
    for address in addresses:
        if address:
            text = re.sub(re.escape(address.strip()), REDACTED, text, flags=re.IGNORECASE)
    return _ADDRESS_IN_TEXT.sub(REDACTED, text)
