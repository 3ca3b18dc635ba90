"""An object with a few more attributes, for an output schema that shows both."""

from __future__ import annotations

from typing import Any


class Augmented:
    """`obj` as it is, plus the given attributes: `Augmented(report, distance_m=12.5)` dumps
    through a schema that adds `distance_m` to the report's fields."""

    def __init__(self, obj: Any, **extra: Any) -> None:
        self.__dict__.update(extra)
        self._obj = obj

    def __getattr__(self, name: str) -> Any:
        # only called for what the extra attributes do not have
        return getattr(self._obj, name)
