"""Departments and the categories citizens choose from."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


class Department(db.Model):
    """A unit of the city administration that fixes defects (Amt, Betrieb)."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_de: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    # The department's own promise (hours and calendar); unset: the category's and the city's.
    sla_hours: Mapped[int | None] = mapped_column(Integer)
    sla_calendar: Mapped[str | None] = mapped_column(String(16))

    def names(self) -> dict[str, str]:
        return {"de": self.name_de, "en": self.name_en}


class Category(db.Model):
    """A kind of defect a citizen can report, with its default department and SLA."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_de: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    group: Mapped[str] = mapped_column(String(64), index=True)
    default_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    sla_hours: Mapped[int] = mapped_column(Integer, default=48)
    icon: Mapped[str] = mapped_column(String(64), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Publish citizen text and photos without staff approval (e.g. for street lights).
    auto_publish: Mapped[bool] = mapped_column(Boolean, default=False)

    default_department: Mapped[Department] = relationship(lazy="joined")

    def names(self) -> dict[str, str]:
        return {"de": self.name_de, "en": self.name_en}


class CatalogState(db.Model):
    """One row: the token of the catalogue's current state (see `catalog.generation`)."""

    __tablename__ = "catalog_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64))
