"""Open data: every report as GeoJSON or CSV, streamed, without personal data.

Only what the public page shows leaves the service: the citizen's text, address and photo
only once staff published them; never e-mail addresses, tokens or internal notes.

A download is a page of at most `limit` reports, oldest first; the next page is announced
in a `Link: <…>; rel="next"` header (and in GeoJSON as the members `next_cursor` and
`links`), so a city's whole history never has to be read in one request.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime

from flask import Response, current_app, stream_with_context, url_for
from sqlalchemy import desc, select, tuple_

from .. import paging, spreadsheet
from ..clock import isoformat
from ..core import states
from ..core.catalog import Category, Department
from ..core.models import Photo, Report, public_text, publicly_listed
from ..errors import ApiError
from ..extensions import db
from ..reports.media import PHOTO_CLEARED
from ..web.api import Blueprint
from ..web.geojson import point
from .schemas import CSV_LINKS, ExportArgs, OpenDataFeatureCollection

bp = Blueprint("opendata", __name__, description="Open data: the reports as GeoJSON and CSV.")
CHUNK = 500
CURSOR_TAG = "o"  # cursors of the exports: (created_at, id) after the tag

# The data dictionary (docs/open-data.md describes each column).
COLUMNS = (
    "public_id",
    "category",
    "category_name_de",
    "category_name_en",
    "status",
    "department",
    "department_name_de",
    "created_at",
    "updated_at",
    "resolved_at",
    "deadline",
    "within_promise",
    "lat",
    "lon",
    "description",
    "address",
    "photo_url",
)


_KEY = (Report.created_at, Report.id)


def _filtered(args: dict, *columns):
    """The reports the filters select (oldest first, past the cursor), as the given columns."""
    query = select(*columns).select_from(Report).where(publicly_listed()).order_by(*_KEY)
    if "from_" in args:
        query = query.where(Report.created_at >= args["from_"])
    if "to" in args:
        query = query.where(Report.created_at < args["to"])
    if args.get("category"):
        # By id, not by a join on the code: the planner then reads (status, category, created).
        codes = args["category"].split(",")
        ids = db.session.scalars(select(Category.id).where(Category.code.in_(codes)))
        query = query.where(Report.category_id.in_(list(ids)))
    if args.get("status"):
        wanted = args["status"].split(",")
        bad = [s for s in wanted if s not in states.ALL]
        if bad:
            raise ApiError(400, "invalid_filter", name="status", value=bad[0][:50])
        query = query.where(Report.status.in_(wanted))
    if "cursor" in args:
        position = paging.decode_cursor(args["cursor"], (datetime, int), tag=CURSOR_TAG)
        query = query.where(paging.after(_KEY, position))
    return query


def page_bounds(args: dict) -> tuple[tuple | None, str | None]:
    """The last (created_at, id) of this page, or None when it is empty; the next cursor.

    Read before the first byte is sent, so the Link header can name the next page: the key
    at the page's end and the one after it (an index scan of `limit` keys, no rows built).
    When the page is not full, its end is the last report there is now; reports arriving
    while it is written wait for the next download.
    """
    keys = _filtered(args, *_KEY).offset(args["limit"] - 1).limit(2)
    found = db.session.execute(keys).all()
    if not found:
        last = db.session.execute(
            _filtered(args, *_KEY).order_by(None).order_by(*(desc(c) for c in _KEY)).limit(1)
        ).first()
        return (tuple(last) if last else None), None
    more = len(found) == 2
    return tuple(found[0]), paging.encode_cursor(found[0], CURSOR_TAG) if more else None


def _query(args: dict, last: tuple):
    query = _filtered(
        args,
        Report.id,
        Report.public_id,
        Report.status,
        Report.created_at,
        Report.updated_at,
        Report.resolved_at,
        Report.deadline,
        Report.lat,
        Report.lon,
        Report.published,
        Report.description,
        Report.public_description,
        Report.address,
        Category.code.label("category"),
        Category.name_de.label("category_name_de"),
        Category.name_en.label("category_name_en"),
        Department.code.label("department"),
        Department.name_de.label("department_name_de"),
    )
    query = (
        query.join(Category, Report.category_id == Category.id)
        .join(Department, Report.department_id == Department.id)
        .where(tuple_(*_KEY) <= last)
    )
    # Plain rows (no ORM identity map), a chunk at a time (a server-side cursor on
    # PostgreSQL): memory stays flat however many reports there are.
    return query.execution_options(yield_per=CHUNK)


def _photo_urls(report_ids: list[int]) -> dict[int, str]:
    rows = db.session.execute(
        select(Photo.report_id, Photo.storage_key)
        .where(Photo.report_id.in_(report_ids), Photo.approved.is_(True), PHOTO_CLEARED)
        .order_by(Photo.report_id, Photo.position)
    )
    urls: dict[int, str] = {}
    for report_id, key in rows:
        urls.setdefault(report_id, url_for("reports.media", name=f"{key}-web.jpg", _external=True))
    return urls


def _records(args: dict, last: tuple | None) -> Iterator[dict]:
    if last is None:
        return
    result = db.session.execute(_query(args, last))
    for partition in result.partitions(CHUNK):
        photos = _photo_urls([row.id for row in partition])
        for row in partition:
            published = row.published
            yield {
                "public_id": row.public_id,
                "category": row.category,
                "category_name_de": row.category_name_de,
                "category_name_en": row.category_name_en,
                "status": row.status,
                "department": row.department,
                "department_name_de": row.department_name_de,
                "created_at": isoformat(row.created_at),
                "updated_at": isoformat(row.updated_at),
                "resolved_at": isoformat(row.resolved_at),
                "deadline": isoformat(row.deadline),
                "within_promise": None
                if row.resolved_at is None
                else row.resolved_at <= row.deadline,
                "lat": round(row.lat, 6),
                "lon": round(row.lon, 6),
                "description": public_text(published, row.public_description, row.description),
                "address": row.address if published else None,
                "photo_url": photos.get(row.id) if published else None,
            }


def _license() -> dict:
    cfg = current_app.config
    return {"name": cfg["OPEN_DATA_LICENSE"], "url": cfg["OPEN_DATA_LICENSE_URL"]}


def _links(resp: Response, *links: tuple[str, str] | None) -> None:
    value = paging.link_header(*links)
    if value:
        resp.headers["Link"] = value


@bp.get("/api/v1/export/reports.geojson")
@bp.arguments(ExportArgs, location="query")
@bp.response(
    200,
    OpenDataFeatureCollection,
    content_type="application/geo+json",
    description="Streamed; the next page in `next_cursor`, `links` and `Link`.",
    headers=paging.LINK_HEADER,
)
def export_geojson(args: dict):
    """A page of the reports (filtered), oldest first, as GeoJSON, without personal data.

    One FeatureCollection, streamed.
    """
    last, cursor = page_bounds(args)  # also checks the filters before the first byte
    link = paging.next_link(cursor)

    def generate() -> Iterator[str]:
        head = {
            "type": "FeatureCollection",
            "license": _license(),
            "name": "maengelmelder",
            "next_cursor": cursor,
            "links": paging.geojson_links(link),
        }
        yield json.dumps(head, ensure_ascii=False)[:-1] + ', "features": ['
        first = True
        for record in _records(args, last):
            props = {k: v for k, v in record.items() if k not in ("lat", "lon")}
            feature = {
                "type": "Feature",
                "id": record["public_id"],
                "geometry": point(record["lon"], record["lat"]),
                "properties": props,
            }
            yield ("" if first else ",") + json.dumps(feature, ensure_ascii=False)
            first = False
        yield "]}"

    resp = Response(stream_with_context(generate()), mimetype="application/geo+json")
    resp.headers["Content-Disposition"] = 'attachment; filename="reports.geojson"'
    _links(resp, link)
    return resp


@bp.get("/api/v1/export/reports.csv")
@bp.arguments(ExportArgs, location="query")
@bp.response(
    200,
    {"type": "string"},
    content_type="text/csv",
    description="Streamed, with a header row.",
    headers={"Link": CSV_LINKS},
)
def export_csv(args: dict):
    """A page of the reports (filtered), oldest first, as CSV, without personal data.

    A header row, then one row per report, streamed; the license and the next page in the
    `Link` header.
    """
    last, cursor = page_bounds(args)

    def generate() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator=spreadsheet.LINE_END)
        writer.writeheader()
        for n, record in enumerate(_records(args, last), start=1):
            writer.writerow(spreadsheet.row(record))
            if n % CHUNK == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    resp = Response(stream_with_context(generate()), mimetype="text/csv")
    resp.headers["Content-Disposition"] = 'attachment; filename="reports.csv"'
    lic = _license()
    _links(resp, paging.next_link(cursor), (lic["url"], f'rel="license"; title="{lic["name"]}"'))
    return resp
