"""The hotspot view's reads: open and breached tickets per zone and per grid cell."""

from __future__ import annotations

import pytest

from maengelmelder.board import hotspots
from tests.tickets.helpers import CENTRE, file_ticket

WEST = {"lat": 50.1000, "lon": 8.7250}
CITY_BOX = "8.70,50.07,8.83,50.13"


@pytest.fixture
def city(client, clock):
    """Three tickets in Innenstadt (two potholes, one graffiti), one pothole in West; the
    first three are past their deadline, the last was filed now."""
    for category in ("schlagloch", "schlagloch", "graffiti"):
        file_ticket(client, category, **CENTRE)
    clock.advance(days=20)
    file_ticket(client, "schlagloch", **WEST)


@pytest.fixture
def supervisor(staff):
    return staff.client("supervisor", citywide=True)


def _zones(body: dict) -> dict[str, tuple[int, int]]:
    return {z["key"]: (z["open"], z["breached"]) for z in body["zones"]}


def test_per_district_the_fullest_first_with_names_and_outlines(city, supervisor):
    resp = supervisor.get("/api/v1/board/hotspots?kind=district")
    assert resp.status_code == 200, resp.json
    body = resp.json
    assert body["kind"] == "district" and {"district", "area"} <= set(body["kinds"])
    assert [z["key"] for z in body["zones"][:2]] == ["innenstadt", "west"]
    assert body["zones"][0]["name"] == "Innenstadt"
    assert body["zones"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    counts = _zones(body)
    assert counts["innenstadt"] == (3, 3) and counts["west"] == (1, 0) and counts["ost"] == (0, 0)
    assert body["total"] == {"open": 4, "breached": 3}
    assert body["outside"] == {"open": 0, "breached": 0}


def test_outlines_can_be_simplified_for_the_map(city, supervisor):
    full = supervisor.get("/api/v1/board/hotspots").json
    small = supervisor.get("/api/v1/board/hotspots?simplify=0.002").json
    assert _zones(small) == _zones(full)

    def vertices(body):
        return sum(len(str(z["geometry"]["coordinates"])) for z in body["zones"])

    assert all(z["geometry"]["type"] in ("Polygon", "MultiPolygon") for z in small["zones"])
    assert vertices(small) < vertices(full)
    assert supervisor.get("/api/v1/board/hotspots?simplify=1").status_code == 400


def test_default_kind_is_districts_and_another_kind_counts_its_zones(city, supervisor):
    assert supervisor.get("/api/v1/board/hotspots").json["kind"] == "district"
    areas = supervisor.get("/api/v1/board/hotspots?kind=area").json
    assert {z["key"] for z in areas["zones"]} == {"stadtpark", "hafen"}
    assert areas["outside"] == {"open": 4, "breached": 3}


def test_filters_change_the_counts(city, supervisor):
    graffiti = _zones(supervisor.get("/api/v1/board/hotspots?category=graffiti").json)
    assert graffiti["innenstadt"] == (1, 1) and graffiti["west"] == (0, 0)
    potholes = supervisor.get("/api/v1/board/hotspots?category=schlagloch").json
    assert _zones(potholes)["innenstadt"] == (2, 2) and potholes["total"]["open"] == 3
    department = supervisor.get("/api/v1/tickets?limit=1").json["items"][0]["department"]
    code = department["code"] if isinstance(department, dict) else department
    by_department = supervisor.get(f"/api/v1/board/hotspots?department={code}").json
    assert 0 < by_department["total"]["open"] <= 4


def test_a_closed_ticket_leaves_the_counts(client, staff, supervisor, admin_headers):
    public_id = file_ticket(client, "schlagloch", **WEST)["report"]["public_id"]
    assert _zones(supervisor.get("/api/v1/board/hotspots").json)["west"] == (1, 0)
    version = client.get(f"/api/v1/tickets/{public_id}", headers=admin_headers).headers["ETag"]
    resp = client.post(
        f"/api/v1/tickets/{public_id}/transition",
        json={"to": "rejected", "public_note": "Kein Mangel"},
        headers={**admin_headers, "If-Match": version},
    )
    assert resp.status_code == 200, resp.json
    assert _zones(supervisor.get("/api/v1/board/hotspots").json)["west"] == (0, 0)


def test_cells_count_open_tickets_on_a_grid(city, supervisor):
    resp = supervisor.get(f"/api/v1/board/hotspots/cells?bbox={CITY_BOX}&zoom=14")
    assert resp.status_code == 200, resp.json
    body = resp.json
    assert body["total"] == {"open": 4, "breached": 3} and not body["truncated"]
    first = body["cells"][0]
    assert (first["open"], first["breached"]) == (3, 3)
    assert first["lat"] == pytest.approx(CENTRE["lat"]) and first["lon"] == pytest.approx(
        CENTRE["lon"]
    )
    west, south, east, north = first["bounds"]
    assert west <= CENTRE["lon"] <= east and south <= CENTRE["lat"] <= north
    graffiti = supervisor.get(
        f"/api/v1/board/hotspots/cells?bbox={CITY_BOX}&zoom=14&category=graffiti"
    ).json
    assert [(c["open"], c["breached"]) for c in graffiti["cells"]] == [(1, 1)]
    west_only = supervisor.get("/api/v1/board/hotspots/cells?bbox=8.70,50.08,8.74,50.12&zoom=14")
    assert west_only.json["total"] == {"open": 1, "breached": 0}


def test_cells_are_bounded(city, supervisor, monkeypatch):
    # However deep the zoom, a box holds at most 65 × 65 cells.
    body = supervisor.get("/api/v1/board/hotspots/cells?bbox=-180,-90,180,90&zoom=20").json
    assert body["cell_size"] >= 360 / 64 and body["total"]["open"] == 4
    monkeypatch.setattr(hotspots, "MAX_CELLS", 1)
    body = supervisor.get(f"/api/v1/board/hotspots/cells?bbox={CITY_BOX}&zoom=16").json
    assert len(body["cells"]) == 1 and body["truncated"]
    assert body["cells"][0]["open"] == 3 and body["total"]["open"] == 4


def test_a_supervisor_of_one_department_sees_its_tickets_only(city, staff):
    own = staff.client("supervisor", "gruen")
    body = own.get("/api/v1/board/hotspots").json
    assert body["total"] == {"open": 0, "breached": 0}


@pytest.mark.parametrize(
    "path", ["/api/v1/board/hotspots", f"/api/v1/board/hotspots/cells?bbox={CITY_BOX}&zoom=12"]
)
def test_crews_and_strangers_are_refused(app, client, staff, path):
    assert client.get(path).status_code == 401
    assert staff.client("crew", "tiefbau").get(path).status_code == 403
    assert staff.client("admin").get(path).status_code == 200


@pytest.mark.parametrize(
    ("query", "status", "name"),
    [
        ("/api/v1/board/hotspots?kind=bezirk", 400, "bezirk"),
        ("/api/v1/board/hotspots?category=nope", 400, "nope"),
        ("/api/v1/board/hotspots?department=nope", 400, "nope"),
        ("/api/v1/board/hotspots?colour=red", 400, None),
        (f"/api/v1/board/hotspots/cells?bbox={CITY_BOX}&zoom=99", 400, None),
        (f"/api/v1/board/hotspots/cells?bbox={CITY_BOX}", 400, None),
        ("/api/v1/board/hotspots/cells?bbox=8.8,50.1,8.7,50.0&zoom=12", 400, "8.8"),
        ("/api/v1/board/hotspots/cells?bbox=a,b,c,d&zoom=12", 400, "a,b"),
    ],
)
def test_bad_filters_are_explained_in_both_languages(supervisor, query, status, name):
    resp = supervisor.get(query)
    assert resp.status_code == status, resp.json
    message = resp.json["error"]["message"]
    assert message["de"] and message["en"] and message["de"] != message["en"]
    if name is not None:
        assert name in message["de"] and name in message["en"]
