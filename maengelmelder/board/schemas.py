"""The SLA board's API shapes: its filters, figures, breach list and trend, and the public
transparency figure."""

from __future__ import annotations

from datetime import date

from marshmallow import RAISE, Schema, fields, missing, validate

from .. import paging
from ..clock import BERLIN, in_utc
from ..errors import ApiError
from ..sla import service
from ..tickets.schemas import Ticket, TicketOwnDepartment, sees_reporter, viewer
from ..web.schemas import AnyOf, Out, Ref, Time

MAX_PAGE = 200
DAY_META = {"type": "string", "description": "a day (Europe/Berlin), e.g. 2026-03-01"}

# -- in ---------------------------------------------------------------------------------------


class BerlinDay(fields.Field):
    """A day in Europe/Berlin: '2026-03-01', or an aware date-time (the day it falls on)."""

    default_error_messages = {"invalid": "Not a valid date or aware datetime."}  # noqa: RUF012

    def _deserialize(self, value, attr, data, **kwargs) -> date:
        if isinstance(value, str) and len(value) == 10:
            try:
                return date.fromisoformat(value)
            except ValueError:
                raise self.make_error("invalid") from None
        moment = fields.AwareDateTime(validate=in_utc).deserialize(value, attr, data)
        return moment.astimezone(BERLIN).date()


class SummaryArgs(Schema):
    class Meta:
        unknown = RAISE

    from_ = BerlinDay(data_key="from", metadata=DAY_META)
    to = BerlinDay(metadata=DAY_META)
    department = fields.String(validate=validate.Length(max=64))
    category = fields.String(validate=validate.Length(max=64))
    format = fields.String(validate=validate.OneOf(["json", "csv"]))


class BreachArgs(Schema):
    class Meta:
        unknown = RAISE

    limit = paging.limit_field(50, MAX_PAGE)
    cursor = paging.cursor_field()
    department = fields.String(validate=validate.Length(max=64))
    category = fields.String(validate=validate.Length(max=64))


MAX_TREND_DAYS = 366


class TrendArgs(Schema):
    """The trend's query as the document shows it; `trend_days` reads it."""

    days = fields.Integer(
        load_default=30,
        validate=validate.Range(min=1, max=MAX_TREND_DAYS),
        metadata={"description": "how many days back, today included"},
    )


def trend_days(raw: str) -> int:
    """The trend's `days`, 1 to 366; anything else is `400 invalid_filter`."""
    # ASCII digits only, and few: int() refuses "²" and numbers of over 4300 digits
    days = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else 0
    if not 1 <= days <= MAX_TREND_DAYS:
        raise ApiError(400, "invalid_filter", name="days", value=raw[:20])
    return days


# -- out --------------------------------------------------------------------------------------


class SlaFigures(Out):
    open = fields.Integer()
    at_risk = fields.Integer()
    breached = fields.Integer()
    paused = fields.Integer()
    resolved = fields.Integer()
    resolved_within_sla = fields.Integer()
    resolved_within_sla_pct = fields.Float(allow_none=True)
    median_hours_to_resolve = fields.Float(allow_none=True)
    p90_hours_to_resolve = fields.Float(allow_none=True)


class SlaSummary(Out):
    at = Time()
    from_ = fields.Date(data_key="from", allow_none=True)
    to = fields.Date(allow_none=True)
    total = fields.Nested(SlaFigures)
    by_department = fields.Dict(keys=fields.String(), values=fields.Nested(SlaFigures))
    by_category = fields.Dict(keys=fields.String(), values=fields.Nested(SlaFigures))


class OverdueHours(fields.Float):
    """How long the ticket is past its deadline, in hours (at the moment of `dump_for`)."""

    def get_value(self, obj, attr, accessor=None, default=missing):
        return round(service.overdue_hours(obj, viewer()["at"]), 2)


class SlaBreach(Ticket):
    """A breached ticket: the list view of a ticket and how long it is overdue."""

    class Meta(Ticket.Meta):
        description = "An open ticket past its deadline: a `Ticket` and how long it is overdue."

    overdue_hours = OverdueHours()


class SlaBreachOwnDepartment(SlaBreach, TicketOwnDepartment):
    """A breached ticket as staff of its own department see it: with the reporter's e-mail."""

    class Meta(SlaBreach.Meta):
        description = "A `SlaBreach` as staff of its own department see it: with `reporter_email`."


def _breach_for_viewer(report) -> type[Schema]:
    own = sees_reporter(viewer()["principal"], report)
    return SlaBreachOwnDepartment if own else SlaBreach


