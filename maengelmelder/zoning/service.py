"""Routing with the database: zones and rule sets in, decisions out, changes recorded.

The pure engine (geometry, rules, engine) knows nothing of the database; this module loads
what it needs, caches the built router per process and keeps the history.

Without any stored rule set the city routes by category: one implicit rule per category to
its default department. Once a rule set is stored, it alone decides (its fallback included).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..catalog import generation
from ..catalog.groups import group_names
from ..core import states
from ..core.catalog import Category, Department
from ..core.destinations import Destination
from ..core.events import TicketEvent
from ..core.models import Report
from ..errors import ApiError
from .engine import Decision, Router
from .geometry import ZoneShape, ZoningError
from .models import RuleSetVersion, Zone
from .names import NameBook
from .rules import Rule, RuleSet, parse_rule_set, rule_set_to_dict


def zoning_error(exc: ZoningError, status: int = 422) -> ApiError:
    """A ZoningError as an API error naming the offending item."""
    return ApiError(status, exc.code, exc.message, extra={"item": exc.item})


# -- loading ---------------------------------------------------------------------------------


def zone_shapes(session: Session) -> list[ZoneShape]:
    """Every stored zone as an engine shape."""
    from shapely.geometry import shape

    return [
        ZoneShape(key=z.key, name=z.name, kind=z.kind, geometry=shape(z.geometry))
        for z in session.scalars(select(Zone).order_by(Zone.key))
    ]


def category_groups(session: Session) -> dict[str, str]:
    return dict(session.execute(select(Category.code, Category.group)).all())


def _catalogue(session: Session) -> dict:
    zones = session.execute(select(Zone.key, Zone.kind)).all()
    return {
        "categories": category_groups(session),
        "departments": set(session.scalars(select(Department.code))),
        "zone_keys": {k for k, _ in zones},
        "zone_kinds": {kind for _, kind in zones},
    }


def implicit_rule_set(session: Session) -> RuleSet:
    """Route each category to its default department (used until a rule set is stored)."""
    rows = session.execute(
        select(Category.code, Department.code)
        .join(Department, Category.default_department_id == Department.id)
        .order_by(Category.code)
    ).all()
    fallback = session.scalar(select(Department.code).order_by(Department.id).limit(1))
    rules = tuple(Rule(id=f"category:{cat}", department=dep, category=cat) for cat, dep in rows)
    return RuleSet(rules=rules, fallback_department=fallback or "-", version=None)


def latest_version(session: Session) -> RuleSetVersion | None:
    return session.scalar(select(RuleSetVersion).order_by(RuleSetVersion.version.desc()).limit(1))


def current_rule_set(session: Session) -> RuleSet:
    """The rule set in force: the latest stored version, or the implicit one."""
    stored = latest_version(session)
    if stored is None:
        return implicit_rule_set(session)
    data = dict(stored.data, version=stored.version)
    return parse_rule_set(data, **_catalogue(session))


# -- the catalogue, cached per process ---------------------------------------------------------


@dataclass(frozen=True)
class Catalogue:
    """What intake reads from the catalogue, built once per change and shared by threads.

    Categories (with their default department) and departments are detached from any
    session: `session.merge(obj, load=False)` gives a request its own copy without a query.
    """

    router: Router
    categories: dict[str, Category]
    departments: dict[str, Department]
    names: NameBook = field(default_factory=NameBook)


_cache: dict[str, Catalogue] = {}
_cache_lock = threading.Lock()


def catalogue(session: Session) -> Catalogue:
    """The catalogue as it is now: one small read per call, a rebuild after each change."""
    conn = session.connection()
    key = generation.token(conn)
    if key is not None:
        with _cache_lock:
            built = _cache.get(key)
        if built is not None:
            return built
    # A session of its own, in the caller's transaction: the objects leave with it.
    with Session(bind=conn) as own:
        categories = list(own.scalars(select(Category)))
        departments = list(own.scalars(select(Department)))
        groups = {c.code: c.group for c in categories}
        shapes = zone_shapes(own)
        built = Catalogue(
            Router(shapes, current_rule_set(own), groups),
            {c.code: c for c in categories},
            {d.code: d for d in departments},
            name_book(categories, shapes),
        )
    if key is not None:  # without a token (its row gone) nothing can be known to be current
        with _cache_lock:
            _cache.clear()
            _cache[key] = built
    return built


def name_book(categories: Sequence[Category], zones: Sequence[ZoneShape]) -> NameBook:
    """The names of categories, their groups and zones, for explanations and the staff app."""
    return NameBook(
        categories={c.code: c.names() for c in categories},
        groups=group_names(categories),
        zones={z.key: z.name for z in zones},
    )


def router(session: Session) -> Router:
    """The router for the current zones, rules and categories (built once per change)."""
    return catalogue(session).router


# -- decisions --------------------------------------------------------------------------------


def explanation(
    session: Session,
    decision: Decision,
    dep: Department | None = None,
    names: NameBook | None = None,
    *,
    hand_over: bool = True,
) -> dict:
    """The stored form of a decision: the engine's explanation plus readable sentences.

    `dep` is the decision's department and `names` the catalogue's names when the caller has
    them at hand already. Without `hand_over` (a ticket moved by a new rule set, which hands
    nothing over) a destination the rule names is left out.
    """
    if dep is None or dep.code != decision.department:
        dep = session.scalar(select(Department).where(Department.code == decision.department))
    book = names if names is not None else catalogue(session).names
    dep_names = {"de": dep.name_de, "en": dep.name_en} if dep else {}
    out = decision.explanation()
    out["rule_name"] = book.rule_names(decision.rule) if decision.rule is not None else None
    out["text"] = {
        lang: decision.describe(lang, department_name=dep_names.get(lang), names=book)
        for lang in ("de", "en")
    }
    rule = decision.rule
    if hand_over and rule is not None and rule.destination is not None:
        _name_destination(session, out, rule)
    return out


_HANDED = {
    "de": (" — übergeben an {name} (Regel „{rule}“)", " — Kopie an {name} (Regel „{rule}“)"),
    "en": (" — handed to {name} (rule “{rule}”)", " — a copy to {name} (rule “{rule}”)"),
}
_NOT_HANDED = {
    "de": " — die externe Stelle {id} der Regel „{rule}“ ist abgeschaltet, keine Übergabe",
    "en": " — the rule “{rule}”'s external body {id} is switched off, no hand-over",
}


def _name_destination(session: Session, out: dict, rule: Rule) -> None:
    """Add the destination the deciding rule names to an explanation, and to its sentences."""
    target = session.get(Destination, rule.destination)
    usable = target is not None and target.active
    out["destination"] = {
        "id": rule.destination,
        "name": {"de": target.name_de, "en": target.name_en} if target is not None else None,
        "copy_only": bool(rule.copy_only),
        "rule_id": rule.id,
        "active": usable,
    }
    for lang in ("de", "en"):
        rule_name = (out["rule_name"] or {}).get(lang) or rule.id
        if usable:
            name = target.name_de if lang == "de" else target.name_en
            text = _HANDED[lang][bool(rule.copy_only)].format(name=name, rule=rule_name)
        else:
            text = _NOT_HANDED[lang].format(id=rule.destination, rule=rule_name)
        out["text"][lang] += text


def route(session: Session, category: str, lon: float, lat: float) -> tuple[Decision, dict]:
    """Decide the department of a report, with its explanation."""
    decision = router(session).route(lon, lat, category)
    return decision, explanation(session, decision)


# -- zones ------------------------------------------------------------------------------------


@dataclass
class ZoneImport:
    """What an import did, by zone key."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        return {k: len(v) for k, v in vars(self).items()}


