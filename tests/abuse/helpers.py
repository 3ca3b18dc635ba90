"""Shared helpers of the abuse tests."""

from __future__ import annotations

from sqlalchemy import select

from maengelmelder.core.models import Report
from maengelmelder.extensions import db
from tests.reports.helpers import report_json
from tests.tickets.helpers import version_of


def file(client, **fields) -> dict:
    """File a report as a citizen (JSON); returns the 201 body."""
    resp = client.post("/api/v1/reports", json=report_json(**fields))
    assert resp.status_code == 201, resp.json
    return resp.json


def stored(app, public_id: str) -> Report:
    """The stored report, detached, with its photos and events loaded."""
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.public_id == public_id))
        _ = report.photos, report.events
        db.session.expunge(report)
        return report


def publication(staff_client, public_id: str, **body):
    return staff_client.post(
        f"/api/v1/tickets/{public_id}/publication",
        json=body,
        headers={"If-Match": version_of(staff_client, public_id)},
    )


def publicly_visible(client, public_id: str) -> dict[str, bool]:
    """Where the public finds a report: list, single report, nearby, Open311, open data."""
    listed = client.get("/api/v1/reports?limit=500").json["items"]
    nearby = client.get("/api/v1/reports/nearby?lat=50.1005&lon=8.7655&radius=500").json
    open311 = client.get("/open311/v2/requests.json").json
    export = client.get("/api/v1/export/reports.csv").get_data(as_text=True)
    return {
        "list": public_id in {r["public_id"] for r in listed},
        "get": client.get(f"/api/v1/reports/{public_id}").status_code == 200,
        "nearby": public_id in {r["public_id"] for r in nearby["items"]},
        "open311_list": public_id in {r["service_request_id"] for r in open311},
        "open311_get": client.get(f"/open311/v2/requests/{public_id}.json").status_code == 200,
        "export": public_id in export,
        "page": client.get(f"/reports/{public_id}").status_code == 200,
    }


EVERYWHERE = dict.fromkeys(
    ("list", "get", "nearby", "open311_list", "open311_get", "export", "page"), True
)
NOWHERE = dict.fromkeys(EVERYWHERE, False)
