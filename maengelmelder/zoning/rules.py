"""Routing rules: which department handles which category where.

A rule names at most one category condition (``category`` or ``category_group``) and at
most one place condition (``zone`` key or ``zone_kind``); a missing condition means "any
category" / "anywhere". Its specificity is ``(zone_spec + category_spec, zone_spec)`` with
exact = 2, group/kind = 1, any = 0; the most specific matching rule wins and the earlier
rule wins a tie. No matching rule means the rule set's fallback department.

A rule may name a destination (an external body, by its id) besides or instead of a
department: intake hands its reports over to it (``copy_only``: the body gets a copy and the
ticket stays with the department). A rule with a destination and no department leaves the
ticket with the fallback department.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from maengelmelder.zoning.geometry import ZoningError

__all__ = ["Rule", "RuleSet", "parse_rule_set", "rule_set_to_dict"]

_RULE_KEYS = (
    "id",
    "department",
    "category",
    "category_group",
    "zone",
    "zone_kind",
    "priority",
    "sla_hours",
    "destination",
    "copy_only",
    "name",
)
_RULE_SET_KEYS = ("fallback_department", "rules", "version")
MAX_SLA_HOURS = 8760  # a year
MAX_NAME_LENGTH = 200
PRIORITY_LIMIT = 2**31


@dataclass(frozen=True)
class Rule:
    """One routing rule; unset conditions mean "any category" / "anywhere"."""

    id: str
    department: str | None
    category: str | None = None
    category_group: str | None = None
    zone: str | None = None
    zone_kind: str | None = None
    priority: int | None = None
    sla_hours: float | None = None
    destination: int | None = None  # an external body's id: intake hands the report over
    copy_only: bool | None = None  # with a destination: the body gets a copy only
    name: tuple[str, str] | None = None  # (German, English); None: generated from the conditions

    @property
    def category_spec(self) -> int:
        """Return 2 for an exact category, 1 for a category group, 0 for any category."""
        return 2 if self.category is not None else 1 if self.category_group is not None else 0

    @property
    def zone_spec(self) -> int:
        """Return 2 for an exact zone, 1 for a zone kind, 0 for anywhere."""
        return 2 if self.zone is not None else 1 if self.zone_kind is not None else 0

    @property
    def specificity(self) -> tuple[int, int]:
        """Return the ranking tuple (zone_spec + category_spec, zone_spec); higher wins."""
        return (self.zone_spec + self.category_spec, self.zone_spec)

    def to_dict(self) -> dict[str, Any]:
        """Return the rule as a plain dict with unset fields left out."""
        out: dict[str, Any] = {"id": self.id}
        if self.department is not None:
            out["department"] = self.department
        for key in _RULE_KEYS[2:-1]:
            value = getattr(self, key)
            if value is not None:
                if key == "sla_hours" and float(value).is_integer():
                    value = int(value)  # 24 rather than 24.0 in YAML/JSON
                out[key] = value
        if self.name is not None:
            out["name"] = {"de": self.name[0], "en": self.name[1]}
        return out


@dataclass(frozen=True)
class RuleSet:
    """An ordered tuple of rules plus the department that gets everything else."""

    rules: tuple[Rule, ...]
    fallback_department: str
    version: int | None = None


def _err(code: str, de: str, en: str, item: Any) -> ZoningError:
    return ZoningError(code, de, en, item)


def _optional_str(rule_id: str, key: str, value: Any) -> str | None:
    """Return a stripped string value, None for a missing one, or raise for other types."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise _err(
            "invalid_rule",
            f"Regel {rule_id}: „{key}“ muss ein nicht-leerer Text sein, nicht {value!r}.",
            f'Rule {rule_id}: "{key}" must be a non-empty string, not {value!r}.',
            rule_id,
        )
    return str(value).strip()


def _parse_name(rule_id: str, value: Any) -> tuple[str, str] | None:
    """Return a rule's (German, English) name: {de, en}, or one text for both languages."""
    if value is None:
        return None
    if isinstance(value, str):
        value = {"de": value, "en": value}
    if isinstance(value, Mapping) and set(value) <= {"de", "en"}:
        de, en = value.get("de"), value.get("en")
        if all(
            isinstance(v, str) and v.strip() and len(v.strip()) <= MAX_NAME_LENGTH for v in (de, en)
        ):
            return (de.strip(), en.strip())
    raise _err(
        "invalid_rule_name",
        f"Regel {rule_id}: „name“ braucht einen deutschen und einen englischen Namen "
        f"(de, en; je höchstens {MAX_NAME_LENGTH} Zeichen), nicht {value!r}.",
        f'Rule {rule_id}: "name" needs a German and an English name (de, en; at most '
        f"{MAX_NAME_LENGTH} characters each), not {value!r}.",
        rule_id,
    )


