"""Input and output shapes of reports; public output never carries personal data.

The public list and map are built from plain rows for speed (`reads.list_public_dicts`,
`reads.list_map_dicts`), intake's answer by `created_body`; the schemas here say what those
build, and tests hold each equal to its schema's dump.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for
from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    missing,
    pre_dump,
    validate,
    validates,
)

from ..catalog.schemas import CategoryRef, DepartmentRef
from ..clock import in_utc
from ..core.models import public_text
from ..core.states import ALL as ALL_STATES
from ..core.states import LABELS
from ..web.geojson import PointGeometry, point
from ..web.schemas import Out, Ref, Time
from .media import is_public, listed_photos, reporter_key

DESCRIPTION_MAX = 4000


class ReportIn(Schema):
    """What a citizen sends to file a report."""

    class Meta:
        unknown = RAISE

    category = fields.String(required=True, validate=validate.Length(min=1, max=64))
    description = fields.String(load_default="", validate=validate.Length(max=DESCRIPTION_MAX))
    lat = fields.Float(allow_nan=False, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(allow_nan=False, validate=validate.Range(min=-180, max=180))
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))
    address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))
    notify = fields.Boolean(load_default=True)
    lang = fields.String(validate=validate.OneOf(["de", "en"]))
    # Form signals of the citizen app, checked on intake and never stored (docs/abuse.md):
    # a honeypot a person never fills in, and the milliseconds spent in the form.
    website = fields.String(load_default=None, allow_none=True)
    fill_ms = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0))

    @validates("description", "address")
    def _no_control_characters(self, value: str | None, **_: object) -> None:
        # HTML is kept as the citizen wrote it and escaped on output; NUL bytes are not text.
        if value and "\x00" in value:
            raise ValidationError("Not a valid string.")


class NearbyQuery(Schema):
    """Open reports near a place, to offer support instead of a duplicate."""

    class Meta:
        unknown = RAISE

    lat = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=-180, max=180))
    category = fields.String(validate=validate.Length(min=1, max=64))
    radius = fields.Float(load_default=50, validate=validate.Range(min=1, max=500))


SUPPORT_COMMENT_MAX = 500


class SupportIn(Schema):
    """A 'me too': optionally an address to hear about the report, and a comment for staff."""

    class Meta:
        unknown = RAISE

    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))
    lang = fields.String(load_default="de", validate=validate.OneOf(["de", "en"]))
    comment = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=SUPPORT_COMMENT_MAX),
        metadata={"description": "for staff only (an internal note), never public"},
    )

    @validates("comment")
    def _no_nul(self, value: str | None, **_: object) -> None:
        if value and "\x00" in value:
            raise ValidationError("Not a valid string.")


class ListQuery(Schema):
    """Filters of the public report list."""

    class Meta:
        unknown = EXCLUDE

    bbox = fields.String()
    status = fields.String()
    category = fields.String()
    since = fields.AwareDateTime(validate=in_utc)
    cursor = fields.String()
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    format = fields.String(validate=validate.OneOf(["json", "geojson"]))
    view = fields.String(
        validate=validate.OneOf(["full", "map"]),
        metadata={
            "description": "full (default): the whole public report; map: only public_id, "
            "status, category (its code) and position, for map markers"
        },
    )


def media_url(name: str) -> str:
    return url_for("reports.media", name=name)


def photo_dumper():
    """What `PhotoOut` dumps, from plain values, for many photos of one request.

    The media URL prefix is resolved once: `url_for` per photo was a tenth of a map read.
    """
    base = media_url("_")[:-1]

    def dump(kind: str, storage_key: str, width: int, height: int) -> dict:
        return {
            "kind": kind,
            "url": f"{base}{storage_key}-web.jpg",
            "thumbnail_url": f"{base}{storage_key}-thumb.jpg",
            "width": width,
            "height": height,
        }

    return dump


class PhotoOut(Out):
    """A photo: the web size and a thumbnail, both stripped of metadata."""

    kind = fields.String()
    url = fields.Function(
        lambda p: media_url(f"{p.storage_key}-web.jpg"),
        metadata={"type": "string", "description": "web size, long side ≤ 1600 px"},
    )
    thumbnail_url = fields.Function(
        lambda p: media_url(f"{p.storage_key}-thumb.jpg"),
        metadata={"type": "string", "description": "long side ≤ 320 px"},
    )
    width = fields.Integer(attribute="web_width")
    height = fields.Integer(attribute="web_height")


class _Photos(fields.Nested):
    """Photos of a report, each a `PhotoOut`: those `choose(report)` picks."""

    def __init__(self, choose, **kwargs: Any) -> None:
        super().__init__(PhotoOut, many=True, dump_only=True, **kwargs)
        self.choose = choose

    def get_value(self, obj, attr, accessor=None, default=missing):
        return self.choose(obj)


_photos_out = PhotoOut(many=True)  # built once: a schema per report cost a fifth of a map read


def reporter_photos(report) -> list[dict]:
    """All photos of a report as its reporter sees them.

    A photo the public may see has its public URL; any other carries the reporter's key
    (see media.reporter_key), so the reporter's own unpublished photos still load for them.
    """
    secret = current_app.config["SECRET_KEY"]
    # A supporter's photo is not the reporter's: they see it only once it is public.
    photos = [p for p in report.photos if p.kind != "support" or is_public(p, report)]
    out = []
    for photo, item in zip(photos, _photos_out.dump(photos), strict=True):
        if not is_public(photo, report):
            for field in ("url", "thumbnail_url"):
                name = item[field].rsplit("/", 1)[1]
                key = reporter_key(secret, name, report.tracking_token_hash)
                item[field] = f"{item[field]}?k={key}"
        out.append(item)
    return out


class StatusLabel(Ref):
    """The name of the report's status in German and English (`Message`)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("Message", attribute="status", dump_only=True, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return LABELS[value]


