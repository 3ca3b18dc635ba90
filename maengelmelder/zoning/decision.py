"""A routing decision: the department, the rule that chose it, the zones, and why in words."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from maengelmelder.zoning.names import NameBook
from maengelmelder.zoning.rules import Rule

_CATEGORY_TEXT = {
    "de": ("alle Kategorien", "Kategoriegruppe {}", "Kategorie {}"),
    "en": ("any category", "category group {}", "category {}"),
}
_ZONE_TEXT = {
    "de": ("überall", "in Zonenart {kind} ({name})", "in Zone {name}"),
    "en": ("anywhere", "in zone kind {kind} ({name})", "in zone {name}"),
}


@dataclass(frozen=True, slots=True)
class Decision:
    """Which department handles a report, by which rule, and the zones the point is in."""

    department: str
    rule_id: str | None
    priority: int | None
    sla_hours: float | None
    zones: tuple[str, ...]
    ruleset_version: int | None
    rule: Rule | None = field(default=None, repr=False)
    zone_names: tuple[str, ...] = field(default=(), repr=False)
    zone_kinds: tuple[str, ...] = field(default=(), repr=False)

    @property
    def fallback(self) -> bool:
        """Return True when no rule matched and the fallback department was chosen."""
        return self.rule_id is None

    def explanation(self) -> dict[str, Any]:
        """Return a JSON-serialisable account of the decision (for audit logs and the UI)."""
        return {
            "department": self.department,
            "rule_id": self.rule_id,
            "rule": self.rule.to_dict() if self.rule is not None else None,
            "priority": self.priority,
            "sla_hours": self.sla_hours,
            "zones": [
                {"key": key, "name": name, "kind": kind}
                for key, name, kind in zip(
                    self.zones, self.zone_names, self.zone_kinds, strict=True
                )
            ],
            "ruleset_version": self.ruleset_version,
            "fallback": self.fallback,
        }

    def describe(
        self,
        lang: str,
        department_name: str | None = None,
        zone_names: Mapping[str, str] | None = None,
        names: NameBook | None = None,
    ) -> str:
        """Return a one-line human explanation in German ("de") or English ("en").

        Categories, groups, zone kinds and the rule are named from `names` (readable
        phrases of their codes without it).
        """
        lang = lang.split("-")[0].split("_")[0].lower()
        if lang not in _CATEGORY_TEXT:
            raise ValueError(f"unsupported language {lang!r}; use 'de' or 'en'")
        department = department_name or self.department
        rule = self.rule
        if rule is None:
            if lang == "de":
                return f"{department}: keine Regel passt, Auffangzuständigkeit"
            return f"{department}: no rule matched, fallback department"
        zones = dict(zip(self.zones, self.zone_names, strict=True))
        zones.update(zone_names or {})
        book = names or NameBook(zones=zones)
        if rule.category is not None:
            value = book.category(rule.category, lang)
        elif rule.category_group is not None:
            value = book.group(rule.category_group, lang)
        else:
            value = ""
        category = _CATEGORY_TEXT[lang][rule.category_spec].format(value)
        if rule.zone is not None:
            key = rule.zone
        elif rule.zone_kind is not None:
            key = self.zones[self.zone_kinds.index(rule.zone_kind)]
        else:
            key = ""
        kind = book.zone_kind(rule.zone_kind, lang) if rule.zone_kind is not None else None
        place = _ZONE_TEXT[lang][rule.zone_spec].format(
            kind=kind, name=zones.get(key) or book.zone(key)
        )
        rule_name = book.rule(rule, lang)
        if lang == "de":
            return f"{department}: Regel „{rule_name}“ — {category} {place}"
        return f"{department}: rule “{rule_name}” — {category} {place}"
