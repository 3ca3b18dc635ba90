"""Admin: the departments and categories of the city."""

from __future__ import annotations

from flask import Blueprint, jsonify
from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy import select

from ..accounts.auth import admin_required
from ..accounts.routes import body
from ..errors import ApiError, field_error
from ..extensions import db
from .models import Category, Department

bp = Blueprint("catalog_admin", __name__)
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


def department_out(d: Department) -> dict:
    return {
        "code": d.code,
        "name": {"de": d.name_de, "en": d.name_en},
        "email": d.email,
        "sla_hours": d.sla_hours,
        "sla_calendar": d.sla_calendar,
    }


def category_out(c: Category) -> dict:
    return {
        "code": c.code,
        "name": {"de": c.name_de, "en": c.name_en},
        "group": c.group,
        "default_department": c.default_department.code,
        "sla_hours": c.sla_hours,
        "icon": c.icon,
        "auto_publish": c.auto_publish,
        "active": c.active,
    }


def _department(code: str) -> Department:
    found = db.session.scalar(select(Department).where(Department.code == code))
    if found is None:
        raise field_error("default_department", "unknown_department", value=code)
    return found


@bp.get("/api/v1/admin/departments")
@admin_required
def list_departments():
    rows = db.session.scalars(select(Department).order_by(Department.code))
    return jsonify([department_out(d) for d in rows])


@bp.post("/api/v1/admin/departments")
@admin_required
def create_department():
    args = body(DepartmentIn())
    if db.session.scalar(select(Department.id).where(Department.code == args["code"])):
        raise field_error("code", "code_exists", status=409, value=args["code"])
    department = Department(**args)
    db.session.add(department)
    db.session.commit()
    return jsonify(department_out(department)), 201


@bp.get("/api/v1/admin/categories")
@admin_required
def list_categories():
    rows = db.session.scalars(select(Category).order_by(Category.position, Category.id))
    return jsonify([category_out(c) for c in rows])


@bp.post("/api/v1/admin/categories")
@admin_required
def create_category():
    args = body(CategoryIn())
    if db.session.scalar(select(Category.id).where(Category.code == args["code"])):
        raise field_error("code", "code_exists", status=409, value=args["code"])
    args["default_department_id"] = _department(args.pop("default_department")).id
    position = db.session.scalar(select(Category.position).order_by(Category.position.desc()))
    category = Category(**args, position=(position or 0) + 1)
    db.session.add(category)
    db.session.commit()
    return jsonify(category_out(category)), 201


@bp.patch("/api/v1/admin/categories/<code>")
@admin_required
def update_category(code: str):
    category = db.session.scalar(select(Category).where(Category.code == code))
    if category is None:
        raise ApiError(404, "not_found")
    args = body(CategoryPatch())
    if "code" in args and args["code"] != code:
        raise field_error("code", "code_immutable")
    args.pop("code", None)
    if "default_department" in args:
        category.default_department = _department(args.pop("default_department"))
    for key, value in args.items():
        setattr(category, key, value)
    db.session.commit()
    return jsonify(category_out(category))
