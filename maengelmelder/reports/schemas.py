"""Input and output shapes of reports; public output never carries personal data."""

from __future__ import annotations

from flask import current_app, url_for
from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    pre_dump,
    validate,
    validates,
)

from ..clock import in_utc, isoformat
from ..tickets.states import ALL as ALL_STATES
from ..tickets.states import LABELS
from .media import is_public, reporter_key
from .models import public_text

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


class SupportIn(Schema):
    class Meta:
        unknown = RAISE

    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))
    lang = fields.String(load_default="de", validate=validate.OneOf(["de", "en"]))


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


class UTC(fields.Field):
    """A timezone-aware datetime as ISO 8601 UTC with a Z suffix."""

    def _serialize(self, value, attr, obj, **kwargs):
        return isoformat(value)


def _names(obj) -> dict[str, str]:
    """German and English names of an object that has name_de and name_en."""
    return {"de": obj.name_de, "en": obj.name_en}


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


class PhotoOut(Schema):
    kind = fields.String()
    url = fields.Function(lambda p: media_url(f"{p.storage_key}-web.jpg"))
    thumbnail_url = fields.Function(lambda p: media_url(f"{p.storage_key}-thumb.jpg"))
    width = fields.Integer(attribute="web_width")
    height = fields.Integer(attribute="web_height")


_photos_out = PhotoOut(many=True)  # built once: a schema per report cost a fifth of a map read


def reporter_photos(report) -> list[dict]:
    """All photos of a report as its reporter sees them.

    A photo the public may see has its public URL; any other carries the reporter's key
    (see media.reporter_key), so the reporter's own unpublished photos still load for them.
    """
    secret = current_app.config["SECRET_KEY"]
    out = []
    for photo, item in zip(report.photos, _photos_out.dump(report.photos), strict=True):
        if not is_public(photo, report):
            for field in ("url", "thumbnail_url"):
                name = item[field].rsplit("/", 1)[1]
                key = reporter_key(secret, name, report.tracking_token_hash)
                item[field] = f"{item[field]}?k={key}"
        out.append(item)
    return out


class CategoryRef(Schema):
    code = fields.String()
    name = fields.Function(_names)
    group = fields.String()


class DepartmentRef(Schema):
    code = fields.String()
    name = fields.Function(_names)


class ReportPublic(Schema):
    """The public fields of a report: never the e-mail, token or idempotency key."""

    public_id = fields.String()
    status = fields.String(validate=validate.OneOf(ALL_STATES))
    status_label = fields.Function(lambda r: LABELS[r.status])
    category = fields.Nested(CategoryRef)
    department = fields.Nested(DepartmentRef)
    # Citizen text and photos are public once staff published them (or the category
    # publishes automatically); until then the text is null and no photo is listed.
    description = fields.Function(
        lambda r: public_text(r.published, r.public_description, r.description)
    )
    published = fields.Boolean()
    supporters = fields.Integer()
    # The address is the citizen's own words too: public with the text, never before.
    address = fields.Function(lambda r: r.address if r.published else None)
    lat = fields.Float()
    lon = fields.Float()
    location_source = fields.String()
    created_at = UTC()
    updated_at = UTC()
    deadline = UTC()
    resolved_at = UTC(allow_none=True)
    photos = fields.Function(
        lambda r: _photos_out.dump(
            [p for p in r.photos if p.approved and (r.published or p.kind == "after")]
        )
    )


class ReportForReporter(ReportPublic):
    """What the reporter sees through their tracking link: their own text and photos too."""

    description = fields.String()
    address = fields.String(allow_none=True)
    photos = fields.Function(reporter_photos)


# Events staff see but the public history leaves out: that a report is held (for a sender
# on the block list) must not tip the sender off.
STAFF_ONLY_EVENTS = frozenset({"held"})


class EventPublic(Schema):
    """A history entry as the reporter sees it: no internal note, no staff name."""

    at = UTC(attribute="created_at")
    kind = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    note = fields.String(attribute="public_note", allow_none=True)

    @pre_dump(pass_collection=True)
    def _public_only(self, events, many: bool, **_: object):
        if many:
            return [e for e in events if e.kind not in STAFF_ONLY_EVENTS]
        return events


class CategoryOut(Schema):
    code = fields.String()
    name = fields.Function(_names)
    group = fields.String()
    icon = fields.String()
    sla_hours = fields.Integer()
    department = fields.Nested(DepartmentRef, attribute="default_department")


report_public = ReportPublic()
report_for_reporter = ReportForReporter()
reports_public = ReportPublic(many=True)
events_public = EventPublic(many=True)
categories_out = CategoryOut(many=True)


def report_feature(data: dict) -> dict:
    """A dumped public report as a GeoJSON Feature (coordinates in lon, lat order)."""
    props = {k: v for k, v in data.items() if k not in {"lat", "lon"}}
    return {
        "type": "Feature",
        "id": data["public_id"],
        "geometry": {"type": "Point", "coordinates": [data["lon"], data["lat"]]},
        "properties": props,
    }