class SlaBreaches(Out):
    items = fields.List(AnyOf(_breach_for_viewer, SlaBreach, SlaBreachOwnDepartment))
    count = fields.Integer(
        metadata={"description": "all breached tickets of the filter, not only this page"}
    )
    next_cursor = fields.String(
        allow_none=True,
        metadata={"description": "pass as `cursor` for the next page; null on the last page"},
    )


class TransparencyItem(Out):
    month = fields.String(validate=validate.Regexp(r"^\d{4}-\d{2}$"))
    category = fields.String()
    resolved = fields.Integer()
    within_promise = fields.Integer()
    within_promise_pct = fields.Float()


class Transparency(Out):
    items = fields.List(fields.Nested(TransparencyItem))


class TrendDay(Out):
    date = fields.Date()
    created = fields.Integer()
    resolved = fields.Integer()


class TrendWeek(Out):
    week = fields.String(validate=validate.Regexp(r"^\d{4}-W\d{2}$"))
    resolved = fields.Integer()
    within_promise_pct = fields.Float()


class SlaTrend(Out):
    days = fields.List(
        fields.Nested(TrendDay),
        metadata={"description": "one entry per day (Europe/Berlin), the oldest first"},
    )
    weeks = fields.List(
        fields.Nested(TrendWeek),
        metadata={
            "description": "per ISO week with resolved tickets: the share within the promise"
        },
    )


# The public figure's caching, as the document shows it (`public_cache.answer`).
IF_NONE_MATCH = {
    "in": "header",
    "name": "If-None-Match",
    "required": False,
    "description": "the ETag of the copy you hold; `304` without a body while it is current",
    "schema": {"type": "string"},
}
PUBLIC_CACHE_HEADERS = {
    "ETag": {"description": "the answer's version", "schema": {"type": "string"}},
    "Cache-Control": {"description": "`public, max-age=…`", "schema": {"type": "string"}},
}


# -- hotspots ---------------------------------------------------------------------------------

ZOOM_META = {"description": "the map's zoom (0–20); a cell is a quarter of a tile wide"}


class HotspotArgs(Schema):
    class Meta:
        unknown = RAISE

    kind = fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "the zones' kind (default: district, else the first kind)"},
    )
    simplify = fields.Float(
        allow_nan=False,
        validate=validate.Range(min=0, max=0.01),
        metadata={
            "description": "simplify each outline to this tolerance in degrees (0.0001 is about "
            "10 m), for drawing on a map; the counts are the same"
        },
    )
    department = fields.String(validate=validate.Length(min=1, max=64))
    category = fields.String(validate=validate.Length(min=1, max=64))


class HotspotCellArgs(Schema):
    class Meta:
        unknown = RAISE

    bbox = fields.String(
        required=True,
        validate=validate.Length(max=200),
        metadata={
            "description": "min lon, min lat, max lon, max lat (WGS84), e.g. 8.6,50.0,8.8,50.2"
        },
    )
    zoom = fields.Integer(required=True, validate=validate.Range(min=0, max=20), metadata=ZOOM_META)
    department = fields.String(validate=validate.Length(min=1, max=64))
    category = fields.String(validate=validate.Length(min=1, max=64))


class HotspotCounts(Out):
    open = fields.Integer()
    breached = fields.Integer()


class HotspotZone(Out):
    key = fields.String()
    name = fields.String()
    open = fields.Integer()
    breached = fields.Integer()
    geometry = Ref("Geometry")


class Hotspots(Out):
    at = Time()
    kind = fields.String(allow_none=True, metadata={"description": "null: there are no zones"})
    kinds = fields.List(fields.String(), metadata={"description": "every kind of zone"})
    zones = fields.List(
        fields.Nested(HotspotZone),
        metadata={"description": "every zone of the kind, the most open tickets first"},
    )
    total = fields.Nested(HotspotCounts)
    outside = fields.Nested(
        HotspotCounts, metadata={"description": "open tickets in no zone of the kind"}
    )


class HotspotCell(Out):
    open = fields.Integer()
    breached = fields.Integer()
    lat = fields.Float(metadata={"description": "the mean position of the cell's tickets"})
    lon = fields.Float()
    bounds = fields.List(
        fields.Float(), metadata={"description": "min lon, min lat, max lon, max lat"}
    )


class HotspotCells(Out):
    at = Time()
    cell_size = fields.Float(metadata={"description": "degrees of latitude and longitude"})
    cells = fields.List(
        fields.Nested(HotspotCell),
        metadata={"description": "cells with open tickets, the fullest first, at most 500"},
    )
    truncated = fields.Boolean(metadata={"description": "true: emptier cells were left out"})
    total = fields.Nested(HotspotCounts, metadata={"description": "every open ticket in the box"})
