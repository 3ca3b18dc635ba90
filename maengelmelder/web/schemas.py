"""Schema pieces every feature's API shares: output schemas, texts in two languages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import EXCLUDE, Schema, fields

from ..clock import isoformat


class Out(Schema):
    """An output schema: marshmallow dumps every declared field, so the document marks each
    one required (a reader can rely on the key being there, if perhaps null)."""

    class Meta:
        unknown = EXCLUDE  # says nothing about extra keys in the document

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = True


class Message(Out):
    """German first, English second."""

    de = fields.String()
    en = fields.String()


class Ref(fields.Raw):
    """A value passed through as it is, documented as the named component (a shape written
    out in the document, such as `Geometry`)."""

    def __init__(self, component: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.component = component


class Localized(Ref):
    """A name in both languages, `{"de": …, "en": …}`, from the attributes `<name>_de` and
    `<name>_en` of the object (or those keys of a dict); the document shows `Message`."""

    def __init__(self, stem: str = "name", **kwargs: Any) -> None:
        super().__init__("Message", dump_only=True, **kwargs)
        self.stem = stem

    def serialize(self, attr, obj, accessor=None, **kwargs):
        get = obj.get if isinstance(obj, dict) else lambda key: getattr(obj, key)
        return {"de": get(f"{self.stem}_de"), "en": get(f"{self.stem}_en")}


class AnyOf(fields.Field):
    """An object dumped by one of several output schemas, the one `choose(obj)` returns (a
    ticket for staff of its own department shows more than for others); documented as
    `anyOf` the schemas' components."""

    def __init__(
        self, choose: Callable[[Any], type[Schema]], *schemas: type[Schema], **kwargs: Any
    ) -> None:
        super().__init__(dump_only=True, **kwargs)
        self.choose = choose
        self.schemas = schemas
        self._instances: dict[type[Schema], Schema] = {}

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        schema = self.choose(value)
        if schema not in self._instances:
            self._instances[schema] = schema()
        return self._instances[schema].dump(value)


def ref_property(converter, field, **kwargs) -> dict[str, Any]:
    """apispec: a Ref field is its component; an AnyOf field any of its schemas'."""
    if isinstance(field, Ref):
        return {"$ref": f"#/components/schemas/{field.component}"}
    if isinstance(field, AnyOf):
        return {"anyOf": [converter.resolve_nested_schema(s) for s in field.schemas]}
    return {}


class Time(fields.DateTime):
    """A timezone-aware datetime, dumped as `clock.isoformat` writes it (UTC, seconds, `Z`);
    documented as a `date-time` string."""

    def _serialize(self, value, attr, obj, **kwargs):
        return isoformat(value)
