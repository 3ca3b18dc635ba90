"""Routing's API shapes: the explanation of a decision, zones, rule sets and their versions."""

from __future__ import annotations

from marshmallow import EXCLUDE, RAISE, Schema, fields, pre_dump, validate

from ..web.schemas import Message, Out, Ref, Time
from .rules import rule_set_to_dict

# -- in ---------------------------------------------------------------------------------------


class ExplainIn(Schema):
    class Meta:
        unknown = RAISE

    category = fields.String(required=True, validate=validate.Length(min=1, max=64))
    lat = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=-180, max=180))


class ZoneListArgs(Schema):
    class Meta:
        unknown = EXCLUDE  # other parameters are ignored

    kind = fields.String(metadata={"description": "only the zones of this kind"})
    simplify = fields.Float(
        validate=validate.Range(min=0, max=0.01),
        metadata={
            "description": "simplify each outline to this tolerance in degrees (0.0001 is about "
            "10 m), for drawing on a map; the stored zone is unchanged"
        },
    )


class ZoneImportArgs(Schema):
    class Meta:
        unknown = RAISE

    kind = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_-]{0,63}$"))
    make_valid = fields.Boolean(load_default=False)
    id_property = fields.String(load_default="id", validate=validate.Length(min=1, max=64))
    name_property = fields.String(load_default="name", validate=validate.Length(min=1, max=64))


class FeatureCollectionIn(Schema):
    """The body of a zone import, for the document: the view reads it with
    `geometry.parse_feature_collection`, whose errors name the offending feature."""

    class Meta:
        unknown = EXCLUDE
        description = "GeoJSON in WGS84; each feature a (Multi)Polygon with an id property."

    type = fields.String(required=True, validate=validate.OneOf(["FeatureCollection"]))
    features = fields.List(fields.Dict(), required=True)


class Number(fields.Float):
    """A number dumped as it is: 24 stays 24 and 24.0 stays 24.0 (`fields.Float` would
    write every number as a float)."""

    def _format_num(self, value):
        return value


class Rule(Schema):
    """One routing rule; an unset condition (left out) means any category or anywhere.
    Dumped from the plain form of a rule (`rules.Rule.to_dict`), which leaves out what is
    unset."""

    class Meta:
        unknown = EXCLUDE

    id = fields.String(required=True)
    department = fields.String(
        metadata={"description": "required unless `destination` is given (then: the fallback)"}
    )
    category = fields.String()
    category_group = fields.String()
    zone = fields.String()
    zone_kind = fields.String()
    priority = fields.Integer()
    sla_hours = Number()
    destination = fields.Integer(
        metadata={
            "description": "an external body's id (switched on): intake hands the rule's "
            "reports over to it"
        }
    )
    copy_only = fields.Boolean(
        metadata={"description": "with `destination`: the body gets a copy, the ticket stays"}
    )
    name = fields.Nested(
        Message, metadata={"description": "the rule's name; left out: named after its conditions"}
    )


class RuleSetIn(Schema):
    """A rule set as posted, for the document: the views read it with `rules.parse_rule_set`,
    whose errors name the offending rule."""

    class Meta:
        unknown = EXCLUDE

    fallback_department = fields.String(required=True)
    rules = fields.List(fields.Nested(Rule))
    version = fields.Raw(metadata={"description": "ignored (the server numbers versions)"})
    note = fields.String(metadata={"description": "only when applying"})


# -- out --------------------------------------------------------------------------------------


class RoutingZone(Out):
    """A zone the place lies in."""

    key = fields.String()
    name = fields.String()
    kind = fields.String()


class RoutingDestination(Out):
    """The external body the deciding rule names."""

    id = fields.Integer()
    name = fields.Nested(Message, allow_none=True)
    copy_only = fields.Boolean()
    rule_id = fields.String(metadata={"description": "the rule that names it"})
    active = fields.Boolean(metadata={"description": "false: switched off, nothing handed over"})


class RoutingExplanation(Out):
    """A routing decision and why, dumped from `service.route`'s explanation (the form the
    ticket stores as `routing`) plus whether the place lies inside the city."""

    department = fields.String()
    rule_id = fields.String(allow_none=True)
    rule = fields.Nested(Rule, allow_none=True)
    rule_name = fields.Nested(
        Message,
        allow_none=True,
        metadata={"description": "the rule's name, or one made of its conditions"},
    )
    priority = fields.Integer(allow_none=True)
    sla_hours = Number(allow_none=True)
    zones = fields.List(fields.Nested(RoutingZone))
    ruleset_version = fields.Integer(allow_none=True)
    fallback = fields.Boolean()
    text = fields.Nested(Message)
    destination = fields.Nested(
        RoutingDestination,
        allow_none=True,
        dump_default=None,
        metadata={"description": "the external body the deciding rule names; null: none"},
    )
    inside_city = fields.Boolean()


