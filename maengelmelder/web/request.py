"""Request parsing for the few views that read input outside `@bp.arguments` (a multipart
form beside JSON, a body whose shape depends on the query)."""

from __future__ import annotations

from flask import request
from marshmallow import Schema, ValidationError

from ..errors import ApiError, validation_error


def body(schema: Schema) -> dict:
    """The JSON body loaded through a schema; 400 for non-JSON, 422 for invalid fields."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json")
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise validation_error(exc.normalized_messages()) from exc


def query(schema: Schema) -> dict:
    """The query string loaded through a schema; 400 for invalid parameters."""
    try:
        return schema.load(request.args.to_dict())
    except ValidationError as exc:
        raise validation_error(exc.normalized_messages(), status=400) from exc
