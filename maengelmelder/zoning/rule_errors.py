"""The rules admin API's inputs and errors: a refused rule set answered per row and field, and
a rule set read from an uploaded YAML file."""

from __future__ import annotations

from typing import Any

import yaml

from ..errors import ApiError
from .geometry import ZoningError

MAX_YAML_BYTES = 1024 * 1024

# Which field of a rule an error code is about (the form shows the message beside it).
_FIELD_OF = {
    "missing_rule_id": "id",
    "duplicate_rule_id": "id",
    "unknown_rule_key": "id",
    "invalid_rule": "id",
    "missing_department": "department",
    "unknown_department": "department",
    "conflicting_category": "category",
    "unknown_category": "category",
    "unknown_category_group": "category",
    "conflicting_zone": "zone",
    "unknown_zone": "zone",
    "unknown_zone_kind": "zone",
    "invalid_priority": "priority",
    "invalid_sla": "sla_hours",
    "invalid_rule_name": "name",
    "invalid_destination": "destination",
    "unknown_destination": "destination",
    "inactive_destination": "destination",
    "invalid_copy_only": "copy_only",
}


def _rule_index(body: Any, item: Any, code: str) -> int | None:
    """The position of the rule an error names (by index, or by id: the second of a duplicate)."""
    rules = body.get("rules") if isinstance(body, dict) else None
    if not isinstance(rules, list):
        return None
    if isinstance(item, int) and not isinstance(item, bool):
        return item if 0 <= item < len(rules) else None
    found = [
        i
        for i, rule in enumerate(rules)
        if isinstance(rule, dict) and str(rule.get("id", "")).strip() == str(item)
    ]
    if not found:
        return None
    return found[1] if code == "duplicate_rule_id" and len(found) > 1 else found[0]


def rule_set_error(exc: ZoningError, body: Any) -> ApiError:
    """A refused rule set as a 422 naming the offending item, with the message also under the
    field it is about (`rules.<index>.<field>`, or `fallback_department`)."""
    fields: dict[str, list] = {}
    if exc.item == "fallback_department" or exc.code == "no_fallback":
        fields["fallback_department"] = [exc.message]
    else:
        index = _rule_index(body, exc.item, exc.code)
        if index is not None:
            fields[f"rules.{index}.{_FIELD_OF.get(exc.code, 'id')}"] = [exc.message]
    return ApiError(422, exc.code, exc.message, fields=fields or None, extra={"item": exc.item})


def read_yaml_rule_set(data: bytes) -> dict:
    """A rule set from a YAML file's bytes (the form `rules show` writes); 422 if it is none."""
    if len(data) > MAX_YAML_BYTES:
        raise ZoningError(
            "rules_file_too_large",
            "Die Regeldatei ist größer als 1 MiB.",
            "The rules file is larger than 1 MiB.",
        )
    try:
        parsed = yaml.safe_load(data.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (Zeile {where.line + 1})" if where else ""
        line_en = f" (line {where.line + 1})" if where else ""
        raise ZoningError(
            "invalid_yaml",
            f"Die Datei ist kein gültiges YAML{line}.",
            f"The file is not valid YAML{line_en}.",
        ) from exc
    if not isinstance(parsed, dict):
        raise ZoningError(
            "invalid_rule_set",
            "Die Datei enthält keinen Regelsatz (Schlüssel/Wert-Paare).",
            "The file holds no rule set (key/value pairs).",
        )
    return parsed
