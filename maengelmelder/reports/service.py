"""Report intake: validate, process photos, route, store — all or nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ..abuse.intake import (
    blocked_pattern,
    check_form_signals,
    hold_on_intake,
    without_form_signals,
)
from ..catalog.models import Category, Department
from ..city import City
from ..clock import isoformat
from ..errors import ApiError, field_error
from ..i18n import msg
from ..sla import service as sla
from ..storage import MediaStorage
from ..tickets import states
from ..tickets.models import TicketEvent
from ..zoning import service as zoning
from ..zoning.geometry import ZoningError
from .models import Photo, Report, public_text, publicly_listed
from .photos import PhotoError, ProcessedPhoto, process_photo
from .store import insert_report


@dataclass(frozen=True)
class IntakeLimits:
    """Limits an intake request must keep."""

    max_photos: int = 5
    max_photo_bytes: int = 15 * 1024 * 1024
    max_photo_pixels: int = 50_000_000


@dataclass
class Submission:
    """The outcome of an intake: the report, its tracking token, and whether it was a replay."""

    report: Report
    tracking_token: str
    replayed: bool = False
    photos: list[ProcessedPhoto] = field(default_factory=list)


def token_hash(token: str) -> str:
    """How tracking tokens are stored: only their SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


def tracking_token(secret_key: str, salt: str) -> str:
    """The tracking token of a report: HMAC(secret key, the report's random salt)."""
    digest = hmac.new(secret_key.encode(), b"track:" + salt.encode(), "sha256")
    return base64.urlsafe_b64encode(digest.digest()[:24]).decode().rstrip("=")


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
    for index, blob in enumerate(blobs, start=1):
        try:
            processed.append(
                process_photo(
                    blob, max_bytes=limits.max_photo_bytes, max_pixels=limits.max_photo_pixels
                )
            )
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
    idempotency_key: str | None = None,
    sla_config: Mapping | None = None,
    base_url: str | None = None,
) -> Submission:
    """File a citizen's report (or replay the first one for a retried idempotency key).

    `sla_config` is the app's settings: the SLA policy and the abuse defences read it;
    `base_url` starts the links of a confirmation mail (default: BASE_URL or the request's).
    A retried key without photos raises IntegrityError at the insert: the caller rolls back
    and answers with `replay(find_by_idempotency_key(...))`.
    """
    settings = sla_config or {}
    check_form_signals(data, settings)
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
    routing = zoning.explanation(session, decision, department)
    promise = sla.intake_policy(
        sla_config or {},
        category_hours=category.sla_hours,
        rule_hours=decision.sla_hours,
        priority=decision.priority,
        department=department,
    )
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
        address=(data.get("address") or "").strip() or None,
        status=states.NEW,
        created_at=now,
        updated_at=now,
        sla_hours=hours,
        sla_calendar=promise.calendar,
        lang=data.get("lang") or "de",
        published=category.auto_publish,
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
    sla.reschedule(report, sla_config or {})
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
        report.photos.append(
            Photo(
                kind="report",
                approved=category.auto_publish,
                position=position,
                storage_key=key,
                web_width=processed.web.width,
                web_height=processed.web.height,
                thumb_width=processed.thumb.width,
                thumb_height=processed.thumb.height,
                web_bytes=len(processed.web.data),
                source_sha256=processed.sha256,
                created_at=now,
            )
        )
    hold_on_intake(
        session,
        report,
        now=now,
        settings=settings,
        secret_key=secret_key,
        base_url=base_url,
        blocked=blocked,
    )
    session.flush()
    return Submission(report, token, photos=photos)


def get_public(session: Session, public_id: str) -> Report:
    """A report the public may see, by its public id, or a 404."""
    report = session.scalar(select(Report).where(Report.public_id == public_id, publicly_listed()))
    if report is None:
        raise ApiError(404, "report_not_found")
    return report


def get_by_token(session: Session, token: str) -> Report:
    """The report a tracking token belongs to, or a 404 (same answer for any wrong token)."""
    report = session.scalar(select(Report).where(Report.tracking_token_hash == token_hash(token)))
    if report is None:
        raise ApiError(404, "report_not_found")
    return report


