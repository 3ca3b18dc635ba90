"""Readable names for what routing talks about: categories, groups, zones, zone kinds, rules.

Pure (no database): the service fills a `NameBook` from the catalogue. A code nobody named is
shown as a readable phrase ("park-sauberkeit" → "Park sauberkeit"); a rule without a name of
its own is named after its conditions ("Sauberkeit in Stadtpark"), never by its id alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from maengelmelder.zoning.rules import Rule

__all__ = ["ZONE_KIND_NAMES", "NameBook", "readable"]

Bilingual = Mapping[str, str]

ZONE_KIND_NAMES: dict[str, dict[str, str]] = {
    "district": {"de": "Stadtteil", "en": "District"},
    "area": {"de": "Gebiet", "en": "Area"},
    "park": {"de": "Park", "en": "Park"},
}

_ANY_CATEGORY = {"de": "Alle Kategorien", "en": "All categories"}
_IN = {"de": "in", "en": "in"}


def readable(code: str) -> str:
    """A code as a readable phrase: "park-sauberkeit" → "Park sauberkeit"."""
    words = [w for w in re.split(r"[\s._:/-]+", code) if w]
    if not words:
        return code
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def _pick(names: Bilingual | None, lang: str) -> str | None:
    if not names:
        return None
    return names.get(lang) or names.get("de") or names.get("en")


@dataclass(frozen=True)
class NameBook:
    """The names of the catalogue's codes, in German and English."""

    categories: Mapping[str, Bilingual] = field(default_factory=dict)
    groups: Mapping[str, Bilingual] = field(default_factory=dict)
    zones: Mapping[str, str] = field(default_factory=dict)
    zone_kinds: Mapping[str, Bilingual] = field(default_factory=lambda: ZONE_KIND_NAMES)

    def category(self, code: str, lang: str) -> str:
        return _pick(self.categories.get(code), lang) or readable(code)

    def group(self, code: str, lang: str) -> str:
        return _pick(self.groups.get(code), lang) or readable(code)

    def zone(self, key: str) -> str:
        return self.zones.get(key) or readable(key)

    def zone_kind(self, kind: str, lang: str) -> str:
        return _pick(self.zone_kinds.get(kind) or ZONE_KIND_NAMES.get(kind), lang) or readable(kind)

    def rule(self, rule: Rule, lang: str) -> str:
        """The rule's own name, or one made of its conditions ("Sauberkeit in Stadtpark")."""
        if rule.name is not None:
            return rule.name[0] if lang == "de" else rule.name[1]
        if rule.category is not None:
            what = self.category(rule.category, lang)
        elif rule.category_group is not None:
            what = self.group(rule.category_group, lang)
        else:
            what = _ANY_CATEGORY[lang]
        if rule.zone is not None:
            return f"{what} {_IN[lang]} {self.zone(rule.zone)}"
        if rule.zone_kind is not None:
            return f"{what} {_IN[lang]} {self.zone_kind(rule.zone_kind, lang)}"
        return what

    def rule_names(self, rule: Rule) -> dict[str, str]:
        """The rule's name in both languages."""
        return {lang: self.rule(rule, lang) for lang in ("de", "en")}
