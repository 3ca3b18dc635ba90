"""Every operation of the document, in the order the document lists them."""

from __future__ import annotations

from typing import Any

from .operations_public import docs_operation, public_operations


def all_operations() -> list[tuple[str, str, dict[str, Any]]]:
    """(path, method, operation) of every described endpoint; new endpoints go in a feature
    module (`operations_public`)."""
    return [
        *public_operations(),
        docs_operation(),
    ]
