"""Routing over HTTP: the public explain endpoint and the admin API for zones and rules."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, jsonify, request
from marshmallow import RAISE, Schema, ValidationError, fields, validate
from sqlalchemy import select

from ..accounts.auth import admin_required, current_principal
from ..city import city
from ..clock import isoformat, now
from ..errors import ApiError, validation_error
from ..extensions import db
from . import service
from .geometry import ZoningError, parse_feature_collection
from .models import RuleSetVersion, Zone

bp = Blueprint("zoning", __name__)


class ExplainIn(Schema):
    class Meta:
        unknown = RAISE

    category = fields.String(required=True, validate=validate.Length(min=1, max=64))
    lat = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=-180, max=180))


class ZoneImportArgs(Schema):
    class Meta:
        unknown = RAISE

    kind = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_-]{0,63}$"))
    make_valid = fields.Boolean(load_default=False)
    id_property = fields.String(load_default="id", validate=validate.Length(min=1, max=64))
    name_property = fields.String(load_default="name", validate=validate.Length(min=1, max=64))


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json")
    return body


def _load(schema: Schema, data: dict, status: int = 422) -> dict:
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise validation_error(exc.normalized_messages(), status=status) from exc


@bp.post("/api/v1/routing/explain")
def explain():
    """Which department a report of this category at this place would go to, and why."""
    args = _load(ExplainIn(), _json_body())
    try:
        _, explanation = service.route(db.session, args["category"], args["lon"], args["lat"])
    except ZoningError as exc:
        raise service.zoning_error(exc) from exc
    explanation["inside_city"] = city().contains(args["lon"], args["lat"])
    return jsonify(explanation)


@bp.get("/api/v1/admin/zones")
@admin_required
def list_zones():
    """Every zone as a GeoJSON FeatureCollection (optionally of one kind)."""
    query = select(Zone).order_by(Zone.kind, Zone.key)
    if request.args.get("kind"):
        query = query.where(Zone.kind == request.args["kind"])
    features = [
        {
            "type": "Feature",
            "id": z.key,
            "properties": {"name": z.name, "kind": z.kind, "updated_at": isoformat(z.updated_at)},
            "geometry": z.geometry,
        }
        for z in db.session.scalars(query)
    ]
    resp = jsonify({"type": "FeatureCollection", "features": features})
    resp.mimetype = "application/geo+json"
    return resp


@bp.post("/api/v1/admin/zones/import")
@admin_required
def import_zones():
    """Make the zones of one kind exactly those of the posted FeatureCollection."""
    args = _load(ZoneImportArgs(), request.args.to_dict(), status=400)
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
    return jsonify({"kind": args["kind"], "summary": result.summary(), **asdict(result)})


def _version_out(stored: RuleSetVersion | None, rule_set) -> dict:
    return {
        "version": stored.version if stored else None,
        "created_at": isoformat(stored.created_at) if stored else None,
        "created_by": stored.created_by if stored else None,
        "note": stored.note if stored else None,
        "implicit": stored is None,
        "rules": service.rule_set_to_dict(rule_set),
    }


@bp.get("/api/v1/admin/rules")
@admin_required
def get_rules():
    """The rule set in force."""
    stored = service.latest_version(db.session)
    return jsonify(_version_out(stored, service.current_rule_set(db.session)))


@bp.get("/api/v1/admin/rules/versions")
@admin_required
def list_rule_versions():
    """Every stored rule set version, newest first."""
    rows = db.session.scalars(select(RuleSetVersion).order_by(RuleSetVersion.version.desc()))
    return jsonify(
        [
            {
                "version": r.version,
                "created_at": isoformat(r.created_at),
                "created_by": r.created_by,
                "note": r.note,
            }
            for r in rows
        ]
    )


def _moves_out(moves: list[service.Move]) -> list[dict]:
    return [asdict(m) for m in moves]


@bp.post("/api/v1/admin/rules/dry-run")
@admin_required
def dry_run_rules():
    """Which open tickets the posted rule set would move; changes nothing."""
    try:
        rule_set = service.validate_rule_set(db.session, _json_body())
        moves, _, _ = service.plan_moves(db.session, rule_set)
    except ZoningError as exc:
        raise service.zoning_error(exc) from exc
    db.session.rollback()
    return jsonify({"moves": _moves_out(moves), "count": len(moves)})


@bp.post("/api/v1/admin/rules")
@admin_required
def apply_rules():
    """Put the posted rule set in force as a new version and move open tickets."""
    body = _json_body()
    note = body.pop("note", None)
    if note is not None and not isinstance(note, str):
        raise validation_error({"note": ["Not a valid string."]})
    try:
        stored, moves = service.apply_rule_set(
            db.session, body, actor=current_principal().actor, now=now(), note=note
        )
    except ZoningError as exc:
        raise service.zoning_error(exc) from exc
    db.session.commit()
    out = _version_out(stored, service.current_rule_set(db.session))
    out["moves"] = _moves_out(moves)
    return jsonify(out), 201
