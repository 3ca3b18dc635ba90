"""Admin: the departments and categories of the city."""

from __future__ import annotations

from sqlalchemy import select

from ..accounts.auth import admin_required
from ..core.catalog import Category, Department
from ..errors import ApiError, field_error
from ..extensions import db
from ..web.api import Blueprint
from . import schemas

bp = Blueprint("catalog_admin", __name__)


def _department(code: str) -> Department:
    found = db.session.scalar(select(Department).where(Department.code == code))
    if found is None:
        raise field_error("default_department", "unknown_department", value=code)
    return found


@bp.get("/api/v1/admin/departments")
@admin_required
@bp.response(200, schemas.Department(many=True))
def list_departments():
    """Departments by code."""
    return db.session.scalars(select(Department).order_by(Department.code)).all()


@bp.post("/api/v1/admin/departments")
@admin_required
@bp.arguments(schemas.DepartmentIn)
@bp.response(201, schemas.Department)
@bp.errors(409)
def create_department(args: dict):
    """Create a department; `409` when the code exists."""
    if db.session.scalar(select(Department.id).where(Department.code == args["code"])):
        raise field_error("code", "code_exists", status=409, value=args["code"])
    department = Department(**args)
    db.session.add(department)
    db.session.commit()
    return department


@bp.get("/api/v1/admin/categories")
@admin_required
@bp.response(200, schemas.CategoryAdmin(many=True))
def list_categories():
    """Every category (inactive ones too) in display order."""
    return db.session.scalars(select(Category).order_by(Category.position, Category.id)).all()


@bp.post("/api/v1/admin/categories")
@admin_required
@bp.arguments(schemas.CategoryIn)
@bp.response(201, schemas.CategoryAdmin)
@bp.errors(409)
def create_category(args: dict):
    """Create a category (placed last); `409` when the code exists."""
    if db.session.scalar(select(Category.id).where(Category.code == args["code"])):
        raise field_error("code", "code_exists", status=409, value=args["code"])
    args["default_department_id"] = _department(args.pop("default_department")).id
    position = db.session.scalar(select(Category.position).order_by(Category.position.desc()))
    category = Category(**args, position=(position or 0) + 1)
    db.session.add(category)
    db.session.commit()
    return category


@bp.patch("/api/v1/admin/categories/<code>")
@admin_required
@bp.arguments(schemas.CategoryPatch)
@bp.response(200, schemas.CategoryAdmin)
@bp.errors(404)
def update_category(args: dict, code: str):
    """Change a category; the code itself cannot change."""
    category = db.session.scalar(select(Category).where(Category.code == code))
    if category is None:
        raise ApiError(404, "not_found")
    if "code" in args and args["code"] != code:
        raise field_error("code", "code_immutable")
    args.pop("code", None)
    if "default_department" in args:
        category.default_department = _department(args.pop("default_department"))
    for key, value in args.items():
        setattr(category, key, value)
    db.session.commit()
    return category