def import_zones(
    session: Session, shapes: Sequence[ZoneShape], *, kind: str, now: datetime
) -> ZoneImport:
    """Make the zones of one kind exactly the given ones; all or nothing.

    Refused when a key belongs to a zone of another kind, or when the rule set in force
    names a zone (or kind) the import would remove.
    """
    result = ZoneImport()
    others = dict(session.execute(select(Zone.key, Zone.kind).where(Zone.kind != kind)).all())
    clash = next((s.key for s in shapes if s.key in others), None)
    if clash is not None:
        raise ZoningError(
            "duplicate_zone_key",
            f"Der Schlüssel {clash} gehört schon zu einer Zone der Art {others[clash]}.",
            f"The key {clash} already belongs to a zone of kind {others[clash]}.",
            clash,
        )
    rule_set = current_rule_set(session)
    existing = {z.key: z for z in session.scalars(select(Zone).where(Zone.kind == kind))}
    for shape in shapes:
        geometry = shape.to_geojson()
        zone = existing.pop(shape.key, None)
        if zone is None:
            session.add(
                Zone(key=shape.key, kind=kind, name=shape.name, geometry=geometry, updated_at=now)
            )
            result.added.append(shape.key)
        elif zone.name != shape.name or zone.geometry != geometry:
            zone.name, zone.geometry, zone.updated_at = shape.name, geometry, now
            result.changed.append(shape.key)
        else:
            result.unchanged.append(shape.key)
    for key, zone in existing.items():
        session.delete(zone)
        result.removed.append(key)
    session.flush()
    if rule_set.version is not None:
        # The rules in force must still make sense with the new zones.
        parse_rule_set(rule_set_to_dict(rule_set), **_catalogue(session))
    return result


