"""Keyset (cursor) paging, shared by every list: opaque cursors, page sizes with a maximum,
counts that stop at a cap, and the `Link: <…>; rel="next"` header of downloads.

A cursor is the sort key of the last row of a page, as base64url JSON; the next page is the
rows past it in the list's order, `WHERE (key columns) > (cursor)`: an index on the key
columns answers it without reading the pages before, however deep the walk goes, and rows
added between two pages neither repeat nor push others out. Each list names its cursors with
a tag, so a cursor of one list is no position in another.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from flask import request
from marshmallow import RAISE, Schema, ValidationError, fields, validate
from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.orm import Session

from .core.links import base_url
from .errors import ApiError, validation_error

# Longest cursor any list makes (a 254-character e-mail address, base64-encoded) with room.
MAX_CURSOR_LENGTH = 512
_MAX_ID = 2**31  # ids are positive 32-bit integers


def encode_cursor(values: Sequence[Any], tag: str | None = None) -> str:
    """The opaque cursor of a position: datetimes, ints and strings, optionally tagged."""
    raw = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    if tag is not None:
        raw.insert(0, tag)
    data = json.dumps(raw, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def decode_cursor(raw: str, kinds: Sequence[type], tag: str | None = None) -> tuple:
    """The position a cursor points at, each value of the given kind, or a 400.

    datetime: ISO 8601 with a time zone (returned in UTC); int: a positive 32-bit id;
    str: text without NUL.
    """
    try:
        if len(raw) > MAX_CURSOR_LENGTH:
            raise ValueError("too long")
        padded = raw + "=" * (-len(raw) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if not isinstance(values, list):
            raise ValueError("not a list")
        if tag is not None:
            if not values or values[0] != tag:
                raise ValueError("another list's cursor")
            values = values[1:]
        if len(values) != len(kinds):
            raise ValueError("wrong length")
        return tuple(_value(v, kind) for v, kind in zip(values, kinds, strict=True))
    except (
        ValueError,  # also JSON and base64 errors, and UnicodeDecodeError
        TypeError,
        binascii.Error,
        OverflowError,
        RecursionError,  # a cursor hiding JSON nested a thousand levels deep
    ) as exc:
        raise ApiError(400, "invalid_cursor") from exc


def _value(value: Any, kind: type) -> Any:
    if kind is datetime:
        at = datetime.fromisoformat(value)  # TypeError for anything but a string
        if at.tzinfo is None:
            raise ValueError("no time zone")
        return at.astimezone(UTC)  # OverflowError before year 1 in UTC
    if kind is int:
        if type(value) is not int or not 0 < value < _MAX_ID:
            raise ValueError("no id")
        return value
    if kind is str:
        if type(value) is not str or "\x00" in value:
            raise ValueError("no text")
        return value
    raise TypeError(kind)


def after(columns: Sequence[Any], position: Sequence[Any], *, descending: bool = False):
    """Rows past `position` in the order of `columns` (all ascending or all descending).

    A row-value comparison, so PostgreSQL and SQLite use an index on the columns (or on
    their leading column) to start right at the position.
    """
    key = tuple_(*columns)
    return key < tuple(position) if descending else key > tuple(position)


def split_page(
    rows: Sequence[Any], limit: int, key: Callable[[Any], Sequence[Any]], tag: str | None = None
) -> tuple[list[Any], str | None]:
    """A page of rows fetched with one extra (`LIMIT limit + 1`), and the next page's cursor.

    The cursor is None on the last page: the extra row tells there is a next one without a
    count.
    """
    page = list(rows[:limit])
    if len(rows) <= limit:
        return page, None
    return page, encode_cursor(key(page[-1]), tag)


def capped_count(session: Session, query: Select, cap: int) -> tuple[int, bool]:
    """How many rows the query has, counting no further than `cap`; and whether it stopped.

    An exact count of a filter matching most of a million rows reads them all; a count that
    stops at the cap reads at most cap + 1 rows.
    """
    limited = query.order_by(None).limit(cap + 1).subquery()
    found = session.scalar(select(func.count()).select_from(limited)) or 0
    return min(found, cap), found > cap


def limit_field(default: int, maximum: int) -> fields.Integer:
    """The `limit` query parameter: a page size from 1 to `maximum`."""
    return fields.Integer(
        load_default=default,
        validate=validate.Range(min=1, max=maximum),
        metadata={"description": f"page size, at most {maximum} (default {default})"},
    )


def cursor_field() -> fields.String:
    """The `cursor` query parameter: `next_cursor` of the page before, unchanged.

    Not checked here: `decode_cursor` answers any bad cursor with the one `invalid_cursor`.
    """
    return fields.String(
        metadata={"description": "`next_cursor` of the page before, unchanged (opaque)"},
    )


def page_args(name: str, default: int, maximum: int) -> type[Schema]:
    """A query schema of a list with no filters: `limit` and `cursor` (anything else is 400)."""
    meta = type("Meta", (), {"unknown": RAISE})
    fields_ = {"Meta": meta, "limit": limit_field(default, maximum), "cursor": cursor_field()}
    return type(name, (Schema,), fields_)


def load_args(schema: Schema, args: dict) -> dict:
    """Query parameters loaded through a schema, or a 400 naming each bad one."""
    try:
        return schema.load(args)
    except ValidationError as exc:
        raise validation_error(exc.normalized_messages(), status=400) from exc


def next_url(base_url: str, path: str, args: dict[str, str], cursor: str) -> str:
    """The URL of the next page: the same path and query with the new cursor."""
    query = {k: v for k, v in args.items() if k != "cursor"}
    query["cursor"] = cursor
    return f"{base_url.rstrip('/')}{path}?{urlencode(query)}"


def next_link(cursor: str | None) -> tuple[str, str] | None:
    """The current request's next page as a `Link` entry (absolute, from BASE_URL)."""
    if cursor is None:
        return None
    return next_url(base_url(), request.path, request.args.to_dict(), cursor), 'rel="next"'


# The `Link` header of a paged list as the OpenAPI document shows it:
# `@bp.response(200, Schema, headers=LINK_HEADER)`.
LINK_HEADER = {
    "Link": {
        "description": 'the next page as `<URL>; rel="next"` (the same query with its '
        "`cursor`); absent on the last page",
        "schema": {"type": "string"},
    }
}


def next_page_headers(cursor: str | None) -> dict[str, str]:
    """The headers of a page: `Link` to the next one, if there is one."""
    link = link_header(next_link(cursor))
    return {"Link": link} if link else {}


def link_header(*links: tuple[str, str] | None) -> str | None:
    """A `Link` header value of (url, params) pairs such as (url, 'rel="next"')."""
    parts = [f"<{url}>; {params}" for url, params in filter(None, links)]
    return ", ".join(parts) or None


def geojson_links(link: tuple[str, str] | None, media: str = "application/geo+json") -> list:
    """The `links` member of a GeoJSON page, as OGC API - Features writes it: the next page."""
    if link is None:
        return []
    return [{"href": link[0], "rel": "next", "type": media}]
