"""Report intake: validate, process photos, route, store — all or nothing."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..abuse.intake import (
    blocked_pattern,
    check_form_signals,
    hold_on_intake,
    without_form_signals,
)
from ..addresses import service as addresses
from ..city import City
from ..core import photo_privacy, states
from ..core.events import Change, TicketEvent
from ..core.links import Links
from ..core.models import Photo, Report
from ..core.settings import AbuseSettings, SlaSettings
from ..core.tokens import token_hash, tracking_token
from ..errors import ApiError, field_error
from ..i18n import msg
from ..sla import service as sla_service
from ..storage import MediaStorage
from ..zoning import service as zoning
from ..zoning.geometry import ZoningError
from .photos import DecodeBudget, PhotoBusy, PhotoError, ProcessedPhoto, process_photo
from .store import insert_report

if TYPE_CHECKING:  # for the annotations only
    from ..accounts.service import Principal


@dataclass(frozen=True)
class IntakeLimits:
    """Limits an intake request must keep."""

    max_photos: int = 5
    max_photo_bytes: int = 15 * 1024 * 1024
    max_photo_pixels: int = 50_000_000
    # Decoding memory: the most one photo may take, and the process's shared budget.
    max_decode_bytes: int | None = None
    decode_budget: DecodeBudget | None = None


# The process's decoding memory stayed taken for the whole wait (photos/budget.py).
# The hand-over to an external body that a report's deciding rule names, written in the
# report's own transaction. Forwarding registers it (its init_app): it builds on the tickets'
# workflow, which builds on reports, so reports may not import it.
_hand_over: Callable[..., object] | None = None


def register_hand_over(hand_over: Callable[..., object]) -> None:
    """Set what intake calls when the deciding rule names an external body."""
    global _hand_over
    _hand_over = hand_over


PHOTOS_BUSY = {
    "de": "Gerade werden sehr viele Fotos verarbeitet. Bitte in einigen Sekunden erneut senden.",
    "en": "Too many photos are being processed right now. Please send again in a few seconds.",
}


@dataclass
class Submission:
    """The outcome of an intake: the report, its tracking token, and whether it was a replay."""

    report: Report
    tracking_token: str
    replayed: bool = False
    photos: list[ProcessedPhoto] = field(default_factory=list)


def fingerprint(data: dict, photos: list[bytes]) -> str:
    """A digest of what was submitted, to tell a retry from a different report.

    The form signals (honeypot, fill time) are left out: a client may measure fill_ms anew.
    """
    canonical = json.dumps(
        without_form_signals(data), sort_keys=True, default=str, ensure_ascii=False
    )
    h = hashlib.sha256(canonical.encode())
    for blob in photos:
        h.update(hashlib.sha256(blob).digest())
    return h.hexdigest()


def find_by_idempotency_key(session: Session, key: str) -> Report | None:
    return session.scalar(select(Report).where(Report.idempotency_key == key))


def replay(report: Report, print_: str, secret_key: str) -> Submission:
    """Answer a retried submission with the report it created the first time."""
    if report.request_fingerprint != print_:
        raise ApiError(422, "idempotency_mismatch")
    return Submission(report, tracking_token(secret_key, report.tracking_salt), replayed=True)


def process_photos(blobs: list[bytes], limits: IntakeLimits) -> list[ProcessedPhoto]:
    """Decode, check, orient and strip every photo before anything is stored."""
    if len(blobs) > limits.max_photos:
        raise field_error("photos", "too_many_photos", limit=limits.max_photos)
    processed = []
    # One photo after the other: a request never holds more than one photo's decode.
    for index, blob in enumerate(blobs, start=1):
        try:
            processed.append(
                process_photo(
                    blob,
                    max_bytes=limits.max_photo_bytes,
                    max_pixels=limits.max_photo_pixels,
                    max_decode_bytes=limits.max_decode_bytes,
                    budget=limits.decode_budget,
                )
            )
        except PhotoBusy as exc:
            headers = {"Retry-After": str(exc.retry_after)}
            raise ApiError(503, "photos_busy", PHOTOS_BUSY, headers=headers) from exc
        except PhotoError as exc:
            message = msg("photo_invalid", index=index, de=exc.message["de"], en=exc.message["en"])
            raise ApiError(
                exc.status,
                "validation_failed",
                fields={"photos": {str(index - 1): [message]}},
                extra={"photo_error": exc.code},
            ) from exc
    return processed


def _locate(data: dict, photos: list[ProcessedPhoto], city: City) -> tuple[float, float, str]:
    lat, lon = data.get("lat"), data.get("lon")
    if (lat is None) != (lon is None):
        raise field_error("lat" if lat is None else "lon", "lat_lon_pair")
    source = "client"
    if lat is None:
        gps = next((p.gps for p in photos if p.gps is not None), None)
        if gps is None:
            raise field_error("location", "location_required")
        lon, lat = gps
        source = "photo"
    if not city.contains(lon, lat):
        raise ApiError(
            422,
            "outside_city",
            fields={"location": [msg("outside_city", city=city.name)]},
            city=city.name,
        )
    return lat, lon, source


def _address_at(session: Session, lat: float, lon: float) -> str | None:
    """The label of the address at the place (city's address data), when the citizen gave none."""
    found = addresses.reverse(session, lat, lon)
    return found.label[:300] if found is not None else None


def submit_report(
    session: Session,
    data: dict,
    photo_blobs: list[bytes],
    *,
    now: datetime,
    city: City,
    storage: MediaStorage,
    secret_key: str,
    limits: IntakeLimits,
    sla: SlaSettings,
    abuse: AbuseSettings,
    links: Links,
    idempotency_key: str | None = None,
    trusted_by: Principal | None = None,
) -> Submission:
    """File a citizen's report (or replay the first one for a retried idempotency key).

    `sla` is the promise policy, `abuse` the defences intake applies, `links` where a
    confirmation mail points. `trusted_by` is the trusted API token that files it: the report
    is public at once (its photos after their privacy pass), as an auto-publishing category's
    is, and an event names the token; the token vouches for the sender, so no confirmation
    hold (the block list still holds).

    A retried key without photos raises IntegrityError at the
    insert: the caller rolls back and answers with `replay(find_by_idempotency_key(...))`.
    """
    check_form_signals(data, abuse)
    print_ = fingerprint(data, photo_blobs)
    # A retried upload is answered before its photos are processed again. Without photos the
    # lookup would cost every first submission a round trip: there the key's unique index
    # stops a retry at the insert, and the caller answers with the first report (as it does
    # for two submissions that race).
    if idempotency_key is not None and photo_blobs:
        existing = find_by_idempotency_key(session, idempotency_key)
        if existing is not None:
            return replay(existing, print_, secret_key)

    catalogue = zoning.catalogue(session)
    known = catalogue.categories.get(data["category"])
    if known is None or not known.active:
        raise field_error("category", "unknown_category", value=data["category"])
    category = session.merge(known, load=False)
    photos = process_photos(photo_blobs, limits)
    lat, lon, source = _locate(data, photos, city)

    try:
        decision = catalogue.router.route(lon, lat, category.code)
    except ZoningError as exc:
        raise zoning.zoning_error(exc) from exc
    responsible = catalogue.departments.get(decision.department)
    department = session.merge(responsible, load=False) if responsible else None
    routing = zoning.explanation(session, decision, department, catalogue.names)
    promise = sla_service.intake_policy(
        sla,
        category_hours=category.sla_hours,
        rule_hours=decision.sla_hours,
        priority=decision.priority,
        department=department,
    )
    trusted = trusted_by is not None and trusted_by.trusted
    public = category.auto_publish or trusted
    salt = secrets.token_hex(16)
    token = tracking_token(secret_key, salt)
    hours = promise.hours
    email = (data.get("email") or "").strip() or None
    report = Report(
        category=category,
        department=department,
        description=(data.get("description") or "").strip(),
        lat=lat,
        lon=lon,
        location_source=source,
        address=(data.get("address") or "").strip() or _address_at(session, lat, lon),
        status=states.NEW,
        created_at=now,
        updated_at=now,
        sla_hours=hours,
        sla_calendar=promise.calendar,
        lang=data.get("lang") or "de",
        published=public,
        zone_keys="," + "".join(f"{key}," for key in decision.zones),
        priority=decision.priority,
        reporter_email=email,
        notify_reporter=bool(email and data.get("notify", True)),
        tracking_salt=salt,
        tracking_token_hash=token_hash(token),
        idempotency_key=idempotency_key,
        request_fingerprint=print_,
        routing=routing,
        ruleset_version=decision.ruleset_version,
        photos=[],  # known to be empty: no query for it after the insert
    )
    sla_service.reschedule(report, sla)
    # The files first: the year's counter is locked from the insert to the commit.
    files = []
    for processed in photos:
        key = secrets.token_hex(16)
        storage.put(session, f"{key}-web.jpg", processed.web.data)
        storage.put(session, f"{key}-thumb.jpg", processed.thumb.data)
        files.append(key)
    created = TicketEvent(
        created_at=now,
        actor="citizen",
        kind="created",
        to_status=states.NEW,
        data={
            "department": department.code,
            "rule_id": decision.rule_id,
            "ruleset_version": decision.ruleset_version,
            "location_source": source,
            "photos": len(photos),
        },
    )
    blocked = blocked_pattern(session, email)
    insert_report(session, report, created)
    for position, (key, processed) in enumerate(zip(files, photos, strict=True)):
        report.photos.append(photo_row(processed, key, "report", public, position, now))
    held = hold_on_intake(
        session,
        report,
        now=now,
        settings=replace(abuse, confirm_unknown_emails=False) if trusted else abuse,
        links=links,
        blocked=blocked,
    )
    if trusted and not held:
        _published_by(report, trusted_by, now)
    named = routing.get("destination")
    if named and named["active"]:
        # The deciding rule names an external body: handed over as staff would, in this
        # transaction (the event, waiting_external unless a copy, the delivery row).
        if _hand_over is None:
            raise RuntimeError("a rule names an external body, but forwarding is not set up")
        change = Change(principal=None, now=now, links=links, sla=sla, by_system=True)
        _hand_over(
            session,
            report,
            change,
            destination=named["id"],
            copy_only=named["copy_only"],
            link_secret=secret_key,
            rule=named["rule_id"],
        )
    session.flush()
    return Submission(report, token, photos=photos)


def _published_by(report: Report, token: Principal, now: datetime) -> None:
    """The history says which trusted source made the report public."""
    report.events.append(
        TicketEvent(
            created_at=now,
            actor=token.actor,
            kind="published",
            from_status=report.status,
            to_status=report.status,
            data={"photo_ids": None, "trusted_token": {"name": token.name, "prefix": token.prefix}},
        )
    )


def photo_row(
    processed: ProcessedPhoto, key: str, kind: str, approved: bool, position: int, now: datetime
) -> Photo:
    """The row of a stored citizen photo (its files written under `key`), waiting for its
    privacy pass."""
    return Photo(
        kind=kind,
        approved=approved,
        position=position,
        storage_key=key,
        web_width=processed.web.width,
        web_height=processed.web.height,
        thumb_width=processed.thumb.width,
        thumb_height=processed.thumb.height,
        web_bytes=len(processed.web.data),
        source_sha256=processed.sha256,
        created_at=now,
        privacy_state=photo_privacy.PENDING,
        privacy_at=now,
    )