_NULLABLE_TEXT = ["string", "null"]


class ReportPublic(Out):
    """The public fields of a report: never the e-mail, token or idempotency key."""

    public_id = fields.String()
    status = fields.String(validate=validate.OneOf(ALL_STATES))
    status_label = StatusLabel()
    category = fields.Nested(CategoryRef)
    department = fields.Nested(DepartmentRef)
    # Citizen text and photos are public once staff published them (or the category
    # publishes automatically); until then the text is null and no photo is listed.
    description = fields.Function(
        lambda r: public_text(r.published, r.public_description, r.description),
        metadata={
            "type": _NULLABLE_TEXT,
            "description": "the citizen's text, null until staff published it",
        },
    )
    published = fields.Boolean()
    supporters = fields.Integer()
    # The address is the citizen's own words too: public with the text, never before.
    address = fields.Function(
        lambda r: r.address if r.published else None,
        metadata={
            "type": _NULLABLE_TEXT,
            "description": "the citizen's words too: null until staff published the text",
        },
    )
    lat = fields.Float()
    lon = fields.Float()
    location_source = fields.String()
    created_at = Time()
    updated_at = Time()
    deadline = Time()
    resolved_at = Time(allow_none=True)
    photos = _Photos(listed_photos)


class ReportForReporter(ReportPublic):
    """What the reporter sees through their tracking link: their own text and photos too."""

    description = fields.String()
    address = fields.String(allow_none=True)
    photos = fields.Function(
        reporter_photos,
        metadata={
            "type": "array",
            "items": {"$ref": "#/components/schemas/PhotoOut"},
            "description": "all photos; the URLs of those the public may not see carry a key "
            "(?k=) that opens them for the reporter only",
        },
    )


# Events staff see but the public history leaves out: that a report is held (for a sender
# on the block list) must not tip the sender off; a supporter's comment and photo are for
# staff.
STAFF_ONLY_EVENTS = frozenset({"held", "supported"})