# -- rule sets --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    """An open ticket a rule set would give to another department."""

    public_id: str
    category: str
    from_department: str
    to_department: str
    rule_id: str | None


@dataclass(frozen=True)
class VersionInForce:
    """A rule set version as the admin API shows it: the stored row (None while the implicit
    rule set routes), the rule set it puts in force, and the tickets applying it moved."""

    stored: RuleSetVersion | None
    rule_set: RuleSet
    moves: list[Move] = field(default_factory=list)

    @property
    def implicit(self) -> bool:
        return self.stored is None


def in_force(session: Session) -> VersionInForce:
    """The rule set in force and its stored version."""
    return VersionInForce(latest_version(session), current_rule_set(session))


def validate_rule_set(session: Session, data: dict) -> RuleSet:
    """Check a rule set against the stored categories, departments, zones and destinations
    (a rule's destination must exist and be switched on)."""
    data = {k: v for k, v in data.items() if k != "version"}
    rule_set = parse_rule_set(data, **_catalogue(session))
    named = {r.destination for r in rule_set.rules if r.destination is not None}
    if named:
        active = dict(
            session.execute(
                select(Destination.id, Destination.active).where(Destination.id.in_(named))
            ).all()
        )
        for rule in rule_set.rules:
            if rule.destination is None:
                continue
            if rule.destination not in active:
                raise ZoningError(
                    "unknown_destination",
                    f"Regel {rule.id}: keine externe Stelle mit der Nummer {rule.destination}.",
                    f"Rule {rule.id}: no external body with the id {rule.destination}.",
                    rule.id,
                )
            if not active[rule.destination]:
                raise ZoningError(
                    "inactive_destination",
                    f"Regel {rule.id}: die externe Stelle {rule.destination} ist abgeschaltet.",
                    f"Rule {rule.id}: the external body {rule.destination} is switched off.",
                    rule.id,
                )
    return rule_set


def plan_moves(session: Session, rule_set: RuleSet) -> tuple[list[Move], list, Router]:
    """Which open tickets the rule set would move, from which department to which."""
    engine = Router(zone_shapes(session), rule_set, category_groups(session))
    reports = list(
        session.scalars(select(Report).where(Report.status.in_(states.OPEN)).order_by(Report.id))
    )
    if not reports:
        return [], [], engine
    decisions = engine.route_many(
        [r.lon for r in reports], [r.lat for r in reports], [r.category.code for r in reports]
    )
    moves, moved = [], []
    for report, decision in zip(reports, decisions, strict=True):
        if decision.department != report.department.code:
            moves.append(
                Move(
                    report.public_id,
                    report.category.code,
                    report.department.code,
                    decision.department,
                    decision.rule_id,
                )
            )
            moved.append((report, decision))
    return moves, moved, engine


