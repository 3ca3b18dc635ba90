"""Every Open311 error body's code is its HTTP status, in JSON and XML (GeoReport v2 errors).

One answer was once seen with HTTP 400 and `code: 422` in its body (a refused idempotency
key); others said 405 or 413 in a 400. The spec's examples pair a status with the same code,
and clients read either. This walks every error path of the interface in both formats.
"""

from __future__ import annotations

import io

import pytest

from maengelmelder.extensions import db
from tests import images
from tests.open311.conftest import INSIDE, ROOT, errors_of

FORMATS = ("json", "xml")


def _assert_code_is_status(resp, fmt: str, status: int) -> str:
    assert resp.status_code == status, (resp.status_code, resp.get_data(as_text=True)[:300])
    [error] = errors_of(resp, fmt)
    assert error["code"] == str(status), (status, error)
    return error["description"]


# (name, method, path template, query, form) -> the HTTP status Open311 answers with.
def _calls(key: str, too_long: str) -> list[tuple[str, str, str, dict, dict, int]]:
    filing = {"api_key": key, "service_code": "schlagloch", **INSIDE}
    return [
        # Parameters of GET requests.
        ("bad status", "GET", "requests.{fmt}", {"status": "ongoing"}, {}, 400),
        ("malformed date", "GET", "requests.{fmt}", {"start_date": "gestern"}, {}, 400),
        ("date without zone", "GET", "requests.{fmt}", {"end_date": "2026-03-10T00:00"}, {}, 400),
        (
            "dates the wrong way round",
            "GET",
            "requests.{fmt}",
            {"start_date": "2026-03-10T00:00:00Z", "end_date": "2026-03-01T00:00:00Z"},
            {},
            400,
        ),
        (
            "a span over 90 days",
            "GET",
            "requests.{fmt}",
            {"start_date": "2025-01-01T00:00:00Z", "end_date": "2026-03-01T00:00:00Z"},
            {},
            400,
        ),
        ("page size 0", "GET", "requests.{fmt}", {"page_size": "0"}, {}, 400),
        ("page not a number", "GET", "requests.{fmt}", {"page": "zwei"}, {}, 400),
        ("extensions not a flag", "GET", "requests.{fmt}", {"extensions": "vielleicht"}, {}, 400),
        (
            "too many ids",
            "GET",
            "requests.{fmt}",
            {"service_request_id": ",".join(f"2026-{i:06}" for i in range(1001))},
            {},
            400,
        ),
        ("NUL in a parameter", "GET", "requests.{fmt}", {"status": "open\x00"}, {}, 400),
        # Resources that do not exist.
        ("unknown service", "GET", "services/gibtsnicht.{fmt}", {}, {}, 404),
        ("unknown request", "GET", "requests/1999-000001.{fmt}", {}, {}, 404),
        ("unknown token", "GET", "tokens/123456.{fmt}", {}, {}, 404),
        ("unknown resource", "GET", "gibtsnicht.{fmt}", {}, {}, 404),
        ("too deep a path", "GET", "services/x/y.{fmt}", {}, {}, 404),
        # Wrong methods.
        ("POST to services", "POST", "services.{fmt}", {}, {"x": "1"}, 400),
        ("DELETE on requests", "DELETE", "requests.{fmt}", {}, {}, 400),
        ("PUT on discovery", "PUT", "discovery.{fmt}", {}, {}, 400),
        # Filing: keys, services, locations, fields.
        ("no api_key", "POST", "requests.{fmt}", {}, {"service_code": "schlagloch"}, 403),
        ("a wrong api_key", "POST", "requests.{fmt}", {}, {**filing, "api_key": "nope"}, 403),
        ("no service_code", "POST", "requests.{fmt}", {}, {"api_key": key, **INSIDE}, 400),
        (
            "unknown service_code",
            "POST",
            "requests.{fmt}",
            {},
            {**filing, "service_code": "ufo"},
            404,
        ),
        ("no location", "POST", "requests.{fmt}", {}, {**filing, "lat": "", "long": ""}, 400),
        (
            "address only",
            "POST",
            "requests.{fmt}",
            {},
            {**filing, "lat": "", "long": "", "address_string": "Hauptstr. 1"},
            400,
        ),
        ("lat without long", "POST", "requests.{fmt}", {}, {**filing, "long": ""}, 400),
        ("lat out of range", "POST", "requests.{fmt}", {}, {**filing, "lat": "91"}, 400),
        ("long not a number", "POST", "requests.{fmt}", {}, {**filing, "long": "ost"}, 400),
        # The native intake's 422s (field checks, outside the city) become 400s.
        ("invalid e-mail", "POST", "requests.{fmt}", {}, {**filing, "email": "kein@"}, 400),
        ("description too long", "POST", "requests.{fmt}", {}, {**filing, **too_long}, 400),
        (
            "outside the city",
            "POST",
            "requests.{fmt}",
            {},
            {**filing, "lat": "52.52", "long": "13.40"},
            400,
        ),
    ]


