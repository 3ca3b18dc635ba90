"""The answers built from plain rows or by hand for speed equal their schemas' dumps.

The public list and the map (`reads.list_public_dicts`, `reads.list_map_dicts`), a GeoJSON
feature (`report_feature`) and intake's answer (`created_body`) skip marshmallow; the
document describes them with `ReportPublic`, `MapReport`, `ReportFeature` and
`ReportCreated`. Each fast function must give the same keys and values as its schema, so the
two cannot drift apart.
"""

from __future__ import annotations

import io

from sqlalchemy import select

from maengelmelder.core.links import links
from maengelmelder.core.models import Report
from maengelmelder.extensions import db
from maengelmelder.reports import reads
from maengelmelder.reports.schemas import (
    MapReport,
    ReportCreated,
    ReportFeature,
    ReportPublic,
    created_body,
    photo_dumper,
    report_feature,
)
from maengelmelder.web.geojson import PointGeometry
from tests import images
from tests.passes import run_privacy_passes
from tests.reports.helpers import post_multipart, report_json


def _file_varied_reports(client, staff, clock) -> dict[str, str]:
    """Reports in every state of what the public may see: unpublished with a photo, published
    with an edited text, published at once, and resolved with a public 'after' photo."""
    crew = staff.client("supervisor", "tiefbau")

    def versioned(public_id: str, action: str, **kwargs) -> None:
        etag = crew.get(f"/api/v1/tickets/{public_id}").headers["ETag"]
        resp = crew.post(
            f"/api/v1/tickets/{public_id}/{action}", headers={"If-Match": etag}, **kwargs
        )
        assert resp.status_code in (200, 201), resp.json

    def file(category: str = "schlagloch") -> str:
        body = report_json(category=category, address="Hauptstraße 12", email="anna@example.org")
        resp = post_multipart(client, body, [images.phone_jpeg(width=800, height=600)])
        assert resp.status_code == 201, resp.json
        clock.advance(minutes=5)
        return resp.json["report"]["public_id"]

    filed = {"waiting": file(), "edited": file(), "lamp": file("strassenlaterne"), "done": file()}
    versioned(
        filed["edited"], "publication", json={"action": "publish", "public_description": "neu"}
    )
    for to in ("acknowledged", "in_progress"):
        versioned(filed["done"], "transition", json={"to": to})
    after = crew.post(
        f"/api/v1/tickets/{filed['done']}/photos",
        data={"photos": [(io.BytesIO(images.phone_jpeg(width=640, height=480)), "nach.jpg")]},
        content_type="multipart/form-data",
    )
    assert after.status_code in (200, 201), after.json
    versioned(filed["done"], "transition", json={"to": "resolved", "public_note": "erledigt"})
    run_privacy_passes(client.application)  # as the worker does after each photo's intake
    return filed


def _reports(public_ids) -> dict[str, Report]:
    found = db.session.scalars(select(Report).where(Report.public_id.in_(list(public_ids))))
    return {r.public_id: r for r in found}


def test_list_and_map_rows_equal_their_schemas(app, client, staff, clock):
    filed = _file_varied_reports(client, staff, clock)
    with app.test_request_context("/api/v1/reports"):
        flt = reads.ReportFilter(limit=50)
        items, _ = reads.list_public_dicts(db.session, flt, photo_dumper())
        markers, _ = reads.list_map_dicts(db.session, flt)
        reports = _reports(filed.values())
        assert len(items) == len(markers) == len(filed)
        for item, marker in zip(items, markers, strict=True):
            report = reports[item["public_id"]]
            assert item == ReportPublic().dump(report)
            assert marker == MapReport().dump(report)
        assert any(item["photos"] for item in items)  # photos are compared too
        assert any(item["description"] is None for item in items)


def test_geojson_features_have_the_documented_shape(app, client, staff, clock):
    _file_varied_reports(client, staff, clock)
    with app.test_request_context("/api/v1/reports"):
        flt = reads.ReportFilter(limit=50)
        items, _ = reads.list_public_dicts(db.session, flt, photo_dumper())
        markers, _ = reads.list_map_dicts(db.session, flt)
    for data in items + markers:
        feature = report_feature(data)
        assert list(feature) == list(ReportFeature().fields)
        assert feature == ReportFeature().dump(feature)
        assert feature["geometry"] == PointGeometry().dump(feature["geometry"])
        assert feature["geometry"]["coordinates"] == [data["lon"], data["lat"]]
        assert feature["properties"] == {k: v for k, v in data.items() if k not in {"lat", "lon"}}


def test_intake_answer_equals_its_schema(app, client):
    resp = post_multipart(client, report_json(), [images.phone_jpeg(width=640, height=480)])
    assert resp.status_code == 201, resp.json
    token = resp.json["tracking_token"]
    with app.test_request_context("/api/v1/reports", base_url="http://localhost/"):
        report = _reports([resp.json["report"]["public_id"]])[resp.json["report"]["public_id"]]
        url = links().url(f"/track/{token}")
        fast = created_body(report, url, token)
        assert fast == ReportCreated().dump(
            {"report": report, "tracking_url": url, "tracking_token": token}
        )
    assert fast == resp.json