class ZoneProperties(Out):
    name = fields.String(allow_none=True)
    kind = fields.String()
    updated_at = Time(allow_none=True)


def _const(value: str) -> fields.Field:
    """A member that is always `value` (GeoJSON's `type`)."""
    return fields.Function(lambda _: value, metadata={"type": "string", "enum": [value]})


class _Itself(fields.Nested):
    """The object itself, dumped through the nested schema."""

    def get_value(self, obj, attr, accessor=None, default=None):
        return obj


class ZoneFeature(Out):
    """A stored zone as a GeoJSON feature; its key is the feature's id."""

    type = _const("Feature")
    id = fields.String(attribute="key")
    properties = _Itself(ZoneProperties)
    geometry = Ref("Geometry")


class ZoneFeatureCollection(Out):
    type = _const("FeatureCollection")
    features = fields.List(fields.Nested(ZoneFeature))


class ZoneImportSummary(Out):
    added = fields.Integer()
    changed = fields.Integer()
    removed = fields.Integer()
    unchanged = fields.Integer()


class ZoneImportResult(Out):
    """What an import did (`service.ZoneImport`), by zone key."""

    kind = fields.String()
    summary = fields.Nested(ZoneImportSummary)
    added = fields.List(fields.String())
    changed = fields.List(fields.String())
    removed = fields.List(fields.String())
    unchanged = fields.List(fields.String())


class RuleSet(Schema):
    """A rule set in its plain form (`rules.rule_set_to_dict`, what a version stores)."""

    class Meta:
        unknown = EXCLUDE

    fallback_department = fields.String(required=True)
    version = fields.Integer(allow_none=True)
    rules = fields.List(fields.Nested(Rule), required=True)

    @pre_dump
    def _plain(self, rule_set, **kwargs):
        return rule_set_to_dict(rule_set)


class RuleVersionInfo(Out):
    """A stored rule set version (`models.RuleSetVersion`)."""

    version = fields.Integer(allow_none=True)
    created_at = Time(allow_none=True)
    created_by = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class RuleSetVersion(Out):
    """The rule set in force with its stored version (`service.VersionInForce`); `implicit`
    with null version fields while no rule set is stored and each category goes to its
    default department."""

    version = fields.Integer(allow_none=True, attribute="stored.version", dump_default=None)
    created_at = Time(allow_none=True, attribute="stored.created_at", dump_default=None)
    created_by = fields.String(allow_none=True, attribute="stored.created_by", dump_default=None)
    note = fields.String(allow_none=True, attribute="stored.note", dump_default=None)
    implicit = fields.Boolean()
    rules = fields.Nested(RuleSet, attribute="rule_set")


class Move(Out):
    """An open ticket a rule set gives to another department (`service.Move`)."""

    public_id = fields.String()
    category = fields.String()
    from_department = fields.String()
    to_department = fields.String()
    rule_id = fields.String(allow_none=True)


class RuleSetApplied(RuleSetVersion):
    """The new version in force and the tickets it moved."""

    moves = fields.List(fields.Nested(Move))


class DryRun(Out):
    moves = fields.List(fields.Nested(Move))
    count = fields.Integer()


class CodeName(Out):
    """A code and its name in German and English."""

    code = fields.String()
    name = fields.Nested(Message)


class CategoryName(CodeName):
    group = fields.String()


class ZoneName(Out):
    key = fields.String()
    kind = fields.String()
    name = fields.String(
        metadata={"description": "the zone's name (a place name, one for both languages)"}
    )


class RuleName(Out):
    id = fields.String()
    name = fields.Nested(Message)


class StaffNames(Out):
    """Every code the staff app shows, with its name: the catalogue, the zones, and the rules of
    every rule-set version (tickets keep the version that routed them)."""

    departments = fields.List(fields.Nested(CodeName))
    categories = fields.List(fields.Nested(CategoryName))
    groups = fields.List(fields.Nested(CodeName))
    zones = fields.List(fields.Nested(ZoneName))
    zone_kinds = fields.List(fields.Nested(CodeName))
    rules = fields.List(fields.Nested(RuleName))
