"""The native API described as OpenAPI 3.1: `/api/v1/openapi.json` and a readable `/api/v1/docs`.

Built with apispec from the marshmallow schemas the routes load and dump with; shapes the
routes build by hand (the error, the staff view of a ticket, pages, GeoJSON, SLA figures) are
written out in `components`. Only operations whose route is registered in the app are
described, and a test checks the other direction: every `/api/v1` rule of the app is in the
document.

The package: `fragments` (small shared schema pieces and named shapes), `components` (the
component schemas), `parts` (security, error responses, parameters), `operations_public`,
`operations_admin` and `operations_staff` (the endpoints by audience; `operations` joins them),
`docs` (the readable page's view of the document); building and the two views are here.
"""

from __future__ import annotations

import json
import re
from typing import Any

from apispec import APISpec
from flask import Blueprint, Flask, current_app, jsonify, render_template

from ..reports.schemas import UTC
from ..web.api import api_of, error_ref
from ..web.api import init_app as init_api
from ..web.schemas import Message, ref_property
from .components import HAND_WRITTEN, MARSHMALLOW, patch_outputs
from .docs import docs_view
from .fragments import ref
from .operations import all_operations
from .parts import BEARER_OR_SESSION, BEARER_OR_SESSION_CSRF, ERROR_DESCRIPTIONS, json_response

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1"
DOC_PATH = "/api/v1/openapi.json"

bp = Blueprint("openapi", __name__)

INFO_DESCRIPTION = (
    "Native JSON API of the Mängelmelder. Every error has one shape "
    "(`Error`), messages German first, English second. Times are UTC ISO 8601 with "
    "`Z`; coordinates WGS84 as `lat`/`lon` (GeoJSON: `[lon, lat]`). Staff calls "
    "authenticate with `Authorization: Bearer <API token>` or with the session "
    "cookie from `POST /api/v1/auth/login`; unsafe requests of a session also need "
    "the `X-CSRF-Token` header. Lists are paged: `limit` (each list names its default "
    "and maximum) and `cursor`, the opaque `next_cursor` of the page before or the "
    'cursor in its `Link: <…>; rel="next"` header; a cursor belongs to its list, and '
    "items added between two pages neither repeat nor push others out."
)


# -- building ---------------------------------------------------------------------------------

_RULE_ARG = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def openapi_path(rule: str) -> str:
    """A Flask rule as an OpenAPI path: `<int:photo_id>` becomes `{photo_id}`."""
    return _RULE_ARG.sub(r"{\1}", rule)


def registered_operations(app: Flask) -> set[tuple[str, str]]:
    """(path, method) of every route of the app, as OpenAPI paths and lower-case methods."""
    out = set()
    for rule in app.url_map.iter_rules():
        for method in rule.methods or ():
            if method not in {"HEAD", "OPTIONS"}:
                out.add((openapi_path(rule.rule), method.lower()))
    return out


def _spec_kwargs(app: Flask) -> dict[str, Any]:
    return {
        "title": f"Mängelmelder API – {app.config.get('CITY_NAME', '')}".rstrip(" –"),
        "version": API_VERSION,
        "openapi_version": OPENAPI_VERSION,
        "info": {
            "description": INFO_DESCRIPTION,
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        },
    }


def _components(app: Flask, spec: APISpec) -> None:
    """What the routes cannot say themselves: security schemes, the error answers, the shapes
    still built by hand."""
    spec.components.security_scheme(
        "bearerAuth",
        {"type": "http", "scheme": "bearer", "description": "an API token (admin creates it)"},
    )
    spec.components.security_scheme(
        "sessionCookie",
        {
            "type": "apiKey",
            "in": "cookie",
            "name": app.config.get("SESSION_COOKIE_NAME") or "session",
            "description": "set by POST /api/v1/auth/login",
        },
    )
    spec.components.security_scheme(
        "csrfHeader",
        {
            "type": "apiKey",
            "in": "header",
            "name": "X-CSRF-Token",
            "description": "the csrf_token from login; unsafe methods of a session",
        },
    )
    for status, description in ERROR_DESCRIPTIONS.items():
        spec.components.response(error_ref(status), json_response(ref("Error"), description))
    spec.components.schema("Message", schema=Message)
    for name, schema in MARSHMALLOW.items():
        spec.components.schema(name, schema=schema)
    for name, schema in HAND_WRITTEN.items():
        spec.components.schema(name, schema)


