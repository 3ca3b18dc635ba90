"""The open data exports' API shapes: the filters and a page of reports as GeoJSON."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from .. import paging
from ..clock import in_utc
from ..web.geojson import GeoJsonLink, PointGeometry
from ..web.schemas import Out

# A page of a download: a normal city's year in one, its history in a few.
DEFAULT_LIMIT, MAX_LIMIT = 25_000, 100_000

_NO_NUL = validate.ContainsNoneOf("\x00", error="Not a valid string.")


class ExportArgs(Schema):
    """The filters of an export and where its page starts."""

    class Meta:
        unknown = RAISE

    from_ = fields.AwareDateTime(
        data_key="from",
        validate=in_utc,
        metadata={"description": "reports made at or after this time"},
    )
    to = fields.AwareDateTime(
        validate=in_utc, metadata={"description": "reports made before this time"}
    )
    # NUL is no text: PostgreSQL would refuse it only once the stream has begun (a cut-off 200).
    category = fields.String(
        validate=[validate.Length(max=500), _NO_NUL],
        metadata={"description": "category codes, comma-separated"},
    )
    status = fields.String(
        validate=[validate.Length(max=200), _NO_NUL],
        metadata={"description": "states, comma-separated"},
    )
    limit = paging.limit_field(DEFAULT_LIMIT, MAX_LIMIT)
    cursor = paging.cursor_field()


CSV_LINKS = {
    "description": 'the next page, `<URL>; rel="next"` (absent on the last page), and the '
    'license, `<URL>; rel="license"`',
    "schema": {"type": "string"},
}


class License(Out):
    name = fields.String()
    url = fields.String()


class OpenDataProperties(Out):
    """A report as open data: the data dictionary's columns but `lat` and `lon`
    (docs/open-data.md); citizen text, address and photo only once published."""

    public_id = fields.String()
    category = fields.String()
    category_name_de = fields.String()
    category_name_en = fields.String()
    status = fields.String()
    department = fields.String()
    department_name_de = fields.String()
    created_at = fields.String(metadata={"format": "date-time"})
    updated_at = fields.String(metadata={"format": "date-time"})
    resolved_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    deadline = fields.String(metadata={"format": "date-time"})
    within_promise = fields.Boolean(
        allow_none=True, metadata={"description": "resolved by the deadline; null while open"}
    )
    description = fields.String(allow_none=True)
    address = fields.String(
        allow_none=True,
        metadata={
            "description": "the citizen's, else the city's address at the place; once published"
        },
    )
    photo_url = fields.String(allow_none=True)


class OpenDataFeature(Out):
    type = fields.String(validate=validate.OneOf(["Feature"]))
    id = fields.String()
    geometry = fields.Nested(PointGeometry)
    properties = fields.Nested(OpenDataProperties)


class OpenDataFeatureCollection(Out):
    """A page of the export as GeoJSON."""

    type = fields.String(validate=validate.OneOf(["FeatureCollection"]))
    name = fields.String()
    license = fields.Nested(License)
    next_cursor = fields.String(
        allow_none=True,
        metadata={"description": "pass it as `cursor` for the next page; null on the last page"},
    )
    links = fields.List(
        fields.Nested(GeoJsonLink),
        metadata={
            "description": '`[{href, rel: "next", type}]` naming the next page; empty on the last'
        },
    )
    features = fields.List(fields.Nested(OpenDataFeature))