def store_rule_set(
    session: Session, data: dict, *, actor: str, now: datetime, note: str | None = None
) -> RuleSetVersion:
    """Validate and store a rule set as the next version; new reports are routed by it."""
    rule_set = validate_rule_set(session, data)
    previous = session.scalar(select(func.max(RuleSetVersion.version))) or 0
    stored = RuleSetVersion(
        version=previous + 1,
        data=rule_set_to_dict(rule_set),
        created_at=now,
        created_by=actor,
        note=note,
    )
    session.add(stored)
    session.flush()
    return stored


def apply_rule_set(
    session: Session, data: dict, *, actor: str, now: datetime, note: str | None = None
) -> tuple[RuleSetVersion, list[Move]]:
    """Store the rule set as a new version and move open tickets, recording each move."""
    stored = store_rule_set(session, data, actor=actor, now=now, note=note)
    rule_set = current_rule_set(session)
    moves, moved, _ = plan_moves(session, rule_set)
    departments = {d.code: d for d in session.scalars(select(Department))}
    for report, decision in moved:
        before = report.department.code
        report.department = departments[decision.department]
        report.routing = explanation(session, decision, hand_over=False)
        report.ruleset_version = stored.version
        report.updated_at = now
        report.events.append(
            TicketEvent(
                created_at=now,
                actor=actor,
                kind="forwarded",
                from_status=report.status,
                to_status=report.status,
                internal_note=report.routing["text"]["de"],
                data={
                    "from_department": before,
                    "to_department": decision.department,
                    "reason": "rule_set",
                    "ruleset_version": stored.version,
                    "rule_id": decision.rule_id,
                },
            )
        )
    session.flush()
    return stored, moves


# -- names for the staff app ------------------------------------------------------------------


def _stored_rule(raw: dict) -> Rule | None:
    """A rule of an old version as stored (validated when it was stored), for its name."""
    if not isinstance(raw, dict) or raw.get("id") is None:
        return None
    name = raw.get("name")
    if isinstance(name, dict) and name.get("de") and name.get("en"):
        pair = (str(name["de"]), str(name["en"]))
    else:
        pair = (name, name) if isinstance(name, str) and name else None
    fields = ("category", "category_group", "zone", "zone_kind")
    conditions = {k: str(raw[k]) for k in fields if raw.get(k) is not None}
    return Rule(
        id=str(raw["id"]), department=str(raw.get("department", "")), name=pair, **conditions
    )


def staff_names(session: Session) -> dict:
    """Every code the staff app shows, named: departments, categories and their groups, zones,
    zone kinds, and the rules of every version and of the implicit rule set."""
    categories = list(session.scalars(select(Category).order_by(Category.position, Category.id)))
    zones = list(session.scalars(select(Zone).order_by(Zone.kind, Zone.key)))
    book = NameBook(
        categories={c.code: c.names() for c in categories},
        groups=group_names(categories),
        zones={z.key: z.name for z in zones},
    )
    rules: dict[str, Rule] = {r.id: r for r in implicit_rule_set(session).rules}
    for version in session.scalars(select(RuleSetVersion).order_by(RuleSetVersion.version)):
        for raw in (version.data or {}).get("rules") or []:
            rule = _stored_rule(raw)
            if rule is not None:
                rules[rule.id] = rule  # the latest version's wording wins
    kinds = sorted({z.kind for z in zones})
    return {
        "departments": [
            {"code": d.code, "name": d.names()}
            for d in session.scalars(select(Department).order_by(Department.code))
        ],
        "categories": [{"code": c.code, "name": c.names(), "group": c.group} for c in categories],
        "groups": [{"code": g, "name": n} for g, n in sorted(book.groups.items())],
        "zones": [
            {"key": z.key, "kind": z.kind, "name": z.name or book.zone(z.key)} for z in zones
        ],
        "zone_kinds": [
            {"code": k, "name": {lang: book.zone_kind(k, lang) for lang in ("de", "en")}}
            for k in kinds
        ],
        "rules": [{"id": r.id, "name": book.rule_names(r)} for r in rules.values()],
    }
