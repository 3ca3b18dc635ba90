"""The catalogue's API shapes: departments and categories, in and out; the city."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from ..web.schemas import Localized, Out, Ref

CODE = validate.Regexp(r"^[a-z][a-z0-9_-]{0,63}$")
NAME = validate.Length(min=1, max=200)


class DepartmentIn(Schema):
    class Meta:
        unknown = RAISE

    code = fields.String(required=True, validate=CODE)
    name_de = fields.String(required=True, validate=NAME)
    name_en = fields.String(required=True, validate=NAME)
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))
    sla_hours = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=1, max=8760)
    )
    sla_calendar = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(["wall", "business"])
    )


class CategoryIn(Schema):
    class Meta:
        unknown = RAISE

    code = fields.String(required=True, validate=CODE)
    name_de = fields.String(required=True, validate=NAME)
    name_en = fields.String(required=True, validate=NAME)
    group = fields.String(required=True, validate=CODE)
    default_department = fields.String(required=True, validate=CODE)
    sla_hours = fields.Integer(load_default=48, validate=validate.Range(min=1, max=24 * 365))
    icon = fields.String(load_default="", validate=validate.Length(max=64))
    auto_publish = fields.Boolean(load_default=False)
    active = fields.Boolean(load_default=True)


class CategoryPatch(CategoryIn):
    class Meta:
        unknown = RAISE

    code = fields.String(validate=CODE)
    name_de = fields.String(validate=NAME)
    name_en = fields.String(validate=NAME)
    group = fields.String(validate=CODE)
    default_department = fields.String(validate=CODE)
    sla_hours = fields.Integer(validate=validate.Range(min=1, max=24 * 365))
    icon = fields.String(validate=validate.Length(max=64))
    auto_publish = fields.Boolean()
    active = fields.Boolean()


class Department(Out):
    """A department as the admin sees it."""

    code = fields.String()
    name = Localized()
    email = fields.String(allow_none=True)
    sla_hours = fields.Integer(
        allow_none=True,
        metadata={"description": "the department's own promise; null: the category's"},
    )
    sla_calendar = fields.String(allow_none=True, validate=validate.OneOf(["wall", "business"]))


class CategoryAdmin(Out):
    """A category as the admin sees it (inactive ones too)."""

    code = fields.String()
    name = Localized()
    group = fields.String()
    default_department = fields.Function(
        lambda c: c.default_department.code,
        metadata={"type": "string", "description": "the department's code"},
    )
    sla_hours = fields.Integer()
    icon = fields.String()
    auto_publish = fields.Boolean()
    active = fields.Boolean()


# -- public ----------------------------------------------------------------------------------


class DepartmentRef(Out):
    """A department as the public sees it: its code and name."""

    code = fields.String()
    name = Localized()


class CategoryRef(Out):
    """A report's category as the public sees it."""

    code = fields.String()
    name = Localized()
    group = fields.String()


class CategoryOut(Out):
    """An active category as the citizen app offers it."""

    code = fields.String()
    name = Localized()
    group = fields.String()
    icon = fields.String()
    sla_hours = fields.Integer()
    department = fields.Nested(DepartmentRef, attribute="default_department")


class Centre(Out):
    """A point to centre the map on."""

    lat = fields.Float()
    lon = fields.Float()


class Tiles(Out):
    """The map's tile server."""

    url = fields.String()
    attribution = fields.String()


class City(Out):
    """The city the service is for."""

    name = fields.String()
    boundary = Ref("Geometry")
    centre = fields.Nested(Centre)
    bbox = fields.List(
        fields.Float(),
        validate=validate.Length(equal=4),
        metadata={"description": "min lon, min lat, max lon, max lat"},
    )
    tiles = fields.Nested(Tiles)
