"""The promise settings, typed: read from the app's settings in one place, with their
defaults in one place (`config.py` reads the environment into the same names)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from flask import current_app


def _priority_hours(raw: str | None) -> dict[int, float]:
    """'1=24,2=48': the promise of a ticket with that priority."""
    out: dict[int, float] = {}
    for part in (raw or "").split(","):
        if "=" in part:
            key, value = part.split("=", 1)
            out[int(key)] = float(value)
    return out


@dataclass(frozen=True)
class SlaSettings:
    """What the city promises when neither a rule, a priority, a department nor a category
    says otherwise, and how the clock runs."""

    default_hours: float = 48.0
    calendar: str = "wall"
    pause_when_waiting: bool = True
    at_risk_share: float = 0.25
    priority_hours: Mapping[int, float] = field(default_factory=dict)
    state: str = "HE"  # whose public holidays a business-day calendar skips

    @classmethod
    def from_config(cls, config: Mapping) -> SlaSettings:
        default = cls()
        return cls(
            default_hours=float(config.get("DEFAULT_SLA_HOURS", default.default_hours)),
            calendar=config.get("SLA_CALENDAR", default.calendar),
            pause_when_waiting=bool(
                config.get("SLA_PAUSE_WHEN_WAITING", default.pause_when_waiting)
            ),
            at_risk_share=float(config.get("SLA_AT_RISK_SHARE", default.at_risk_share)),
            priority_hours=_priority_hours(config.get("SLA_PRIORITY_HOURS")),
            state=config.get("CITY_STATE", default.state),
        )


def sla_settings() -> SlaSettings:
    """The current app's promise settings (read each time: a few lookups, and tests and the
    admin may change the app's settings while it runs)."""
    return SlaSettings.from_config(current_app.config)