class EventPublic(Out):
    """A history entry as the reporter sees it: no internal note, no staff name."""

    at = Time(attribute="created_at")
    kind = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    note = fields.String(attribute="public_note", allow_none=True)

    @pre_dump(pass_collection=True)
    def _public_only(self, events, many: bool, **_: object):
        if many:
            return [e for e in events if e.kind not in STAFF_ONLY_EVENTS]
        return events


def _reporters_own_note(event) -> str | None:
    """The reporter's own words on an event ("it is not fixed"), for the reporter only."""
    if event.kind == "reopened" and (event.data or {}).get("by") == "citizen":
        return event.internal_note
    return None


class EventForReporter(EventPublic):
    """A history entry as the reporter sees it: also what they wrote themselves."""

    your_note = fields.Function(
        _reporters_own_note,
        metadata={
            "type": _NULLABLE_TEXT,
            "description": "the reporter's own note (when they reopened the report); only in "
            "the reporter's view, never public",
        },
    )


class TrackedReport(ReportForReporter):
    """The reporter's view with the report's public history, oldest first."""

    history = fields.Nested(EventForReporter, many=True, attribute="events")


class ReportCreated(Out):
    """A filed report, as its reporter sees it, and the link to follow it."""

    report = fields.Nested(ReportForReporter)
    tracking_url = fields.String(metadata={"format": "uri"})
    tracking_token = fields.String()


def created_body(report, tracking_url: str, tracking_token: str) -> dict:
    """What `ReportCreated` dumps, built directly: intake is the hottest write."""
    return {
        "report": report_for_reporter.dump(report),
        "tracking_url": tracking_url,
        "tracking_token": tracking_token,
    }


class MapReport(Out):
    """A report as a map marker shows it (`view=map`)."""

    class Meta(Out.Meta):
        description = "A report as a map marker shows it (`view=map`)."

    public_id = fields.String()
    status = fields.String()
    category = fields.String(
        attribute="category.code", metadata={"description": "the category's code"}
    )
    lat = fields.Float()
    lon = fields.Float()


class ReportPage(Out):
    """A page of the public list (documents what `list_reports` builds from plain rows)."""

    items = fields.List(
        fields.Raw(
            metadata={
                "anyOf": [
                    {"$ref": "#/components/schemas/ReportPublic"},
                    {"$ref": "#/components/schemas/MapReport"},
                ],
                "description": "`ReportPublic`, or with `view=map` a `MapReport`",
            }
        )
    )
    next_cursor = fields.String(
        allow_none=True,
        metadata={"description": "pass it as `cursor` for the next page; null on the last page"},
    )


class ReportFeature(Out):
    """A public report as a GeoJSON Feature (documents what `report_feature` builds)."""

    type = fields.String(validate=validate.OneOf(["Feature"]))
    id = fields.String()
    geometry = fields.Nested(PointGeometry)
    properties = fields.Dict(
        metadata={
            "description": "the public report without lat/lon; with `view=map` only "
            "public_id, status and category (its code)"
        }
    )


class ReportFeatureCollection(Out):
    """A page of the public list as GeoJSON."""

    type = fields.String(validate=validate.OneOf(["FeatureCollection"]))
    features = fields.List(fields.Nested(ReportFeature))
    next_cursor = fields.String(
        allow_none=True,
        metadata={"description": "pass it as `cursor` for the next page; null on the last page"},
    )


class NearbyReport(ReportPublic):
    """A public report near the place asked about (an `Augmented` report)."""

    distance_m = fields.Float(metadata={"description": "metres from the place, rounded to 0.1"})


class NearbyPage(Out):
    items = fields.List(fields.Nested(NearbyReport))


report_public = ReportPublic()
report_for_reporter = ReportForReporter()
reports_public = ReportPublic(many=True)
events_public = EventPublic(many=True)


def report_feature(data: dict) -> dict:
    """A dumped public report as a GeoJSON Feature (coordinates in lon, lat order)."""
    props = {k: v for k, v in data.items() if k not in {"lat", "lon"}}
    return {
        "type": "Feature",
        "id": data["public_id"],
        "geometry": point(data["lon"], data["lat"]),
        "properties": props,
    }
