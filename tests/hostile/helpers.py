"""Shared checks of the hostile-input tests: refusals, nothing stored, clean stored photos."""

from __future__ import annotations

import struct
from io import BytesIO
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from maengelmelder.extensions import db
from tests import images

# Bytes that must never reach a stored photo: payloads of the hostile uploads, and metadata.
PAYLOAD_MARKERS = (
    images.POLYGLOT_MARKER,
    images.SECRET_COMMENT,
    b"PK\x03\x04",
    b"<?php",
    b"<script",
    b"<html",
    b"__xss",
    b"Exif",
    b"ICC_PROFILE",
    b"xmpmeta",
    b"SN123456",
)


def snapshot(app) -> dict[str, list[str]]:
    """Every row of every table, as sorted text: two equal snapshots mean nothing changed."""
    with app.app_context():
        out = {}
        for table in db.metadata.sorted_tables:
            rows = db.session.execute(select(table)).all()
            out[table.name] = sorted(repr(tuple(row)) for row in rows)
        db.session.remove()
        return out


def changed_tables(before: dict[str, list[str]], after: dict[str, list[str]]) -> list[str]:
    return sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )


def media_files(media_dir: Path) -> set[str]:
    """Every file below the media directory (or bucket prefix), as a path relative to it."""
    if not isinstance(media_dir, Path):
        return {item.key for item in media_dir.files()}
    if not media_dir.exists():
        return set()
    return {str(p.relative_to(media_dir)) for p in media_dir.rglob("*") if p.is_file()}


def bilingual_messages(error: dict) -> list[dict]:
    """Every de/en message in a native error body, nested field errors included."""
    found = [error["message"]]
    stack = [error.get("fields", {})]
    while stack:
        item = stack.pop()
        if isinstance(item, dict) and set(item) == {"de", "en"}:
            found.append(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def assert_bilingual_error(resp, statuses=range(400, 500)) -> dict:
    """A native API refusal: a 4xx in the one error shape, every message German and English."""
    assert resp.status_code in statuses, (resp.status_code, resp.get_data(as_text=True)[:500])
    body = resp.get_json(silent=True)
    assert isinstance(body, dict) and "error" in body, resp.get_data(as_text=True)[:500]
    error = body["error"]
    assert error["status"] == resp.status_code
    for message in bilingual_messages(error):
        assert message["de"].strip() and message["en"].strip(), message
        assert message["de"] != message["en"], f"untranslated: {message}"
    return error


def assert_open311_error(resp) -> str:
    """An Open311 refusal: a 4xx with the spec's error list, its text German / English."""
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.get_data(as_text=True)[:500])
    body = resp.get_json(silent=True)
    assert isinstance(body, list) and len(body) == 1, resp.get_data(as_text=True)[:500]
    description = body[0]["description"]
    german, sep, english = description.rpartition(" / ")
    assert sep and german.strip() and english.strip(), description
    return description


def jpeg_markers(data: bytes) -> list[int]:
    """Marker codes of a JPEG from SOI up to and including SOS."""
    assert data[:2] == b"\xff\xd8", data[:8]
    markers, pos = [], 2
    while True:
        assert data[pos] == 0xFF, pos
        marker = data[pos + 1]
        markers.append(marker)
        if marker == 0xDA:
            return markers
        (length,) = struct.unpack_from(">H", data, pos + 2)
        pos += 2 + length


def assert_clean_jpeg(data: bytes) -> Image.Image:
    """A re-encoded derivative: baseline RGB JPEG, no metadata segment, nothing after EOI."""
    image = Image.open(BytesIO(data))
    image.load()
    assert image.format == "JPEG" and image.mode == "RGB"
    assert len(image.getexif()) == 0
    extra = [m for m in jpeg_markers(data) if 0xE1 <= m <= 0xEF or m == 0xFE]
    assert extra == [], [hex(m) for m in extra]  # only APP0 (JFIF): no EXIF/XMP/ICC/COM
    assert data.endswith(b"\xff\xd9"), "data after the end of the image"
    for marker in PAYLOAD_MARKERS:
        assert marker not in data, marker
    return image
