"""CSV cells that a spreadsheet would run as a formula are written as text.

Excel and LibreOffice evaluate a cell that starts with ``=``, ``+``, ``-`` or ``@`` (also
after a tab or carriage return) as a formula, so a citizen's text such as
``=HYPERLINK("http://evil.example","Klick")`` would become a live link, or worse, in the
spreadsheet of whoever opens an export. Such text cells get a leading apostrophe (OWASP's
advice): spreadsheets show the text as it was written and run nothing. Numbers stay numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# RFC 4180's line end. Python's csv module quotes a cell only for the characters of its line
# terminator: with "\n" alone a carriage return in a citizen's text went out unquoted and
# started a new row in the reader (a row of the citizen's making, formula and all).
LINE_END = "\r\n"


def cell(value: Any) -> Any:
    """A value as a CSV cell: text that starts like a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def row(values: Mapping[str, Any]) -> dict[str, Any]:
    """A CSV row (column -> value) with every text cell made safe."""
    return {key: cell(value) for key, value in values.items()}