def _views(app: Flask) -> dict[tuple[str, str], Any]:
    """(OpenAPI path, method) -> the view function that answers it."""
    out = {}
    for rule in app.url_map.iter_rules():
        for method in rule.methods or ():
            out[(openapi_path(rule.rule), method.lower())] = app.view_functions[rule.endpoint]
    return out


_UNSAFE = {"post", "put", "patch", "delete"}


def _conventions(doc: dict[str, Any], views: dict[tuple[str, str], Any]) -> None:
    """The answers every operation shares, added where the code says they apply: `503` (the
    database may be away), `400` (any input can carry a value the database refuses), and a
    role check's security and `401`/`403`."""
    for path, item in doc["paths"].items():
        # the path's own parameters (flask-smorest puts `{public_id}` there) on each operation
        shared = item.pop("parameters", [])
        for method, op in item.items():
            declared = {(p["in"], p["name"]) for p in op.get("parameters", [])}
            extra = [p for p in shared if (p["in"], p["name"]) not in declared]
            if extra:
                op["parameters"] = [*extra, *op.get("parameters", [])]
            responses = op.setdefault("responses", {})
            statuses = {503} if "503" not in responses else set()
            if op.get("parameters") or op.get("requestBody"):
                statuses.add(400)
            view = views.get((path, method))
            if getattr(view, "allowed_roles", None) and "security" not in op:
                statuses |= {401, 403}
                op["security"] = BEARER_OR_SESSION_CSRF if method in _UNSAFE else BEARER_OR_SESSION
            for status in sorted(statuses):
                responses.setdefault(
                    str(status), {"$ref": f"#/components/responses/{error_ref(status)}"}
                )


def build_spec(app: Flask) -> dict[str, Any]:
    """The OpenAPI document of the app's registered API routes: generated from the smorest
    blueprints, plus the operations still described by hand (`operations_*`)."""
    spec = api_of(app).spec
    present = registered_operations(app)
    generated = {(path, method) for path, item in spec._paths.items() for method in item}
    rules = {openapi_path(rule.rule): rule for rule in app.url_map.iter_rules()}
    for path, method, operation in all_operations():
        if (path, method) in present and (path, method) not in generated:
            # the path's own parameters stay on the operation (the rule adds them per path)
            spec.path(rule=rules[path], operations={method: operation}, parameters=[])
    patch_outputs(spec.components.schemas)
    doc = spec.to_dict()
    # Round-trip through JSON: plain data only (no tuples, no schema objects).
    doc = json.loads(json.dumps(doc))
    _conventions(doc, _views(app))
    return doc


def document() -> dict[str, Any]:
    """The current app's document, built once."""
    ext = current_app.extensions
    if "openapi" not in ext:
        ext["openapi"] = build_spec(current_app)
    return ext["openapi"]


@bp.get(DOC_PATH)
def openapi_json():
    return jsonify(document())


@bp.get("/api/v1/docs")
def api_docs():
    doc = document()
    groups, components = docs_view(doc)
    return render_template("api_docs.html", doc=doc, groups=groups, components=components)


def init_app(app: Flask) -> None:
    """The app's Api (before any feature registers a blueprint) and the document's routes."""
    api = init_api(app, _spec_kwargs(app))
    api.register_field(UTC, "string", "date-time")
    api.ma_plugin.converter.add_attribute_function(ref_property)
    _components(app, api.spec)
    app.register_blueprint(bp)
