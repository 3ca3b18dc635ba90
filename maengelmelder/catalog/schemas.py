"""The catalogue's API shapes: departments and categories, in and out."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from ..web.schemas import Localized, Out

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
