"""Parsing and validating routing rule sets."""

from __future__ import annotations

import math
from typing import Any

import pytest
import yaml

from maengelmelder.zoning.engine import (
    Rule,
    RuleSet,
    ZoningError,
    parse_rule_set,
    rule_set_to_dict,
)

CATEGORIES = {"schlagloch": "strasse", "ampel": "strasse", "baum": "gruen", "muell": "sauberkeit"}
DEPARTMENTS = {"tiefbau", "gruenflaechen", "stadtreinigung", "buergerservice"}
ZONE_KEYS = {"stadtpark", "nordend"}
ZONE_KINDS = {"park", "district"}


def parse(data: dict[str, Any]) -> RuleSet:
    return parse_rule_set(
        data,
        categories=CATEGORIES,
        departments=DEPARTMENTS,
        zone_keys=ZONE_KEYS,
        zone_kinds=ZONE_KINDS,
    )


def refused(data: Any, code: str) -> ZoningError:
    with pytest.raises(ZoningError) as info:
        parse(data)
    assert info.value.code == code, info.value.message
    return info.value


def one_rule(**rule: Any) -> dict[str, Any]:
    return {"fallback_department": "buergerservice", "rules": [{"id": "r7", **rule}]}


VALID = {
    "fallback_department": "buergerservice",
    "version": 3,
    "rules": [
        {
            "id": "r7",
            "category_group": "gruen",
            "zone": "stadtpark",
            "department": "gruenflaechen",
            "priority": 2,
            "sla_hours": 24,
        },
        {"id": "r8", "category": "schlagloch", "department": "tiefbau", "sla_hours": 1.5},
        {"id": "r9", "zone_kind": "park", "department": "stadtreinigung"},
        {"id": "r10", "department": "tiefbau"},
    ],
}


def test_valid_rule_set_parses():
    rs = parse(VALID)
    assert rs.fallback_department == "buergerservice"
    assert rs.version == 3
    assert rs.rules[0] == Rule(
        id="r7",
        department="gruenflaechen",
        category_group="gruen",
        zone="stadtpark",
        priority=2,
        sla_hours=24.0,
    )
    assert [r.id for r in rs.rules] == ["r7", "r8", "r9", "r10"]
    assert rs.rules[3].category is None and rs.rules[3].zone is None


def test_rule_set_round_trips_through_dict_and_yaml():
    rs = parse(VALID)
    as_dict = rule_set_to_dict(rs)
    assert as_dict == VALID
    assert parse(as_dict) == rs
    assert parse(yaml.safe_load(yaml.safe_dump(as_dict, allow_unicode=True))) == rs


def test_specificity_of_rules():
    assert Rule("a", "d", category="x", zone="z").specificity == (4, 2)
    assert Rule("a", "d", category_group="g", zone_kind="k").specificity == (2, 1)
    assert Rule("a", "d", category="x").specificity == (2, 0)
    assert Rule("a", "d", zone="z").specificity == (2, 2)
    assert Rule("a", "d").specificity == (0, 0)


@pytest.mark.parametrize(
    "rule, code, mentioned",
    [
        ({"category": "kaugummi", "department": "tiefbau"}, "unknown_category", "kaugummi"),
        ({"category_group": "luft", "department": "tiefbau"}, "unknown_category_group", "luft"),
        ({"department": "feuerwehr"}, "unknown_department", "feuerwehr"),
        ({"zone": "mond", "department": "tiefbau"}, "unknown_zone", "mond"),
        ({"zone_kind": "see", "department": "tiefbau"}, "unknown_zone_kind", "see"),
        (
            {"category": "baum", "category_group": "gruen", "department": "tiefbau"},
            "conflicting_category",
            "category_group",
        ),
        (
            {"zone": "stadtpark", "zone_kind": "park", "department": "tiefbau"},
            "conflicting_zone",
            "zone_kind",
        ),
        ({"department": "tiefbau", "dept": "x", "prio": 1}, "unknown_rule_key", "prio"),
        ({"department": "tiefbau", "sla_hours": 0}, "invalid_sla", "0"),
        ({"department": "tiefbau", "sla_hours": -4}, "invalid_sla", "-4"),
        ({"department": "tiefbau", "sla_hours": "24h"}, "invalid_sla", "24h"),
        ({"department": "tiefbau", "sla_hours": True}, "invalid_sla", "True"),
        ({"department": "tiefbau", "sla_hours": math.nan}, "invalid_sla", "nan"),
        ({"department": "tiefbau", "priority": "hoch"}, "invalid_priority", "hoch"),
        ({"category": "baum"}, "missing_department", "department"),
        ({"department": "tiefbau", "zone": ""}, "invalid_rule", "zone"),
    ],
)
def test_bad_rules_are_refused_naming_rule_and_value(rule, code, mentioned):
    err = refused(one_rule(**rule), code)
    assert err.item == "r7"
    for lang in ("de", "en"):
        assert "r7" in err.message[lang]
        assert mentioned in err.message[lang]


def test_rule_without_id_is_named_by_position():
    data = {"fallback_department": "buergerservice", "rules": [{"department": "tiefbau"}]}
    err = refused(data, "missing_rule_id")
    assert err.item == 0
    assert "rules[0]" in err.message["de"] and "rules[0]" in err.message["en"]


def test_rule_that_is_not_a_mapping():
    err = refused({"fallback_department": "buergerservice", "rules": ["r1"]}, "invalid_rule")
    assert "rules[0]" in err.message["en"]


def test_duplicate_rule_id():
    data = {
        "fallback_department": "buergerservice",
        "rules": [
            {"id": "r1", "department": "tiefbau"},
            {"id": "r1", "department": "gruenflaechen"},
        ],
    }
    err = refused(data, "duplicate_rule_id")
    assert err.item == "r1"
    for lang in ("de", "en"):
        assert "r1" in err.message[lang] and "rules[1]" in err.message[lang]


@pytest.mark.parametrize("fallback", [None, "", "  "])
def test_missing_fallback(fallback):
    data = {"rules": []} if fallback is None else {"fallback_department": fallback, "rules": []}
    refused(data, "no_fallback")


def test_unknown_fallback_department():
    err = refused({"fallback_department": "feuerwehr", "rules": []}, "unknown_department")
    assert "feuerwehr" in err.message["de"] and "feuerwehr" in err.message["en"]


@pytest.mark.parametrize("rules", [{"id": "r1"}, "r1", 5])
def test_rules_must_be_a_list(rules):
    refused({"fallback_department": "buergerservice", "rules": rules}, "rules_not_a_list")


def test_unknown_top_level_key():
    err = refused({"fallback_department": "buergerservice", "fallback": "x"}, "unknown_key")
    assert "fallback" in err.message["en"]


def test_not_a_mapping():
    refused(["r1"], "invalid_rule_set")


def test_missing_rules_means_only_fallback():
    assert parse({"fallback_department": "buergerservice"}).rules == ()


def test_bad_version():
    refused({"fallback_department": "buergerservice", "version": "2"}, "invalid_version")
