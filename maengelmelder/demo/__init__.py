"""The demo city 'Musterstadt': hand-made boundary, departments, categories and zones."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.catalog import Category, Department

HERE = Path(__file__).parent


def load_catalog(session: Session, data: dict) -> dict[str, int]:
    """Create or update departments and categories by code; returns counts."""
    departments = {d.code: d for d in session.scalars(select(Department))}
    for item in data["departments"]:
        dep = departments.get(item["code"]) or Department(code=item["code"])
        dep.name_de, dep.name_en, dep.email = item["name_de"], item["name_en"], item.get("email")
        session.add(dep)
        departments[dep.code] = dep
    session.flush()
    categories = {c.code: c for c in session.scalars(select(Category))}
    for position, item in enumerate(data["categories"]):
        cat = categories.get(item["code"]) or Category(code=item["code"])
        cat.name_de, cat.name_en, cat.group = item["name_de"], item["name_en"], item["group"]
        cat.default_department_id = departments[item["department"]].id
        cat.sla_hours = item.get("sla_hours", 48)
        cat.icon = item.get("icon", "")
        cat.position = position
        cat.active = True
        cat.auto_publish = item.get("auto_publish", False)
        session.add(cat)
    session.flush()
    return {"departments": len(data["departments"]), "categories": len(data["categories"])}


def demo_catalog() -> dict:
    """The demo city's departments and categories."""
    return json.loads((HERE / "catalog.json").read_text(encoding="utf-8"))


def zone_files() -> dict[str, Path]:
    """The demo zone files by zone kind."""
    return {"district": HERE / "districts.geojson", "area": HERE / "areas.geojson"}


def demo_rules() -> dict:
    """The demo city's routing rules."""
    return yaml.safe_load((HERE / "rules.yaml").read_text(encoding="utf-8"))


def load_demo(
    session: Session, now: datetime | None = None, *, addresses: bool = False
) -> dict[str, int]:
    """Load the whole demo city; running it again changes nothing.

    With `addresses`, also its streets and house numbers over the app's city boundary
    (demo/addresses.py; a few thousand houses, so tests leave them out).
    """
    from ..clock import system_clock
    from ..zoning import service as zoning
    from ..zoning.geometry import parse_feature_collection

    now = now or system_clock()
    counts = load_catalog(session, demo_catalog())
    zones = 0
    for kind, path in zone_files().items():
        shapes = parse_feature_collection(json.loads(path.read_text("utf-8")), kind=kind)
        zoning.import_zones(session, shapes, kind=kind, now=now)
        zones += len(shapes)
    counts["zones"] = zones
    rules = zoning.validate_rule_set(session, demo_rules())
    latest = zoning.latest_version(session)
    if latest is None or latest.data != zoning.rule_set_to_dict(rules):
        zoning.apply_rule_set(session, demo_rules(), actor="demo", now=now, note="demo city")
    counts["rules"] = len(rules.rules)
    if addresses:
        from ..city import city
        from .addresses import load_demo_addresses

        counts["addresses"] = load_demo_addresses(session, city().boundary).read
    return counts
