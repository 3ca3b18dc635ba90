"""The readable docs page: the document flattened into groups, operations and fields."""

from __future__ import annotations

import json
from typing import Any


def _resolve(doc: dict, node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        _, *parts = node["$ref"].split("/")
        node = doc
        for part in parts:
            node = node[part]
    return node


def _schema_text(doc: dict, schema: Any, depth: int = 0) -> str:
    """A short readable rendering of a schema: a component name, a type, or the fields."""
    if not isinstance(schema, dict):
        return ""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "allOf" in schema:
        return " + ".join(_schema_text(doc, s, depth) for s in schema["allOf"])
    if "anyOf" in schema:
        return " | ".join(_schema_text(doc, s, depth) for s in schema["anyOf"])
    kind = schema.get("type", "")
    if isinstance(kind, list):
        kind = " | ".join(kind)
    if "const" in schema:
        return json.dumps(schema["const"])
    if "enum" in schema:
        return " | ".join(json.dumps(v) for v in schema["enum"])
    if kind == "array":
        return f"array of {_schema_text(doc, schema.get('items', {}), depth) or 'any'}"
    if schema.get("format"):
        kind = f"{kind} ({schema['format']})"
    return kind or "any"


def _fields(doc: dict, schema: Any) -> list[dict[str, str]]:
    """The fields of an object schema (following one $ref and allOf), for the docs page."""
    schema = _resolve(doc, schema)
    if not isinstance(schema, dict):
        return []
    if "allOf" in schema:
        return [f for part in schema["allOf"] for f in _fields(doc, part)]
    required = set(schema.get("required", []))
    rows = []
    for name, prop in schema.get("properties", {}).items():
        limits = [
            f"{k} {prop[k]}"
            for k in ("minimum", "maximum", "minLength", "maxLength", "maxItems", "default")
            if k in prop
        ]
        rows.append(
            {
                "name": name,
                "type": _schema_text(doc, prop),
                "required": "yes" if name in required else "",
                "notes": "; ".join(
                    [*([prop["description"]] if prop.get("description") else []), *limits]
                ),
            }
        )
    return rows


def docs_view(doc: dict) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Operations grouped by tag, each with its parameters, body and responses."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            params = []
            for p in op.get("parameters", []):
                p = _resolve(doc, p)
                params.append(
                    {
                        "name": p["name"],
                        "in": p["in"],
                        "type": _schema_text(doc, p.get("schema", {})),
                        "required": "yes" if p.get("required") else "",
                        "notes": p.get("description", ""),
                    }
                )
            bodies = []
            for media, content in op.get("requestBody", {}).get("content", {}).items():
                schema = content.get("schema", {})
                bodies.append(
                    {
                        "media": media,
                        "schema": _schema_text(doc, schema),
                        "fields": _fields(doc, schema),
                    }
                )
            responses = []
            for status, resp in op["responses"].items():
                resp = _resolve(doc, resp)
                media = [
                    {"media": m, "schema": _schema_text(doc, c.get("schema", {}))}
                    for m, c in resp.get("content", {}).items()
                ]
                responses.append(
                    {"status": status, "description": resp.get("description", ""), "media": media}
                )
            security = op.get("security")
            groups.setdefault(op["tags"][0], []).append(
                {
                    "id": f"{method}-{path}".replace("/", "-").strip("-"),
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "auth": (
                        "bearer token, or session cookie"
                        + (" + X-CSRF-Token" if method != "get" else "")
                        if security
                        else "none (public)"
                    ),
                    "parameters": params,
                    "bodies": bodies,
                    "responses": responses,
                }
            )
    components = [
        {"name": name, "fields": _fields(doc, schema), "text": _schema_text(doc, schema)}
        for name, schema in sorted(doc["components"]["schemas"].items())
    ]
    return [{"tag": tag, "operations": ops} for tag, ops in groups.items()], components
