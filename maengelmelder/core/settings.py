"""The settings services work with, typed: read from the app's settings in one place, with
their defaults in one place (`config.py` reads the environment into the same names and takes
its defaults from here).

Each `*_settings()` reads the current app's settings each time it is called: a few lookups,
and tests and the admin may change the app's settings while it runs.
"""

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
    """The current app's promise settings."""
    return SlaSettings.from_config(current_app.config)


@dataclass(frozen=True)
class AbuseSettings:
    """The abuse and spam defences of intake and of published reports (docs/abuse.md)."""

    # A report filled in faster than this (seconds, from the form's fill_ms) is refused;
    # 0 switches the check off.
    min_fill_seconds: float = 3.0
    # Hold reports from never-confirmed addresses until the address is confirmed.
    confirm_unknown_emails: bool = False
    # How long a confirmation link (reporter's or supporter's) is valid.
    confirm_email_days: int = 7
    # Distinct open "report abuse" flags that take a report's text and photos offline.
    hide_threshold: int = 3

    @classmethod
    def from_config(cls, config: Mapping) -> AbuseSettings:
        default = cls()
        return cls(
            min_fill_seconds=float(config.get("MIN_FILL_SECONDS", default.min_fill_seconds) or 0),
            confirm_unknown_emails=bool(
                config.get("CONFIRM_UNKNOWN_EMAILS", default.confirm_unknown_emails)
            ),
            confirm_email_days=int(config.get("CONFIRM_EMAIL_DAYS", default.confirm_email_days)),
            hide_threshold=int(config.get("ABUSE_HIDE_THRESHOLD", default.hide_threshold)),
        )


def abuse_settings() -> AbuseSettings:
    """The current app's abuse defences."""
    return AbuseSettings.from_config(current_app.config)


@dataclass(frozen=True)
class MailSettings:
    """How mail leaves the service: over SMTP when a server is set, else into the log."""

    smtp_url: str | None = None
    sender: str = "maengelmelder@localhost"
    # Seconds each step of an SMTP exchange may take (connecting, each reply).
    smtp_timeout: float = 10.0

    @classmethod
    def from_config(cls, config: Mapping) -> MailSettings:
        default = cls()
        return cls(
            smtp_url=config.get("SMTP_URL") or default.smtp_url,
            sender=config.get("MAIL_FROM") or default.sender,
            smtp_timeout=float(config.get("SMTP_TIMEOUT") or default.smtp_timeout),
        )


def mail_settings() -> MailSettings:
    """The current app's mail settings."""
    return MailSettings.from_config(current_app.config)


@dataclass(frozen=True)
class TicketSettings:
    """The periods of a resolved ticket: the follow-up, the reopening, the automatic close."""

    # Days after resolving that the reporter is asked whether it is really fixed.
    followup_days: int = 3
    # Days a resolved ticket nobody reopened stays resolved before it is closed.
    auto_close_days: int = 14
    # Days after resolving that the reporter may reopen it.
    reopen_days: int = 14

    @classmethod
    def from_config(cls, config: Mapping) -> TicketSettings:
        default = cls()
        return cls(
            followup_days=int(config.get("FOLLOWUP_DAYS", default.followup_days)),
            auto_close_days=int(config.get("AUTO_CLOSE_DAYS", default.auto_close_days)),
            reopen_days=int(config.get("REOPEN_DAYS", default.reopen_days)),
        )


def ticket_settings() -> TicketSettings:
    """The current app's ticket periods."""
    return TicketSettings.from_config(current_app.config)


@dataclass(frozen=True)
class RetentionSettings:
    """How long personal data is kept."""

    # Reporter contact data and unpublished photos go this long after a ticket is done.
    days: int = 90

    @classmethod
    def from_config(cls, config: Mapping) -> RetentionSettings:
        return cls(days=int(config.get("RETENTION_DAYS", cls().days)))


def retention_settings() -> RetentionSettings:
    """The current app's retention period."""
    return RetentionSettings.from_config(current_app.config)
