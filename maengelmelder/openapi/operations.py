"""Every operation of the document, in the order the document lists them."""

from __future__ import annotations

from typing import Any

from .operations_public import docs_operation, public_operations
from .operations_staff import staff_operations


def all_operations() -> list[tuple[str, str, dict[str, Any]]]:
    """(path, method, operation) of every described endpoint; new endpoints go in a feature
    module (`operations_public`, `operations_staff`)."""
    return [
        *public_operations(),
        *staff_operations(),
        docs_operation(),
    ]
