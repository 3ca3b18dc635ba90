"""Schema fragments the components and operations share: small types, objects, named shapes."""

from __future__ import annotations

from typing import Any


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


STRING = {"type": "string"}


def obj(properties: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict:
    out: dict[str, Any] = {"type": "object", "properties": properties}
    if required is None:
        required = list(properties)
    if required:
        out["required"] = required
    out.update(extra)
    return out


# -- hand-written shapes ----------------------------------------------------------------------

GEOMETRY = obj(
    {
        "type": {
            "type": "string",
            "enum": [
                "Point",
                "MultiPoint",
                "LineString",
                "MultiLineString",
                "Polygon",
                "MultiPolygon",
                "GeometryCollection",
            ],
        },
        "coordinates": {"type": "array"},
    },
    required=["type"],
    description="A GeoJSON geometry (RFC 7946): WGS84, positions as [lon, lat].",
)