def _parse_rule(
    raw: Any,
    index: int,
    categories: Mapping[str, str],
    groups: frozenset[str],
    departments: Collection[str],
    zone_keys: Collection[str],
    zone_kinds: Collection[str],
) -> Rule:
    """Validate one rule dict against the known catalogues."""
    if not isinstance(raw, Mapping):
        raise _err(
            "invalid_rule",
            f"rules[{index}] ist kein Objekt (Schlüssel/Wert-Paare).",
            f"rules[{index}] is not an object (key/value pairs).",
            index,
        )
    rule_id = raw.get("id")
    if isinstance(rule_id, bool) or not isinstance(rule_id, str | int) or not str(rule_id).strip():
        raise _err(
            "missing_rule_id",
            f"rules[{index}] hat keine „id“.",
            f'rules[{index}] has no "id".',
            index,
        )
    rule_id = str(rule_id).strip()
    unknown = sorted(str(k) for k in raw if k not in _RULE_KEYS)
    if unknown:
        names = ", ".join(unknown)
        raise _err(
            "unknown_rule_key",
            f"Regel {rule_id}: unbekannte Schlüssel {names} (erlaubt: {', '.join(_RULE_KEYS)}).",
            f"Rule {rule_id}: unknown keys {names} (allowed: {', '.join(_RULE_KEYS)}).",
            rule_id,
        )
    values = {k: _optional_str(rule_id, k, raw.get(k)) for k in _RULE_KEYS[1:6]}
    department = values["department"]
    category, group = values["category"], values["category_group"]
    zone, zone_kind = values["zone"], values["zone_kind"]

    destination, copy_only = _parse_destination(rule_id, raw)
    if department is None and destination is None:
        raise _err(
            "missing_department",
            f"Regel {rule_id}: „department“ fehlt (oder „destination“, eine externe Stelle).",
            f'Rule {rule_id}: "department" is missing (or "destination", an external body).',
            rule_id,
        )
    if department is not None and department not in departments:
        raise _err(
            "unknown_department",
            f"Regel {rule_id}: unbekannte Dienststelle {department!r}.",
            f"Rule {rule_id}: unknown department {department!r}.",
            rule_id,
        )
    if category is not None and group is not None:
        raise _err(
            "conflicting_category",
            f"Regel {rule_id}: nur eines von „category“ ({category}) und „category_group“ "
            f"({group}) ist erlaubt.",
            f'Rule {rule_id}: only one of "category" ({category}) and "category_group" '
            f"({group}) is allowed.",
            rule_id,
        )
    if zone is not None and zone_kind is not None:
        raise _err(
            "conflicting_zone",
            f"Regel {rule_id}: nur eines von „zone“ ({zone}) und „zone_kind“ ({zone_kind}) "
            "ist erlaubt.",
            f'Rule {rule_id}: only one of "zone" ({zone}) and "zone_kind" ({zone_kind}) '
            "is allowed.",
            rule_id,
        )
    checks = (
        ("unknown_category", category, categories, "Kategorie", "category"),
        ("unknown_category_group", group, groups, "Kategoriegruppe", "category group"),
        ("unknown_zone", zone, zone_keys, "Zone", "zone"),
        ("unknown_zone_kind", zone_kind, zone_kinds, "Zonenart", "zone kind"),
    )
    for code, value, known, what_de, what_en in checks:
        if value is not None and value not in known:
            raise _err(
                code,
                f"Regel {rule_id}: unbekannte {what_de} {value!r}.",
                f"Rule {rule_id}: unknown {what_en} {value!r}.",
                rule_id,
            )

    priority = raw.get("priority")
    if priority is not None and (
        isinstance(priority, bool)
        or not isinstance(priority, int)
        or not -PRIORITY_LIMIT <= priority < PRIORITY_LIMIT  # the column is a 32-bit integer
    ):
        raise _err(
            "invalid_priority",
            f"Regel {rule_id}: „priority“ muss eine ganze Zahl (32 Bit) sein, nicht {priority!r}.",
            f'Rule {rule_id}: "priority" must be a 32-bit integer, not {priority!r}.',
            rule_id,
        )
    sla = raw.get("sla_hours")
    if sla is not None:
        if (
            isinstance(sla, bool)
            or not isinstance(sla, int | float)
            or not math.isfinite(sla)
            or not 0 < sla <= MAX_SLA_HOURS  # deadlines must stay computable dates
        ):
            raise _err(
                "invalid_sla",
                f"Regel {rule_id}: „sla_hours“ muss eine Zahl größer 0 und höchstens "
                f"{MAX_SLA_HOURS} sein, nicht {sla!r}.",
                f'Rule {rule_id}: "sla_hours" must be a number greater than 0 and at most '
                f"{MAX_SLA_HOURS}, not {sla!r}.",
                rule_id,
            )
        sla = float(sla)
    return Rule(
        id=rule_id,
        department=department,
        category=category,
        category_group=group,
        zone=zone,
        zone_kind=zone_kind,
        priority=priority,
        sla_hours=sla,
        destination=destination,
        copy_only=copy_only,
        name=_parse_name(rule_id, raw.get("name")),
    )


