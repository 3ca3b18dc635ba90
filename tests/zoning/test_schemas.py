"""The API's routing shapes name every key of what they dump: nothing the engine or the service
adds is dropped silently, and a rule keeps its plain form (unset conditions left out)."""

from __future__ import annotations

import dataclasses
import json

from maengelmelder.zoning import schemas, service
from maengelmelder.zoning.decision import Decision
from maengelmelder.zoning.rules import Rule, RuleSet, rule_set_to_dict


def _decision(rule: Rule | None) -> Decision:
    return Decision(
        department="tiefbau",
        rule_id=rule.id if rule else None,
        priority=rule.priority if rule else None,
        sla_hours=rule.sla_hours if rule else None,
        zones=("ost",),
        ruleset_version=3,
        rule=rule,
        zone_names=("Ost",),
        zone_kinds=("district",),
    )


def test_the_explanation_schema_dumps_the_stored_explanation_unchanged():
    rule = Rule(id="a", department="tiefbau", category="schlagloch", sla_hours=24.0)
    for decision in (_decision(rule), _decision(None)):
        explanation = decision.explanation()
        explanation["text"] = {"de": "d", "en": "e"}
        explanation["inside_city"] = True
        # An explanation without an external body (stored before rules could name one, or its
        # rule names none) reads `destination: null`.
        expected = {**explanation, "destination": None}
        assert schemas.RoutingExplanation().dump(explanation) == expected


def test_rules_keep_their_plain_form():
    rules = (
        Rule(id="a", department="tiefbau"),
        Rule(id="b", department="gruen", zone_kind="park", priority=1, sla_hours=24.0),
    )
    for version in (None, 4):
        rule_set = RuleSet(rules=rules, fallback_department="ordnung", version=version)
        plain = rule_set_to_dict(rule_set)
        assert json.dumps(schemas.RuleSet().dump(rule_set)) == json.dumps(plain)
    assert '"sla_hours": 24}' in json.dumps(schemas.Rule().dump(rules[1].to_dict()))  # not 24.0


def test_moves_and_zone_imports_dump_every_field():
    assert set(schemas.Move().fields) == {f.name for f in dataclasses.fields(service.Move)}
    result_keys = {f.name for f in dataclasses.fields(service.ZoneImport)}
    assert set(schemas.ZoneImportSummary().fields) == result_keys
    assert set(schemas.ZoneImportResult().fields) == result_keys | {"kind", "summary"}
