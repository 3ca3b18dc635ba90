"""Public reads of reports: one by public id or tracking token, lists, map markers, nearby.

What the citizen app, the public pages and the open interfaces read. Lists and map markers
are built from plain rows, not ORM objects: a map read of hundreds of reports is the most
frequent request the service answers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import paging
from ..clock import isoformat
from ..core import states
from ..core.catalog import Category, Department
from ..core.models import Photo, Report, public_text, publicly_listed
from ..errors import ApiError
from ..paging import after, split_page
from .media import PHOTO_CLEARED, listed_photos
from .service import token_hash


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
    return split_page(rows, limit, lambda row: (row.created_at, row.id))


def decode_cursor(raw: str) -> tuple[datetime, int]:
    """The position a cursor of the public list points at, or a 400."""
    return paging.decode_cursor(raw, (datetime, int))


def _newest_first_pays(session: Session, flt: ReportFilter) -> bool:
    """Whether reading newest first beats reading the box's reports and sorting them (SQLite).

    SQLite, without statistics of where reports lie, always reads every report in the box by
    its position index and sorts them: 0.25 s for the whole city at 100,000 reports, growing
    with history. Newest first by `created_at` stops after a page, but reads about
    `limit / share` reports when the box holds that share of them; the box's index reads about
    `reports × share` and sorts them, about four times the cost per report (measured at
    100,000 reports: whole city 240 ms against 0.6 ms, a quarter 16.5 against 4.5, a street
    1.4 against 58). So newest first pays when 4 × share² × reports > limit, the share taken
    as the box's part of the city's bounding box (PostgreSQL decides from its statistics).
    """
    if flt.bbox is None or session.get_bind().dialect.name != "sqlite":
        return False
    from ..city import city

    c_min_lon, c_min_lat, c_max_lon, c_max_lat = city().boundary.bounds
    min_lon, min_lat, max_lon, max_lat = flt.bbox
    overlap = max(0.0, min(max_lon, c_max_lon) - max(min_lon, c_min_lon)) * max(
        0.0, min(max_lat, c_max_lat) - max(min_lat, c_min_lat)
    )
    area = (c_max_lon - c_min_lon) * (c_max_lat - c_min_lat)
    share = overlap / area if area > 0 else 1.0
    reports = session.scalar(select(func.max(Report.id))) or 0  # the primary key's end
    return 4 * share * share * reports > flt.limit


def _public_page(flt: ReportFilter, *columns, departments: bool = True, newest_first=False):
    """The filtered, keyset-paginated public query (newest first) over the given columns.

    `departments=False` leaves the departments out of the join when no column needs them;
    `newest_first` keeps the box's condition off the position index, so SQLite walks the
    `created_at` index instead of sorting (see `_newest_first_pays`).
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
        # `+ 0` keeps SQLite off the position index, so it walks `created_at` newest first.
        lon, lat = (Report.lon + 0, Report.lat + 0) if newest_first else (Report.lon, Report.lat)
        query = query.where(lon.between(min_lon, max_lon), lat.between(min_lat, max_lat))
    if flt.statuses:
        query = query.where(Report.status.in_(flt.statuses))
    if flt.categories:
        query = query.where(Category.code.in_(flt.categories))
    if flt.since is not None:
        query = query.where(Report.created_at >= flt.since)
    if flt.cursor is not None:
        query = query.where(after((Report.created_at, Report.id), flt.cursor, descending=True))
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
        session.execute(
            _public_page(flt, *_LIST_COLUMNS, newest_first=_newest_first_pays(session, flt))
        ).all(),
        flt.limit,
    )
    photos: dict[int, list[dict]] = {}
    if page:
        published = {row.id for row in page if row.published}
        query = (
            select(
                Photo.report_id, Photo.kind, Photo.storage_key, Photo.web_width, Photo.web_height
            )
            .where(Photo.report_id.in_([row.id for row in page]), Photo.approved, PHOTO_CLEARED)
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
    newest_first = _newest_first_pays(session, flt)
    query = _public_page(flt, *_MAP_COLUMNS, departments=False, newest_first=newest_first)
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


# "Is it one of these?" shows a few reports, not every one of a busy square.
NEARBY_MAX = 10
# Reports this close to each other count as equally near: among them, those the citizen can
# compare with (published text or photos) come first.
NEARBY_BAND_M = 10


def _has_evidence(report: Report) -> bool:
    """Whether the public sees the report's text or a photo of it to compare with."""
    if not report.published:
        return False
    text = public_text(report.published, report.public_description, report.description)
    return bool(text) or bool(listed_photos(report))


def _nearby_order(pair: tuple[Report, float]) -> tuple[int, int, float]:
    report, distance = pair
    return (int(distance // NEARBY_BAND_M), 0 if _has_evidence(report) else 1, distance)


def nearby(
    session: Session,
    lat: float,
    lon: float,
    radius_m: float,
    category: str | None = None,
    limit: int = NEARBY_MAX,
) -> list[tuple[Report, float]]:
    """Open reports within `radius_m` metres, optionally of one category, at most `limit`.

    Nearest first, in bands of `NEARBY_BAND_M` metres; within a band the published ones with
    text or photos come first, since a citizen can tell from them whether it is the same
    defect (of an unpublished report only category, status, distance and age show).
    """
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
    return sorted(found, key=_nearby_order)[:limit]


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance in metres between two WGS84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(a))
