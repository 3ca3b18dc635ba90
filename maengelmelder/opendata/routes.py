"""Open data: every report as GeoJSON or CSV, streamed, without personal data.

Only what the public page shows leaves the service: the citizen's text, address and photo
only once staff published them; never e-mail addresses, tokens or internal notes.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

from flask import Blueprint, Response, current_app, request, stream_with_context, url_for
from marshmallow import RAISE, Schema, ValidationError, fields, validate
from sqlalchemy import select

from .. import spreadsheet
from ..catalog.models import Category, Department
from ..clock import in_utc, isoformat
from ..errors import ApiError, validation_error
from ..extensions import db
from ..reports.models import Photo, Report, publicly_listed
from ..tickets import states

bp = Blueprint("opendata", __name__)
CHUNK = 500

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


_NO_NUL = validate.ContainsNoneOf("\x00", error="Not a valid string.")


class ExportArgs(Schema):
    class Meta:
        unknown = RAISE

    from_ = fields.AwareDateTime(data_key="from", validate=in_utc)
    to = fields.AwareDateTime(validate=in_utc)
    # NUL is no text: PostgreSQL would refuse it only once the stream has begun (a cut-off 200).
    category = fields.String(validate=[validate.Length(max=500), _NO_NUL])
    status = fields.String(validate=[validate.Length(max=200), _NO_NUL])


def _query(args: dict):
    query = (
        select(
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
        .join(Category, Report.category_id == Category.id)
        .join(Department, Report.department_id == Department.id)
        .where(publicly_listed())
        .order_by(Report.id)
    )
    if "from_" in args:
        query = query.where(Report.created_at >= args["from_"])
    if "to" in args:
        query = query.where(Report.created_at < args["to"])
    if args.get("category"):
        query = query.where(Category.code.in_(args["category"].split(",")))
    if args.get("status"):
        wanted = args["status"].split(",")
        bad = [s for s in wanted if s not in states.ALL]
        if bad:
            raise ApiError(400, "invalid_filter", name="status", value=bad[0][:50])
        query = query.where(Report.status.in_(wanted))
    # Plain rows (no ORM identity map), a chunk at a time (a server-side cursor on
    # PostgreSQL): memory stays flat however many reports there are.
    return query.execution_options(yield_per=CHUNK)


def _photo_urls(report_ids: list[int]) -> dict[int, str]:
    rows = db.session.execute(
        select(Photo.report_id, Photo.storage_key)
        .where(Photo.report_id.in_(report_ids), Photo.approved.is_(True))
        .order_by(Photo.report_id, Photo.position)
    )
    urls: dict[int, str] = {}
    for report_id, key in rows:
        urls.setdefault(report_id, url_for("reports.media", name=f"{key}-web.jpg", _external=True))
    return urls


def _records(args: dict) -> Iterator[dict]:
    result = db.session.execute(_query(args))
    for partition in result.partitions(CHUNK):
        photos = _photo_urls([row.id for row in partition])
        for row in partition:
            published = row.published
            text = row.public_description if row.public_description is not None else row.description
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
                "description": text if published else None,
                "address": row.address if published else None,
                "photo_url": photos.get(row.id) if published else None,
            }


def _license() -> dict:
    cfg = current_app.config
    return {"name": cfg["OPEN_DATA_LICENSE"], "url": cfg["OPEN_DATA_LICENSE_URL"]}


def _args() -> dict:
    try:
        return ExportArgs().load(request.args.to_dict())
    except ValidationError as exc:
        raise validation_error(exc.normalized_messages(), status=400) from exc


@bp.get("/api/v1/export/reports.geojson")
def export_geojson():
    """All reports (filtered) as one GeoJSON FeatureCollection, streamed."""
    args = _args()
    _query(args)  # validate filters before the first byte is sent

    def generate() -> Iterator[str]:
        head = {"type": "FeatureCollection", "license": _license(), "name": "maengelmelder"}
        yield json.dumps(head, ensure_ascii=False)[:-1] + ', "features": ['
        first = True
        for record in _records(args):
            props = {k: v for k, v in record.items() if k not in ("lat", "lon")}
            feature = {
                "type": "Feature",
                "id": record["public_id"],
                "geometry": {"type": "Point", "coordinates": [record["lon"], record["lat"]]},
                "properties": props,
            }
            yield ("" if first else ",") + json.dumps(feature, ensure_ascii=False)
            first = False
        yield "]}"

    resp = Response(stream_with_context(generate()), mimetype="application/geo+json")
    resp.headers["Content-Disposition"] = 'attachment; filename="reports.geojson"'
    return resp


@bp.get("/api/v1/export/reports.csv")
def export_csv():
    """All reports (filtered) as CSV with a header row, streamed; the license in a header."""
    args = _args()
    _query(args)

    def generate() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator=spreadsheet.LINE_END)
        writer.writeheader()
        for n, record in enumerate(_records(args), start=1):
            writer.writerow(spreadsheet.row(record))
            if n % CHUNK == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    resp = Response(stream_with_context(generate()), mimetype="text/csv")
    resp.headers["Content-Disposition"] = 'attachment; filename="reports.csv"'
    lic = _license()
    resp.headers["Link"] = f'<{lic["url"]}>; rel="license"; title="{lic["name"]}"'
    return resp