@dataclass(frozen=True)
class ReportFilter:
    """Validated filters of the public report list."""

    bbox: tuple[float, float, float, float] | None = None  # min lon, min lat, max lon, max lat
    statuses: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    since: datetime | None = None
    cursor: tuple[datetime, int] | None = None
    limit: int = 50


def parse_bbox(raw: str) -> tuple[float, float, float, float]:
    """'minlon,minlat,maxlon,maxlat' in WGS84, or a 400."""
    try:
        values = tuple(float(v) for v in raw.split(","))
    except ValueError:
        values = ()
    ok = (
        len(values) == 4
        and all(v == v for v in values)  # no NaN
        and -180 <= values[0] <= values[2] <= 180
        and -90 <= values[1] <= values[3] <= 90
    )
    if not ok:
        raise ApiError(400, "invalid_filter", name="bbox", value=raw[:100])
    return values  # type: ignore[return-value]


def _page_and_cursor(rows: list, limit: int) -> tuple[list, str | None]:
    """A page of rows fetched with one extra (see `_public_page`), and the next page's cursor."""
    page = rows[:limit]
    if len(rows) <= limit:
        return page, None
    return page, _cursor(page[-1].created_at, page[-1].id)


def _cursor(created_at: datetime, ident: int) -> str:
    raw = json.dumps([created_at.isoformat(), ident]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(raw: str) -> tuple[datetime, int]:
    """The position a cursor points at, or a 400."""
    try:
        padded = raw + "=" * (-len(raw) % 4)
        created, ident = json.loads(base64.urlsafe_b64decode(padded.encode()))
        at = datetime.fromisoformat(created)
        # ids are positive 32-bit integers; the time must exist in UTC
        if at.tzinfo is None or type(ident) is not int or not 0 < ident < 2**31:
            raise ValueError(raw)
        return at.astimezone(UTC), ident
    except (ValueError, TypeError, UnicodeDecodeError, OverflowError, RecursionError) as exc:
        # RecursionError: a cursor hiding JSON nested a thousand levels deep (under 3 KB)
        raise ApiError(400, "invalid_cursor") from exc


def _public_page(flt: ReportFilter, *columns, departments: bool = True):
    """The filtered, keyset-paginated public query (newest first) over the given columns.

    `departments=False` leaves the departments out of the join when no column needs them.
    """
    query = (
        select(*columns)
        .select_from(Report)
        .join(Category, Category.id == Report.category_id)
        .where(publicly_listed())
    )
    if departments:
        query = query.join(Department, Department.id == Report.department_id)
    if flt.bbox is not None:
        min_lon, min_lat, max_lon, max_lat = flt.bbox
        query = query.where(
            Report.lon.between(min_lon, max_lon), Report.lat.between(min_lat, max_lat)
        )
    if flt.statuses:
        query = query.where(Report.status.in_(flt.statuses))
    if flt.categories:
        query = query.where(Category.code.in_(flt.categories))
    if flt.since is not None:
        query = query.where(Report.created_at >= flt.since)
    if flt.cursor is not None:
        at, ident = flt.cursor
        query = query.where(
            or_(Report.created_at < at, and_(Report.created_at == at, Report.id < ident))
        )
    return query.order_by(Report.created_at.desc(), Report.id.desc()).limit(flt.limit + 1)


# What a public list row needs, read as plain columns: a map read of 500 reports spent most of
# its time building ORM objects and running the schema; these rows go straight to dicts.
_LIST_COLUMNS = (
    Report.id,
    Report.public_id,
    Report.status,
    Report.description,
    Report.public_description,
    Report.published,
    Report.supporters,
    Report.address,
    Report.lat,
    Report.lon,
    Report.location_source,
    Report.created_at,
    Report.updated_at,
    Report.deadline,
    Report.resolved_at,
    Category.code.label("category_code"),
    Category.name_de.label("category_de"),
    Category.name_en.label("category_en"),
    Category.group.label("category_group"),
    Department.code.label("department_code"),
    Department.name_de.label("department_de"),
    Department.name_en.label("department_en"),
)


def list_public_dicts(
    session: Session, flt: ReportFilter, dump_photo
) -> tuple[list[dict], str | None]:
    """Public reports, newest first, one page at a time (keyset pagination), as plain dicts.

    Each dict is what `ReportPublic` dumps for the report (a test holds the two equal).

    `dump_photo(kind, storage_key, width, height)` makes a photo's dict; only photos the
    public may see are passed to it.
    """
    page, cursor = _page_and_cursor(
        session.execute(_public_page(flt, *_LIST_COLUMNS)).all(), flt.limit
    )
    photos: dict[int, list[dict]] = {}
    if page:
        published = {row.id for row in page if row.published}
        query = (
            select(
                Photo.report_id, Photo.kind, Photo.storage_key, Photo.web_width, Photo.web_height
            )
            .where(Photo.report_id.in_([row.id for row in page]), Photo.approved)
            .order_by(Photo.report_id, Photo.position, Photo.id)
        )
        for photo in session.execute(query):
            if photo.report_id in published or photo.kind == "after":
                photos.setdefault(photo.report_id, []).append(
                    dump_photo(photo.kind, photo.storage_key, photo.web_width, photo.web_height)
                )
    items = [
        {
            "public_id": row.public_id,
            "status": row.status,
            "status_label": states.LABELS[row.status],
            "category": {
                "code": row.category_code,
                "name": {"de": row.category_de, "en": row.category_en},
                "group": row.category_group,
            },
            "department": {
                "code": row.department_code,
                "name": {"de": row.department_de, "en": row.department_en},
            },
            "description": public_text(row.published, row.public_description, row.description),
            "published": row.published,
            "supporters": row.supporters,
            "address": row.address if row.published else None,
            "lat": row.lat,
            "lon": row.lon,
            "location_source": row.location_source,
            "created_at": isoformat(row.created_at),
            "updated_at": isoformat(row.updated_at),
            "deadline": isoformat(row.deadline),
            "resolved_at": isoformat(row.resolved_at),
            "photos": photos.get(row.id, []),
        }
        for row in page
    ]
    return items, cursor


_MAP_COLUMNS = (
    Report.id,
    Report.public_id,
    Report.status,
    Report.lat,
    Report.lon,
    Report.created_at,
    Category.code.label("category_code"),
)


def list_map_dicts(session: Session, flt: ReportFilter) -> tuple[list[dict], str | None]:
    """The same page as `list_public_dicts`, but only what a map marker shows.

    Public id, status, category code and position: a third of the full answer's bytes,
    which is what a phone pays for every pan of the map. Details come from the report itself.
    """
    query = _public_page(flt, *_MAP_COLUMNS, departments=False)
    page, cursor = _page_and_cursor(session.execute(query).all(), flt.limit)
    items = [
        {
            "public_id": row.public_id,
            "status": row.status,
            "category": row.category_code,
            "lat": row.lat,
            "lon": row.lon,
        }
        for row in page
    ]
    return items, cursor


def nearby(
    session: Session, lat: float, lon: float, radius_m: float, category: str | None = None
) -> list[tuple[Report, float]]:
    """Open reports within `radius_m` metres (nearest first), optionally of one category."""
    dlat = radius_m / 111_320
    dlon = radius_m / (111_320 * max(0.01, math.cos(math.radians(lat))))
    query = select(Report).where(
        publicly_listed(),
        Report.status.in_(states.OPEN),
        Report.lat.between(lat - dlat, lat + dlat),
        Report.lon.between(lon - dlon, lon + dlon),
    )
    if category:
        query = query.join(Report.category).where(Category.code == category)
    found = []
    for report in session.scalars(query).unique():
        distance = haversine_m(lat, lon, report.lat, report.lon)
        if distance <= radius_m:
            found.append((report, distance))
    return sorted(found, key=lambda pair: pair[1])


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance in metres between two WGS84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


def support(
    session: Session, report: Report, *, email: str | None, lang: str, now: datetime
) -> Report:
    """'Me too': count the support and, with an e-mail, let the supporter follow the report."""
    from .models import Follower

    if report.status not in states.OPEN:
        raise ApiError(409, "support_closed")
    report.supporters += 1
    email = (email or "").strip().lower() or None
    known = {f.email for f in report.followers} | {report.reporter_email}
    if email and email not in known:
        report.followers.append(Follower(email=email, lang=lang, source="support", created_at=now))
    session.flush()
    return report
