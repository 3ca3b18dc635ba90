"""Settings from MAENGELMELDER_* environment variables, read in one place.

The defaults of the settings services take typed (`core/settings.py`) are those dataclasses'
defaults, so each is written down once.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from .core import photo_privacy
from .core.settings import (
    AbuseSettings,
    MailSettings,
    RetentionSettings,
    SlaSettings,
    TicketSettings,
)

PREFIX = "MAENGELMELDER_"
DEMO_BOUNDARY = Path(__file__).parent / "demo" / "boundary.geojson"

_SLA = SlaSettings()
_ABUSE = AbuseSettings()
_MAIL = MailSettings()
_TICKETS = TicketSettings()
_RETENTION = RetentionSettings()


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(PREFIX + name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise RuntimeError(f"{PREFIX}{name} must be an integer, got {raw!r}") from exc


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(PREFIX + name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise RuntimeError(f"{PREFIX}{name} must be a number, got {raw!r}") from exc


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(PREFIX + name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str:
    raw = (env.get(PREFIX + name) or "").strip().lower()
    if raw not in allowed:
        choices = ", ".join(repr(a) for a in allowed if a)
        raise RuntimeError(f"{PREFIX}{name} must be empty or one of {choices}, got {raw!r}")
    return raw


def from_env(env: Mapping[str, str] | None = None) -> dict:
    """Return Flask config keys built from MAENGELMELDER_* variables (unset ones keep defaults)."""
    env = os.environ if env is None else env

    def get(name: str, default: str | None = None) -> str | None:
        value = env.get(PREFIX + name)
        return default if value is None or value.strip() == "" else value.strip()

    config: dict = {
        # None means: a SQLite file under the instance folder, decided in create_app.
        "SQLALCHEMY_DATABASE_URI": get("DATABASE_URL"),
        "INSTANCE_PATH": get("INSTANCE_PATH"),
        # The built citizen app; without it Flask serves small server-rendered pages.
        "FRONTEND_DIR": get("FRONTEND_DIR", str(Path(__file__).parent / "static" / "app")),
        "REDIS_URL": get("REDIS_URL"),
        # What a request may wait for Redis (rate limits and enqueueing together); after a
        # failure Redis is left alone this long (limits in memory, jobs to the sweeps).
        "REDIS_TIMEOUT_SECONDS": _float(env, "REDIS_TIMEOUT_SECONDS", 1.0),
        "REDIS_PAUSE_SECONDS": _float(env, "REDIS_PAUSE_SECONDS", 10.0),
        "MEDIA_DIR": get("MEDIA_DIR"),
        # Photos in an S3-compatible bucket instead of MEDIA_DIR: s3://bucket/prefix, the
        # server's address (unset: AWS), credentials from the usual AWS_* variables. Each call
        # to the store waits at most S3_TIMEOUT_SECONDS, S3_ATTEMPTS times (README: storage).
        "MEDIA_URL": get("MEDIA_URL"),
        "S3_ENDPOINT": get("S3_ENDPOINT"),
        "S3_REGION": get("S3_REGION"),
        "S3_TIMEOUT_SECONDS": _float(env, "S3_TIMEOUT_SECONDS", 3.0),
        "S3_ATTEMPTS": _int(env, "S3_ATTEMPTS", 2),
        # The object store's address as browsers reach it: public photos are then answered
        # with a redirect to a presigned URL there, valid MEDIA_REDIRECT_SECONDS.
        "MEDIA_PUBLIC_URL": get("MEDIA_PUBLIC_URL"),
        "MEDIA_REDIRECT_SECONDS": _int(env, "MEDIA_REDIRECT_SECONDS", 300),
        "SECRET_KEY": get("SECRET_KEY"),
        "MIGRATIONS_DIR": get("MIGRATIONS_DIR"),
        "BASE_URL": get("BASE_URL"),
        # Host names requests may name besides BASE_URL's (and localhost), comma-separated;
        # ".example.org" allows its subdomains. Any other Host header is refused (400).
        "TRUSTED_HOSTS": [h.strip() for h in (get("TRUSTED_HOSTS") or "").split(",") if h.strip()],
        # Session cookies are Secure by default; set false only for plain-HTTP test setups.
        "SESSION_COOKIE_SECURE": _bool(env, "COOKIE_SECURE", True),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Staff sessions (server-side): the absolute lifetime, and the end after no request.
        "PERMANENT_SESSION_LIFETIME": _int(env, "SESSION_HOURS", 12) * 3600,
        "SESSION_IDLE_MINUTES": _int(env, "SESSION_IDLE_MINUTES", 120),
        "PASSWORD_HASH_METHOD": get("PASSWORD_HASH_METHOD", "scrypt"),
        # Login throttling per (e-mail address, client network): this many failures are free,
        # then each further one waits LOGIN_DELAY_SECONDS, doubled every time, at most
        # LOGIN_LOCK_MINUTES. Nobody else's failures ever hold an account back.
        "LOGIN_MAX_FAILURES": _int(env, "LOGIN_MAX_FAILURES", 5),
        "LOGIN_DELAY_SECONDS": _int(env, "LOGIN_DELAY_SECONDS", 30),
        "LOGIN_LOCK_MINUTES": _int(env, "LOGIN_LOCK_MINUTES", 15),
        "CITY_NAME": get("CITY_NAME", "Musterstadt (Demo)"),
        "CITY_BOUNDARY": get("CITY_BOUNDARY", str(DEMO_BOUNDARY)),
        "CITY_STATE": get("CITY_STATE", _SLA.state),
        "TILE_URL": get("TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"),
        "TILE_ATTRIBUTION": get(
            "TILE_ATTRIBUTION",
            '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>',
        ),
        "MAX_PHOTOS": _int(env, "MAX_PHOTOS", 5),
        "MAX_PHOTO_BYTES": _int(env, "MAX_PHOTO_BYTES", 15 * 1024 * 1024),
        "MAX_PHOTO_PIXELS": _int(env, "MAX_PHOTO_PIXELS", 50_000_000),
        "MAX_CONTENT_LENGTH": _int(env, "MAX_UPLOAD_BYTES", 40 * 1024 * 1024),
        # Memory for decoding photos per process, shared by its threads (also the most one
        # photo may take: more pixels than fit are refused). A photo waits at most
        # PHOTO_DECODE_WAIT_SECONDS for its share, else the upload is answered 503.
        "PHOTO_DECODE_BUDGET_BYTES": _int(env, "PHOTO_DECODE_BUDGET_MB", 160) * 1024 * 1024,
        "PHOTO_DECODE_WAIT_SECONDS": _float(env, "PHOTO_DECODE_WAIT_SECONDS", 5.0),
        "DEFAULT_SLA_HOURS": _int(env, "DEFAULT_SLA_HOURS", 48),
        # "wall" (24/7, the 48h promise) or "business" (opening hours without holidays).
        "SLA_CALENDAR": get("SLA_CALENDAR", _SLA.calendar),
        "SLA_PAUSE_WHEN_WAITING": _bool(env, "SLA_PAUSE_WHEN_WAITING", _SLA.pause_when_waiting),
        # Promise by priority, e.g. "1=24,2=48" (a routing rule's own hours still win).
        "SLA_PRIORITY_HOURS": get("SLA_PRIORITY_HOURS", ""),
        "SLA_AT_RISK_SHARE": float(get("SLA_AT_RISK_SHARE", "0.25") or 0.25),
        "SQLITE_WAL": _bool(env, "SQLITE_WAL", True),
        # Seconds a request may wait for each answer of PostgreSQL (and for a new connection)
        # before it is answered 503; 0 switches the bound off. Commands and jobs wait on.
        "DB_TIMEOUT_SECONDS": _float(env, "DB_TIMEOUT_SECONDS", 5.0),
        # "pgbouncer" when DATABASE_URL names a PgBouncer in transaction mode: no server-side
        # prepared statements then (a statement prepared on one server connection is unknown
        # on the next). Empty: a direct connection (or a pooler in session mode).
        "DATABASE_POOLER": _choice(env, "DATABASE_POOLER", ("", "pgbouncer")),
        # Rate limits (flask-limiter syntax); counted in Redis when configured, else in memory.
        "RATELIMIT_ENABLED": _bool(env, "RATELIMIT_ENABLED", True),
        "INTAKE_LIMIT_IP": get("INTAKE_LIMIT_IP", "30/minute;300/hour"),
        "INTAKE_LIMIT_DEVICE": get("INTAKE_LIMIT_DEVICE", "5/minute;50/hour"),
        "LOGIN_LIMIT_IP": get("LOGIN_LIMIT_IP", "10/minute;100/hour"),
        # Staff sign-in with the city's identity provider (README: "Staff sign-in with OpenID
        # Connect"); off while OIDC_ISSUER is unset.
        "OIDC_ISSUER": get("OIDC_ISSUER"),
        "OIDC_CLIENT_ID": get("OIDC_CLIENT_ID"),
        "OIDC_CLIENT_SECRET": get("OIDC_CLIENT_SECRET"),
        "OIDC_SCOPES": get("OIDC_SCOPES", "openid email profile"),
        # group=role:department (department * for the whole city), separated by ";".
        "OIDC_ROLE_MAP": get("OIDC_ROLE_MAP", ""),
        # Off: staff log in only with the provider, but for the break-glass accounts listed.
        "LOCAL_PASSWORDS": _bool(env, "LOCAL_PASSWORDS", True),
        "BREAK_GLASS_EMAILS": [
            e.strip().lower() for e in (get("BREAK_GLASS_EMAILS") or "").split(",") if e.strip()
        ],
        "OPEN_DATA_LICENSE": get(
            "OPEN_DATA_LICENSE", "Datenlizenz Deutschland - Namensnennung - 2.0"
        ),
        "OPEN_DATA_LICENSE_URL": get(
            "OPEN_DATA_LICENSE_URL", "https://www.govdata.de/dl-de/by-2-0"
        ),
        # Behind a reverse proxy that terminates TLS: trust its X-Forwarded-* headers (one hop).
        # Without it no forwarded header counts, whoever sends it (gunicorn's own trust of
        # 127.0.0.1 included).
        "PROXY_FIX": _bool(env, "PROXY_FIX", False),
        # Public figures (transparency) are computed at most once per this many seconds per
        # process and may be cached as long by browsers and proxies.
        "PUBLIC_FIGURES_MAX_AGE": _int(env, "PUBLIC_FIGURES_MAX_AGE", 300),
        "REOPEN_DAYS": _int(env, "REOPEN_DAYS", _TICKETS.reopen_days),
        # Reporter contact data and unpublished photos go this long after a ticket is done.
        "RETENTION_DAYS": _int(env, "RETENTION_DAYS", _RETENTION.days),
        "AUTO_CLOSE_DAYS": _int(env, "AUTO_CLOSE_DAYS", _TICKETS.auto_close_days),
        "FOLLOWUP_DAYS": _int(env, "FOLLOWUP_DAYS", _TICKETS.followup_days),
        "SMTP_URL": get("SMTP_URL"),
        # Seconds each step of an SMTP exchange may take (connecting, each reply). No database
        # transaction is open meanwhile, so a slow mail server delays only mail.
        "SMTP_TIMEOUT": _float(env, "SMTP_TIMEOUT", _MAIL.smtp_timeout),
        # Without Redis, jobs run in a thread of the serving process.
        "INPROCESS_JOBS": _bool(env, "INPROCESS_JOBS", True),
        # The privacy pass of a photo: how often it may start before it counts as timed out,
        # and after how long untouched a pending photo's pass counts as lost (queued again).
        "PRIVACY_PASS_TRIES": _int(env, "PRIVACY_PASS_TRIES", photo_privacy.DEFAULT_TRIES),
        "PRIVACY_PASS_STALE_SECONDS": _int(
            env, "PRIVACY_PASS_STALE_SECONDS", photo_privacy.DEFAULT_STALE_SECONDS
        ),
        "MAIL_FROM": get("MAIL_FROM", _MAIL.sender),
        # Forwarding to external bodies: attempts before a delivery fails, and the seconds an
        # Open311 back office or a webhook may take to answer.
        "FORWARDING_MAX_ATTEMPTS": _int(env, "FORWARDING_MAX_ATTEMPTS", 8),
        "FORWARDING_TIMEOUT": _float(env, "FORWARDING_TIMEOUT", 15.0),
        # Abuse and spam defences (docs/abuse.md).
        # A report filled in faster than this (seconds, from the form's fill_ms) is refused;
        # 0 switches the check off. Clients that send no fill_ms are not checked.
        "MIN_FILL_SECONDS": _float(env, "MIN_FILL_SECONDS", _ABUSE.min_fill_seconds),
        "ABUSE_LIMIT_IP": get("ABUSE_LIMIT_IP", "10 per hour"),
        # Distinct open "report abuse" flags that take a report's text and photos offline.
        "ABUSE_HIDE_THRESHOLD": _int(env, "ABUSE_HIDE_THRESHOLD", _ABUSE.hide_threshold),
        # Hold reports from never-confirmed e-mail addresses until the address is confirmed.
        "CONFIRM_UNKNOWN_EMAILS": _bool(
            env, "CONFIRM_UNKNOWN_EMAILS", _ABUSE.confirm_unknown_emails
        ),
        "CONFIRM_EMAIL_DAYS": _int(env, "CONFIRM_EMAIL_DAYS", _ABUSE.confirm_email_days),
    }
    return config