def _parse_destination(rule_id: str, raw: Mapping) -> tuple[int | None, bool | None]:
    """A rule's destination (an external body's id, a number or a text of digits) and its
    `copy_only` flag (only with a destination)."""
    value, copy_only = raw.get("destination"), raw.get("copy_only")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int) or not 0 < value < PRIORITY_LIMIT
    ):
        raise _err(
            "invalid_destination",
            f"Regel {rule_id}: „destination“ muss die Nummer einer externen Stelle sein, "
            f"nicht {value!r}.",
            f'Rule {rule_id}: "destination" must be the id of an external body, not {value!r}.',
            rule_id,
        )
    if copy_only is not None and not isinstance(copy_only, bool):
        raise _err(
            "invalid_copy_only",
            f"Regel {rule_id}: „copy_only“ muss true oder false sein, nicht {copy_only!r}.",
            f'Rule {rule_id}: "copy_only" must be true or false, not {copy_only!r}.',
            rule_id,
        )
    if copy_only and value is None:
        raise _err(
            "invalid_copy_only",
            f"Regel {rule_id}: „copy_only“ gilt nur mit einer „destination“.",
            f'Rule {rule_id}: "copy_only" needs a "destination".',
            rule_id,
        )
    if value is None:
        return None, None
    return value, bool(copy_only)


def parse_rule_set(
    data: dict[str, Any],
    *,
    categories: Mapping[str, str],
    departments: Collection[str],
    zone_keys: Collection[str],
    zone_kinds: Collection[str],
) -> RuleSet:
    """Validate a rule-set dict (from JSON or YAML) against the known catalogues."""
    if not isinstance(data, Mapping):
        raise _err(
            "invalid_rule_set",
            "Der Regelsatz ist kein Objekt (Schlüssel/Wert-Paare).",
            "The rule set is not an object (key/value pairs).",
            None,
        )
    unknown = sorted(str(k) for k in data if k not in _RULE_SET_KEYS)
    if unknown:
        names = ", ".join(unknown)
        raise _err(
            "unknown_key",
            f"Regelsatz: unbekannte Schlüssel {names} (erlaubt: {', '.join(_RULE_SET_KEYS)}).",
            f"Rule set: unknown keys {names} (allowed: {', '.join(_RULE_SET_KEYS)}).",
            None,
        )
    fallback = data.get("fallback_department")
    if not isinstance(fallback, str) or not fallback.strip():
        raise _err(
            "no_fallback",
            "Der Regelsatz braucht eine Auffangzuständigkeit („fallback_department“).",
            'The rule set needs a fallback department ("fallback_department").',
            None,
        )
    fallback = fallback.strip()
    if fallback not in departments:
        raise _err(
            "unknown_department",
            f"Auffangzuständigkeit: unbekannte Dienststelle {fallback!r}.",
            f"Fallback department: unknown department {fallback!r}.",
            "fallback_department",
        )
    version = data.get("version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise _err(
            "invalid_version",
            f"„version“ muss eine ganze Zahl sein, nicht {version!r}.",
            f'"version" must be an integer, not {version!r}.',
            None,
        )
    raw_rules = data.get("rules", [])
    if raw_rules is None:
        raw_rules = []
    if not isinstance(raw_rules, list):
        raise _err(
            "rules_not_a_list",
            "„rules“ muss eine Liste sein.",
            '"rules" must be a list.',
            None,
        )
    groups = frozenset(categories.values())
    rules: list[Rule] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(raw_rules):
        rule = _parse_rule(raw, index, categories, groups, departments, zone_keys, zone_kinds)
        if rule.id in seen:
            raise _err(
                "duplicate_rule_id",
                f"Regel-ID {rule.id} kommt doppelt vor (rules[{seen[rule.id]}] und "
                f"rules[{index}]).",
                f"Rule id {rule.id} is used twice (rules[{seen[rule.id]}] and rules[{index}]).",
                rule.id,
            )
        seen[rule.id] = index
        rules.append(rule)
    return RuleSet(rules=tuple(rules), fallback_department=fallback, version=version)


def rule_set_to_dict(rs: RuleSet) -> dict[str, Any]:
    """Return the plain-dict form of a rule set; parse_rule_set() reads it back unchanged."""
    out: dict[str, Any] = {"fallback_department": rs.fallback_department}
    if rs.version is not None:
        out["version"] = rs.version
    out["rules"] = [rule.to_dict() for rule in rs.rules]
    return out
