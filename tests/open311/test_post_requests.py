"""Filing service requests through Open311: the intake pipeline, keys, locations, errors."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from maengelmelder.accounts.models import ApiToken
from maengelmelder.accounts.service import revoke_token
from maengelmelder.core.events import TicketEvent
from maengelmelder.core.models import Report
from maengelmelder.extensions import db
from tests import images
from tests.open311.conftest import INSIDE, ROOT, errors_of, json_data, xml_root
from tests.reports.helpers import counts, media_files

NOTHING = {"reports": 0, "photos": 0, "ticket_events": 0}


def _post(client, fmt="json", **fields):
    return client.post(f"{ROOT}/requests.{fmt}", data=fields)


def _stored(app, public_id: str) -> Report:
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.public_id == public_id))
        report.events  # noqa: B018  load before the session closes
        db.session.expunge_all()
        return report


def test_form_post_files_a_report_through_the_intake_pipeline(app, client, api_key, clock):
    resp = _post(
        client,
        api_key=api_key,
        service_code="schlagloch",
        **INSIDE,
        description="Tiefes Loch\nvor Hausnummer 12 – Straße",
        email="erika@example.org",
        address_string="Hauptstraße 12",
        first_name="Erika",
        last_name="Mustermann",
        phone="+49 69 123456",
        device_id="device-abc-123",
        account_id="acct-9",
        jurisdiction_id="",
    )
    assert resp.status_code == 201, resp.get_data(as_text=True)
    body = json_data(resp)
    assert isinstance(body, list) and len(body) == 1
    assert set(body[0]) == {"service_request_id", "service_notice", "account_id"}
    assert body[0]["service_request_id"] == "2026-000001"
    assert body[0]["account_id"] is None
    assert "Tiefbauamt" in body[0]["service_notice"]
    assert resp.headers["Location"].endswith(f"{ROOT}/requests/2026-000001.json")

    report = _stored(app, "2026-000001")
    assert report.category.code == "schlagloch"
    assert report.department.code == "tiefbau"  # routed like any report
    assert (report.lat, report.lon) == (50.1005, 8.7655)
    assert report.description == "Tiefes Loch\nvor Hausnummer 12 – Straße"
    assert report.address == "Hauptstraße 12"
    assert report.reporter_email == "erika@example.org"
    assert report.status == "new"
    assert report.created_at == clock.now
    assert report.deadline == datetime(2026, 3, 12, 9, 0, tzinfo=UTC)
    [created] = report.events
    assert created.data["channel"] == "open311"
    stored = repr(vars(report)) + repr([vars(e) for e in report.events])
    for personal in ("Erika", "Mustermann", "123456", "device-abc-123", "acct-9", api_key):
        assert personal not in stored


def test_xml_post_answers_in_xml(client, api_key):
    resp = _post(client, "xml", api_key=api_key, service_code="papierkorb", **INSIDE)
    assert resp.status_code == 201
    root = xml_root(resp)
    assert root.tag == "service_requests"
    [request] = root.findall("request")
    assert [c.tag for c in request] == ["service_request_id", "service_notice", "account_id"]
    assert request.findtext("service_request_id") == "2026-000001"
    assert request.findtext("account_id") == ""  # empty element


@pytest.mark.parametrize("role", ["crew", "supervisor", "admin"])
def test_any_api_token_may_file_and_the_key_may_come_in_the_query(client, staff, role):
    key = staff.token(role, "gruen")
    resp = client.post(
        f"{ROOT}/requests.json?api_key={key}", data={"service_code": "gehweg", **INSIDE}
    )
    assert resp.status_code == 201


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_missing_or_invalid_api_key_is_403(app, client, staff, fmt):
    fields = {"service_code": "schlagloch", **INSIDE}
    revoked = staff.token("crew", "tiefbau")
    with app.app_context():
        token = db.session.scalars(select(ApiToken)).all()[-1]
        revoke_token(db.session, token.id, now=datetime(2026, 3, 10, tzinfo=UTC))
        db.session.commit()
    for key in (None, "", "mm_not-a-token", revoked):
        data = fields if key is None else {**fields, "api_key": key}
        resp = _post(client, fmt, **data)
        assert resp.status_code == 403, key
        [error] = errors_of(resp, fmt)
        assert error["code"] == "403"
        assert "api_key" in error["description"]
    assert counts(app) == NOTHING


# (fields, status, a word of the description)
BAD_INPUT = [
    ({}, 400, "service_code"),
    ({"service_code": ""}, 400, "service_code"),
    ({"service_code": "gibtsnicht"}, 404, "gibtsnicht"),
    ({"service_code": "schlag\x00loch"}, 400, "service_code"),
    ({"lat": "50.1005"}, 400, "lat and long"),
    ({"long": "8.7655"}, 400, "lat and long"),
    ({"lat": "abc", "long": "8.7655"}, 400, "Ungültige Koordinaten / invalid coordinates"),
    ({"lat": "nan", "long": "8.7655"}, 400, "invalid coordinates"),
    ({"lat": "inf", "long": "8.7655"}, 400, "invalid coordinates"),
    ({"lat": "91", "long": "8.7655"}, 400, "invalid coordinates"),
    ({"lat": "-90.5", "long": "8.7655"}, 400, "invalid coordinates"),
    ({"lat": "50.1", "long": "180.01"}, 400, "invalid coordinates"),
    ({"lat": "50.2", "long": "8.9"}, 400, "Musterstadt"),  # in Hesse, outside the city
    ({"address_string": "Hauptstraße 12"}, 400, "lat and long"),
    ({"address_id": "4711"}, 400, "address_id"),
    ({"lat": "", "long": ""}, 400, "location"),
    ({"description": "x" * 4001}, 400, "description"),
    ({"email": "not-an-address"}, 400, "email"),
    ({"address_string": "a" * 301}, 400, "address_string"),
    ({"description": "bad\x00byte"}, 400, "description"),
]


@pytest.mark.parametrize(("fields", "status", "word"), BAD_INPUT)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_input_is_refused_with_an_open311_error(
    app, client, api_key, media_dir, fields, status, word, fmt
):
    data = {"api_key": api_key}
    if fields.keys() & {"lat", "long", "address_string", "address_id"}:
        data.update(service_code="schlagloch")
    elif fields and "service_code" not in fields:
        data.update(service_code="schlagloch", **INSIDE)
    data.update(fields)
    resp = _post(client, fmt, **data)
    assert resp.status_code == status, resp.get_data(as_text=True)
    [error] = errors_of(resp, fmt)
    assert word in error["description"]
    assert " / " in error["description"]  # German and English
    assert counts(app) == NOTHING
    assert media_files(media_dir) == []


def test_the_longest_description_is_accepted(client, api_key):
    resp = _post(
        client, api_key=api_key, service_code="schlagloch", **INSIDE, description="x" * 4000
    )
    assert resp.status_code == 201


def test_empty_optional_fields_are_missing_ones(app, client, api_key):
    resp = _post(
        client,
        api_key=api_key,
        service_code="schlagloch",
        **INSIDE,
        email="",
        description="",
        address_string="",
        address_id="",
        media_url="",
        jurisdiction_id="",
        first_name="",
    )
    assert resp.status_code == 201
    report = _stored(app, "2026-000001")
    assert report.reporter_email is None and report.address is None


def test_media_url_is_kept_for_staff_only_and_never_shown(app, client, api_key):
    url = "http://127.0.0.1:9/never-fetched.jpg"
    public_id = json_data(
        _post(client, api_key=api_key, service_code="strassenlaterne", **INSIDE, media_url=url)
    )[0]["service_request_id"]
    report = _stored(app, public_id)
    assert report.events[0].data["media_url"] == url
    assert report.photos == []
    for fmt in ("json", "xml"):
        out = client.get(f"{ROOT}/requests/{public_id}.{fmt}?extensions=true")
        assert url.encode() not in out.data


def test_multipart_media_goes_through_the_photo_pipeline(app, client, api_key, media_dir):
    photo = images.phone_jpeg(width=800, height=600, gps=(8.7701, 50.1012), serial="SN-42")
    resp = client.post(
        f"{ROOT}/requests.json",
        data={
            "api_key": api_key,
            "service_code": "strassenlaterne",
            "media": (io.BytesIO(photo), "photo.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 201, resp.get_data(as_text=True)
    report = _stored(app, json_data(resp)[0]["service_request_id"])
    assert report.location_source == "photo"  # no lat/long: the photo's GPS position
    assert (round(report.lat, 4), round(report.lon, 4)) == (50.1012, 8.7701)
    assert len(report.photos) == 1
    files = media_files(media_dir)
    assert len(files) == 2 and all(b"SN-42" not in f.read_bytes() for f in files)


@pytest.mark.parametrize(
    ("blob", "field"),
    [(images.text_as_jpg(), "media"), (images.png_bytes(), "photos")],
)
def test_bad_media_is_refused_and_nothing_is_stored(app, client, api_key, media_dir, blob, field):
    resp = client.post(
        f"{ROOT}/requests.xml",
        data={
            "api_key": api_key,
            "service_code": "schlagloch",
            **INSIDE,
            field: (io.BytesIO(blob), "x.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 400
    assert errors_of(resp, "xml")
    assert counts(app) == NOTHING
    assert media_files(media_dir) == []


def test_photo_without_position_and_no_coordinates_is_400(app, client, api_key):
    photo = images.phone_jpeg(width=400, height=300, gps=None)
    resp = client.post(
        f"{ROOT}/requests.json",
        data={
            "api_key": api_key,
            "service_code": "schlagloch",
            "media": (io.BytesIO(photo), "p.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 400
    assert counts(app) == NOTHING


def test_idempotency_key_files_once(app, client, api_key):
    data = {"api_key": api_key, "service_code": "schlagloch", **INSIDE, "description": "Loch"}
    headers = {"Idempotency-Key": "open311-retry-1"}
    first = client.post(f"{ROOT}/requests.json", data=data, headers=headers)
    again = client.post(f"{ROOT}/requests.json", data=data, headers=headers)
    assert first.status_code == again.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert json_data(first) == json_data(again)
    assert counts(app)["reports"] == 1

    other = client.post(
        f"{ROOT}/requests.json", data={**data, "description": "anders"}, headers=headers
    )
    assert other.status_code == 400
    assert errors_of(other, "json")[0]["code"] == "400"  # the code is the HTTP status
    bad = client.post(f"{ROOT}/requests.json", data=data, headers={"Idempotency-Key": "ä"})
    assert bad.status_code == 400
    assert counts(app)["reports"] == 1


def test_oversized_body_is_400_not_500(app, client, api_key):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    resp = _post(
        client, api_key=api_key, service_code="schlagloch", **INSIDE, description="x" * 4000
    )
    assert resp.status_code == 400
    assert errors_of(resp, "json")[0]["code"] == "400"


def test_internal_events_hold_no_personal_fields(app, client, api_key):
    _post(client, api_key=api_key, service_code="schlagloch", **INSIDE, phone="0170 999")
    with app.app_context():
        events = db.session.scalars(select(TicketEvent)).all()
        assert "0170 999" not in repr([e.data for e in events])
