"""The staff ticket list pages by cursor: every ticket once, in order, a capped count."""

from __future__ import annotations

import base64
import csv
import io
import json

import pytest

from maengelmelder.tickets import queue
from tests.paging import follow_links, next_link
from tests.tickets.helpers import file_ticket


@pytest.fixture
def crew(staff):
    return staff.client("crew", "tiefbau")


def _walk(client, url: str, headers=None) -> list[dict]:
    """Every item of a JSON list, page by page through next_cursor."""
    items, cursor = [], None
    while True:
        page = client.get(url + (f"&cursor={cursor}" if cursor else ""), headers=headers or {})
        assert page.status_code == 200, page.json
        items += page.json["items"]
        cursor = page.json["next_cursor"]
        if cursor is None:
            return items


def _order_key(ticket: dict) -> tuple:
    # Soonest deadline first; tickets filed in one moment share it and go by filing order.
    return ticket["sla"]["deadline"], ticket["public_id"]


def test_a_page_walk_sees_every_ticket_once_in_order_while_tickets_arrive(
    client, clock, admin_headers
):
    filed = []
    for minute in (0, 0, 1, 2, 2, 3):  # two pairs filed in the same moment: equal deadlines
        clock.advance(minutes=minute and 1)
        filed.append(file_ticket(client)["report"]["public_id"])
    url = "/api/v1/tickets?limit=2"
    first = client.get(url, headers=admin_headers).json
    assert [t["public_id"] for t in first["items"]] == filed[:2]
    assert first["total"] == 6 and first["total_capped"] is False
    # While the list is read, one ticket arrives due later than everything, one due sooner
    # than the page already seen (a bin's promise is 24 h, a pothole's 48 h).
    clock.advance(minutes=5)
    later = file_ticket(client)["report"]["public_id"]
    sooner = file_ticket(client, "papierkorb")["report"]["public_id"]
    walked = first["items"]
    cursor = first["next_cursor"]
    while cursor:
        page = client.get(f"{url}&cursor={cursor}", headers=admin_headers)
        assert page.status_code == 200, page.json
        assert len(page.json["items"]) <= 2
        walked += page.json["items"]
        cursor = page.json["next_cursor"]
    ids = [t["public_id"] for t in walked]
    assert ids == [*filed, later]  # nothing twice, nothing skipped, the newcomer at its place
    assert walked == sorted(walked, key=_order_key)
    # The one due sooner lies behind the pages read; a fresh first page starts with it.
    assert client.get(url, headers=admin_headers).json["items"][0]["public_id"] == sooner


def test_walks_of_the_moderation_queue_and_of_every_state(client, crew, clock):
    for _ in range(5):
        clock.advance(minutes=1)
        file_ticket(client)
    pending = _walk(crew, "/api/v1/tickets?published=false&limit=2")
    assert len(pending) == 5 and all(not t["published"] for t in pending)
    every = "new,acknowledged,in_progress,waiting_external,resolved,closed,rejected,duplicate"
    assert _walk(crew, f"/api/v1/tickets?status={every}&limit=3") == _walk(
        crew, "/api/v1/tickets?limit=1"
    )


def test_the_count_stops_at_its_cap_and_says_so(client, crew, monkeypatch):
    monkeypatch.setattr(queue, "COUNT_CAP", 3)
    for _ in range(4):
        file_ticket(client)
    page = crew.get("/api/v1/tickets?limit=1").json
    assert (page["total"], page["total_capped"]) == (3, True)
    assert len(page["items"]) == 1 and page["next_cursor"]
    none = crew.get("/api/v1/tickets?status=resolved").json
    assert (none["total"], none["total_capped"], none["next_cursor"]) == (0, False, None)


def test_offset_still_pages_for_older_clients(client, crew, clock):
    filed = []
    for _ in range(3):
        clock.advance(minutes=1)
        filed.append(file_ticket(client)["report"]["public_id"])
    page = crew.get("/api/v1/tickets?limit=1&offset=1").json
    assert [t["public_id"] for t in page["items"]] == filed[1:2]
    assert page["offset"] == 1


@pytest.mark.parametrize(
    ("query", "field", "de"),
    [
        ("limit=501", "limit", "Muss zwischen 1 und 500 liegen."),
        ("limit=0", "limit", "Muss mindestens 1 sein."),
        ("limit=10001&format=csv", "limit", "Muss zwischen 1 und 10000 liegen."),
        ("offset=10001", "offset", "Muss zwischen 0 und 10000 liegen."),
        ("offset=1&cursor=abc", "offset", "Nicht zusammen mit cursor."),
    ],
)
def test_page_sizes_past_the_maximum_are_400_in_german_and_english(crew, query, field, de):
    resp = crew.get(f"/api/v1/tickets?{query}")
    assert resp.status_code == 400
    message = resp.json["error"]["fields"][field][0]
    assert message["de"] == de
    assert message["en"] != de


def _b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "kein-cursor",
        _b64('["t", "2026-03-10T09:00:00+00:00"]'),  # too short
        _b64('["t", "2026-03-10T09:00:00", 1]'),  # no time zone
        _b64('["t", "2026-03-10T09:00:00+00:00", 0]'),  # no id
        _b64('["t", "2026-03-10T09:00:00+00:00", 2147483648]'),
        _b64('["2026-03-10T09:00:00+00:00", 1]'),  # the public list's cursor
        _b64('["x", "2026-03-10T09:00:00+00:00", 1]'),  # another list's tag
        "A" * 600,
    ],
)
def test_a_bad_cursor_is_400_in_german_and_english(crew, cursor):
    resp = crew.get("/api/v1/tickets", query_string={"cursor": cursor})
    assert resp.status_code == 400
    error = resp.json["error"]
    assert error["code"] == "invalid_cursor"
    assert error["message"]["de"].startswith("Ungültiger Cursor")
    assert error["message"]["en"].startswith("Invalid cursor")


def test_the_csv_download_pages_by_link_header_through_every_row(client, crew, clock):
    filed = []
    for _ in range(5):
        clock.advance(minutes=1)
        filed.append(file_ticket(client)["report"]["public_id"])
    pages = follow_links(crew, "/api/v1/tickets?format=csv&limit=2&category=schlagloch")
    assert len(pages) == 3
    rows = []
    for page in pages:
        assert page.mimetype == "text/csv"
        rows += list(csv.DictReader(io.StringIO(page.get_data(as_text=True))))
    assert [r["public_id"] for r in rows] == filed
    link = pages[0].headers["Link"]
    assert link.startswith("<http://maengel.test/api/v1/tickets?")
    assert "format=csv" in link and "category=schlagloch" in link and link.endswith('rel="next"')
    # Without a limit a download holds a normal city's open tickets in one page.
    whole = crew.get("/api/v1/tickets?format=csv")
    assert next_link(whole) is None
    assert len(list(csv.DictReader(io.StringIO(whole.get_data(as_text=True))))) == 5


def test_the_geojson_download_names_its_next_page_in_header_and_body(client, crew, clock):
    for _ in range(3):
        clock.advance(minutes=1)
        file_ticket(client)
    pages = follow_links(crew, "/api/v1/tickets?format=geojson&limit=2")
    assert [len(json.loads(p.get_data())["features"]) for p in pages] == [2, 1]
    first, last = (json.loads(p.get_data()) for p in pages)
    assert first["links"] == [
        {"href": next_link(pages[0]), "rel": "next", "type": "application/geo+json"}
    ]
    assert first["next_cursor"] in first["links"][0]["href"]
    assert (last["links"], last["next_cursor"]) == ([], None)