def _call_ids() -> list[str]:
    return [c[0] for c in _calls("k", {})]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", _call_ids())
def test_every_error_path_has_its_status_as_code(client, api_key, fmt, name):
    too_long = {"description": "x" * 10_001}
    [call] = [c for c in _calls(api_key, too_long) if c[0] == name]
    _, method, path, query, form, status = call
    resp = client.open(
        f"{ROOT}/{path.format(fmt=fmt)}", method=method, query_string=query, data=form or None
    )
    _assert_code_is_status(resp, fmt, status)


@pytest.mark.parametrize("fmt", FORMATS)
def test_wrong_method_keeps_allow_and_says_400(client, fmt):
    resp = client.post(f"{ROOT}/services.{fmt}", data={"x": "1"})
    _assert_code_is_status(resp, fmt, 400)
    assert resp.headers["Allow"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize("fmt", FORMATS)
def test_refused_idempotency_key_is_400_with_code_400(client, api_key, fmt):
    """The answer first seen with HTTP 400 and code 422: a key reused for another report."""
    data = {"api_key": api_key, "service_code": "schlagloch", **INSIDE, "description": "Loch"}
    headers = {"Idempotency-Key": f"retry-{fmt}"}
    first = client.post(f"{ROOT}/requests.{fmt}", data=data, headers=headers)
    assert first.status_code == 201
    other = client.post(
        f"{ROOT}/requests.{fmt}", data={**data, "description": "anders"}, headers=headers
    )
    _assert_code_is_status(other, fmt, 400)
    bad = client.post(f"{ROOT}/requests.{fmt}", data=data, headers={"Idempotency-Key": "ä"})
    _assert_code_is_status(bad, fmt, 400)


@pytest.mark.parametrize("fmt", FORMATS)
def test_too_large_body_is_400_with_code_400(app, client, api_key, fmt):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    data = {"api_key": api_key, "service_code": "schlagloch", **INSIDE, "description": "x" * 4000}
    resp = client.post(f"{ROOT}/requests.{fmt}", data=data)
    _assert_code_is_status(resp, fmt, 400)


@pytest.mark.parametrize("fmt", FORMATS)
def test_photo_errors_are_400_with_code_400(client, api_key, fmt):
    data = {"api_key": api_key, "service_code": "schlagloch", **INSIDE}
    not_an_image = {**data, "media": (io.BytesIO(images.text_as_jpg()), "a.jpg")}
    resp = client.post(f"{ROOT}/requests.{fmt}", data=not_an_image)
    _assert_code_is_status(resp, fmt, 400)
    stray = {**data, "photo": (io.BytesIO(images.phone_jpeg(160, 120, 1, None)), "a.jpg")}
    resp = client.post(f"{ROOT}/requests.{fmt}", data=stray)
    _assert_code_is_status(resp, fmt, 400)


@pytest.mark.parametrize("fmt", FORMATS)
def test_database_outage_is_503_with_code_503(app, client, fmt, monkeypatch):
    from sqlalchemy.exc import OperationalError

    def gone(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "scalars", gone)
    resp = client.get(f"{ROOT}/services.{fmt}")
    _assert_code_is_status(resp, fmt, 503)
    assert resp.headers["Retry-After"]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (f"{ROOT}/services.html", 400),
        (f"{ROOT}/requests.csv", 400),
        (f"{ROOT}/services", 400),
        (f"{ROOT}/requests/2026-000001", 400),
    ],
)
def test_unknown_formats_answer_json_with_the_status_as_code(client, path, status):
    resp = client.get(path)
    _assert_code_is_status(resp, "json", status)
