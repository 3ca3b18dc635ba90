"""Search keys: one folding applied to the data and to what a citizen types.

Lower case; ä, ö, ü → ae, oe, ue and ß → ss (other accents dropped); "Straße", "Strasse",
"Str." and "str" all become "str"; everything but letters and digits goes, spaces too, so
"Kaiser-Straße", "Kaiser Str." and "kaiserstr" are one street. House numbers are kept apart
(`split_query`), so "kaiserstr 12" looks for number 12… on streets starting "kaiserstr".
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_STRASSE = re.compile(r"strasse|str\b\.?")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
# A house number with an optional addition: "12", "12a", "12 a", "12-14" (kept whole).
_NUMBER = re.compile(r"^(\d+)\s*([A-Za-z]?)$")
_QUERY_NUMBER = re.compile(r"^(.*?\D)\s*(\d+\s*[A-Za-z]?)$")


@lru_cache(maxsize=65_536)  # an import folds each street name once, not once per house
def fold(text: str) -> str:
    """The search key of a street name (or of the street part of a query)."""
    text = unicodedata.normalize("NFC", text).lower().translate(_UMLAUTS)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = _STRASSE.sub("str", text)
    return _NOT_ALNUM.sub("", text)


def split_number(raw: str) -> tuple[str, str]:
    """A house number as written ("12a", "12 a") → ("12", "a"); others are kept whole."""
    raw = " ".join(raw.split())
    match = _NUMBER.match(raw)
    if match:
        return match.group(1), match.group(2).lower()
    return raw, ""


def number_value(number: str) -> int:
    """The number's leading digits, for ordering ("12-14" → 12, "" → 0)."""
    digits = re.match(r"\d+", number)
    return int(digits.group()) if digits else 0


def split_query(query: str) -> tuple[str, str]:
    """A typed query → (folded street part, folded house number part, possibly empty)."""
    query = " ".join(query.split())
    match = _QUERY_NUMBER.match(query)
    if match and fold(match.group(1)):
        return fold(match.group(1)), match.group(2).replace(" ", "").lower()
    return fold(query), ""


def prefix_bounds(prefix: str) -> tuple[str, str]:
    """[low, high) of every folded key starting with `prefix` (keys are [a-z0-9] only)."""
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)
