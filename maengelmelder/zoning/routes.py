"""Routing over HTTP: the public explain endpoint and the admin API for zones and rules."""

from __future__ import annotations

from dataclasses import asdict

from flask import jsonify, request
from sqlalchemy import select

from ..accounts.auth import STAFF, admin_required, current_principal, require
from ..city import city
from ..clock import now
from ..errors import ApiError, validation_error
from ..extensions import db
from ..web.api import Blueprint
from . import schemas, service
from .geometry import ZoningError, parse_feature_collection, simplified
from .models import RuleSetVersion, Zone
from .rule_errors import MAX_YAML_BYTES, read_yaml_rule_set, rule_set_error

bp = Blueprint("zoning", __name__)


def _json_body() -> dict:
    """The JSON object posted, read as it is (the rules and zones parsers check it)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json")
    return body


def _json_request_body(schema: type) -> dict:
    """The document's `requestBody` of a view that reads its JSON body itself."""
    return {"required": True, "content": {"application/json": {"schema": schema}}}


@bp.post("/api/v1/routing/explain")
@bp.arguments(schemas.ExplainIn)
@bp.response(200, schemas.RoutingExplanation, description="The decision.")
def explain(args: dict):
    """Which department a report here would go to, and why.

    The department a report of this category at this place would go to, the rule and the
    zones that decided it, and the reason in words.
    """
    try:
        _, explanation = service.route(db.session, args["category"], args["lon"], args["lat"])
    except ZoningError as exc:
        raise service.zoning_error(exc) from exc
    explanation["inside_city"] = city().contains(args["lon"], args["lat"])
    return explanation


@bp.get("/api/v1/staff/names")
@require(*STAFF)
@bp.response(200, schemas.StaffNames, description="Names.")
def staff_names():
    """Every code the staff app shows, with its name.

    Departments, categories and their groups, zones and zone kinds, and the rules of every
    rule-set version, each named in German and English (a zone has one name).
    """
    return service.staff_names(db.session)


@bp.get("/api/v1/admin/zones")
@admin_required
@bp.arguments(schemas.ZoneListArgs, location="query")
@bp.response(
    200, schemas.ZoneFeatureCollection, content_type="application/geo+json", description="Zones."
)
def list_zones(args: dict):
    """Zones as GeoJSON.

    Every zone as a GeoJSON FeatureCollection (optionally of one kind, optionally with
    simplified outlines for a map: a few KB instead of every surveyed vertex).
    """
    query = select(Zone).order_by(Zone.kind, Zone.key)
    if args.get("kind"):
        query = query.where(Zone.kind == args["kind"])
    zones = db.session.scalars(query).all()
    out = schemas.ZoneFeatureCollection().dump({"features": zones})
    if args.get("simplify"):
        for feature in out["features"]:
            feature["geometry"] = simplified(feature["geometry"], args["simplify"])
    resp = jsonify(out)
    resp.mimetype = "application/geo+json"
    return resp


@bp.post("/api/v1/admin/zones/import")
@admin_required
@bp.arguments(schemas.ZoneImportArgs, location="query")
@bp.doc(requestBody=_json_request_body(schemas.FeatureCollectionIn))
@bp.response(200, schemas.ZoneImportResult, description="What changed.")
@bp.errors(409, 422)
def import_zones(args: dict):
    """Make the zones of one kind exactly the posted FeatureCollection.

    All or nothing: `422` names the offending feature, or the zone the rule set in force
    still needs.
    """
    body = _json_body()
    try:
        shapes = parse_feature_collection(
            body,
            kind=args["kind"],
            make_valid=args["make_valid"],
            id_property=args["id_property"],
            name_property=args["name_property"],
        )
        result = service.import_zones(db.session, shapes, kind=args["kind"], now=now())
    except ZoningError as exc:
        raise service.zoning_error(exc) from exc
    db.session.commit()
    return {"kind": args["kind"], "summary": result.summary(), **asdict(result)}


@bp.get("/api/v1/admin/rules")
@admin_required
@bp.response(200, schemas.RuleSetVersion, description="The rule set.")
def get_rules():
    """The rule set in force."""
    return service.in_force(db.session)


@bp.get("/api/v1/admin/rules/versions")
@admin_required
@bp.response(200, schemas.RuleVersionInfo(many=True), description="Versions.")
def list_rule_versions():
    """Every stored rule set version, newest first."""
    return db.session.scalars(select(RuleSetVersion).order_by(RuleSetVersion.version.desc())).all()


@bp.post("/api/v1/admin/rules/dry-run")
@admin_required
@bp.doc(requestBody=_json_request_body(schemas.RuleSetIn))
@bp.response(200, schemas.DryRun, description="The moves.")
@bp.errors(409, 422)
def dry_run_rules():
    """Which open tickets a rule set would move; changes nothing."""
    body = _json_body()
    try:
        rule_set = service.validate_rule_set(db.session, body)
        moves, _, _ = service.plan_moves(db.session, rule_set)
    except ZoningError as exc:
        raise rule_set_error(exc, body) from exc
    db.session.rollback()
    return {"moves": moves, "count": len(moves)}


@bp.post("/api/v1/admin/rules")
@admin_required
@bp.doc(requestBody=_json_request_body(schemas.RuleSetIn))
@bp.response(201, schemas.RuleSetApplied, description="In force.")
@bp.errors(409, 422)
def apply_rules():
    """Put a rule set in force (a new version) and move open tickets.

    Every moved ticket records the move in its history.
    """
    body = _json_body()
    note = body.pop("note", None)
    if note is not None and not isinstance(note, str):
        raise validation_error({"note": ["Not a valid string."]})
    try:
        stored, moves = service.apply_rule_set(
            db.session, body, actor=current_principal().actor, now=now(), note=note
        )
    except ZoningError as exc:
        raise rule_set_error(exc, body) from exc
    db.session.commit()
    return service.VersionInForce(stored, service.current_rule_set(db.session), moves)


@bp.post("/api/v1/admin/rules/from-yaml")
@admin_required
@bp.doc(
    requestBody={
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            }
        },
    }
)
@bp.response(200, schemas.RuleSet, description="The rule set the file holds, checked.")
@bp.errors(409, 422)
def read_rules_yaml():
    """Read a rule set from a YAML file (as `rules show` writes it); changes nothing.

    The rule set is checked like a dry run's; `422` names the offending rule and field.
    Nothing is stored: the staff app puts it into the rules form.
    """
    upload = request.files.get("file")
    if upload is None:
        raise validation_error({"file": ["Missing data for required field."]})
    body = None
    try:
        body = read_yaml_rule_set(upload.read(MAX_YAML_BYTES + 1))
        rule_set = service.validate_rule_set(db.session, body)
    except ZoningError as exc:
        raise rule_set_error(exc, body) from exc
    return rule_set
