"""Filing tickets for staff tests."""

from __future__ import annotations

from tests import images
from tests.reports.helpers import post_multipart

CENTRE = {"lat": 50.1005, "lon": 8.7655}


def file_ticket(client, category: str = "schlagloch", *, photo: bool = False, **fields) -> dict:
    """File a report as a citizen; returns the creation response body."""
    body = {"category": category, "description": "Loch in der Fahrbahn", **CENTRE, **fields}
    if photo:
        resp = post_multipart(client, body, [images.phone_jpeg(width=800, height=600)])
    else:
        resp = client.post("/api/v1/reports", json=body)
    assert resp.status_code == 201, resp.json
    return resp.json


def version_of(client, public_id: str) -> str:
    resp = client.get(f"/api/v1/tickets/{public_id}")
    assert resp.status_code == 200, resp.json
    return resp.headers["ETag"]
