"""Open311 discovery, services, service definitions, tokens and the error shape."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from maengelmelder.core.catalog import Category
from maengelmelder.extensions import db
from tests.open311.conftest import (
    JSON_TYPE,
    ROOT,
    XML_DECLARATION,
    as_strings,
    errors_of,
    json_data,
    xml_data,
    xml_root,
)

DEMO_CODES = {
    "schlagloch",
    "gehweg",
    "verkehrszeichen",
    "strassenlaterne",
    "papierkorb",
}


@pytest.mark.parametrize("path", [f"{ROOT}/discovery", "/open311/discovery"])
def test_discovery_in_both_formats(client, path):
    resp = client.get(f"{path}.json")
    assert resp.status_code == 200
    body = json_data(resp)
    assert set(body) == {"changeset", "contact", "key_service", "endpoints"}
    assert body["changeset"].endswith("Z")
    assert "Musterstadt" in body["contact"]
    [endpoint] = body["endpoints"]
    assert endpoint == {
        "specification": "http://wiki.open311.org/GeoReport_v2",
        "url": "http://maengel.test/open311/v2",
        "changeset": body["changeset"],
        "type": "production",
        "formats": ["application/json", "text/xml"],
    }
    xml = client.get(f"{path}.xml")
    assert xml.status_code == 200
    assert xml_data(xml) == as_strings(body)
    formats = xml_root(xml).findall("./endpoints/endpoint/formats/format")
    assert [f.text for f in formats] == ["application/json", "text/xml"]


def test_services_list_active_categories_in_german(client, app):
    resp = client.get(f"{ROOT}/services.json")
    assert resp.status_code == 200
    assert resp.content_type == JSON_TYPE
    services = json_data(resp)
    assert isinstance(services, list)
    codes = [s["service_code"] for s in services]
    assert set(codes) >= DEMO_CODES
    pothole = next(s for s in services if s["service_code"] == "schlagloch")
    assert pothole["service_name"] == "Schlagloch"
    assert pothole["metadata"] is False
    assert pothole["type"] == "realtime"
    assert pothole["group"] == "strasse"
    assert "Tiefbauamt" in pothole["description"]
    assert "Pothole" in pothole["keywords"].split(",")
    assert set(pothole) == {
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    }

    xml = client.get(f"{ROOT}/services.xml")
    assert xml.status_code == 200
    assert xml.data.startswith(XML_DECLARATION + b"\n<services><service>")
    assert xml_data(xml) == as_strings(services)

    with app.app_context():
        db.session.execute(
            update(Category).where(Category.code == "schlagloch").values(active=False)
        )
        db.session.commit()
    after = json_data(client.get(f"{ROOT}/services.json"))
    assert "schlagloch" not in [s["service_code"] for s in after]
    assert len(after) == len(services) - 1


@pytest.mark.parametrize(
    ("query", "headers"),
    [("?locale=en", {}), ("", {"Accept-Language": "en-GB,en;q=0.9"})],
)
def test_services_in_english(client, query, headers):
    services = json_data(client.get(f"{ROOT}/services.json{query}", headers=headers))
    pothole = next(s for s in services if s["service_code"] == "schlagloch")
    assert pothole["service_name"] == "Pothole"
    assert "Civil Engineering Office" in pothole["description"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_service_definition(client, fmt):
    resp = client.get(f"{ROOT}/services/schlagloch.{fmt}")
    assert resp.status_code == 200
    if fmt == "json":
        assert json_data(resp) == {"service_code": "schlagloch", "attributes": []}
    else:
        root = xml_root(resp)
        assert root.tag == "service_definition"
        assert root.findtext("service_code") == "schlagloch"
        assert root.find("attributes") is not None and len(root.find("attributes")) == 0


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_or_inactive_service_is_404(client, app, fmt):
    resp = client.get(f"{ROOT}/services/gibtsnicht.{fmt}")
    assert resp.status_code == 404
    [error] = errors_of(resp, fmt)
    assert error["code"] == "404"
    assert "gibtsnicht" in error["description"]
    with app.app_context():
        db.session.execute(update(Category).where(Category.code == "gehweg").values(active=False))
        db.session.commit()
    assert client.get(f"{ROOT}/services/gehweg.{fmt}").status_code == 404


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_tokens_are_404_no_batch_services(client, fmt):
    resp = client.get(f"{ROOT}/tokens/123456.{fmt}")
    assert resp.status_code == 404
    [error] = errors_of(resp, fmt)
    assert "batch" in error["description"]


def test_error_shape_in_xml(client):
    resp = client.get(f"{ROOT}/requests/1999-000001.xml")
    assert resp.status_code == 404
    root = xml_root(resp)
    assert root.tag == "errors"
    [error] = root.findall("error")
    assert [child.tag for child in error] == ["code", "description"]
    assert error.findtext("code") == "404"
    assert " / " in error.findtext("description")  # German / English


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (f"{ROOT}/services.html", 400),
        (f"{ROOT}/services.JSONP", 400),
        (f"{ROOT}/requests.csv", 400),
        (f"{ROOT}/services", 400),  # no format suffix
        (f"{ROOT}/requests/2026-000001", 400),
        (f"{ROOT}/gibtsnicht.json", 404),
        (f"{ROOT}/services/x/y.json", 404),
        ("/open311/v3/services.json", 404),
    ],
)
def test_unknown_formats_and_resources(client, path, status):
    resp = client.get(path)
    assert resp.status_code == status
    [error] = errors_of(resp, "json")
    assert error["code"] == str(status)


def test_errors_of_unknown_resources_come_in_the_requested_format(client):
    resp = client.get(f"{ROOT}/gibtsnicht.xml")
    assert resp.status_code == 404
    assert errors_of(resp, "xml")[0]["code"] == "404"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_wrong_method_is_400_with_allow(client, fmt):
    resp = client.post(f"{ROOT}/services.{fmt}", data={"x": "1"})
    assert resp.status_code == 400
    assert resp.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert errors_of(resp, fmt)[0]["code"] == "400"  # the code is the HTTP status
    resp = client.delete(f"{ROOT}/requests.{fmt}")
    assert resp.status_code == 400
    assert "POST" in resp.headers["Allow"]


def test_empty_optional_parameters_are_missing_ones(client):
    resp = client.get(f"{ROOT}/services.json?jurisdiction_id=&locale=")
    assert resp.status_code == 200
    assert json_data(resp)[0]["service_name"] == "Schlagloch"
    resp = client.get(f"{ROOT}/services/schlagloch.xml?jurisdiction_id=")
    assert resp.status_code == 200
    resp = client.get(f"{ROOT}/discovery.json?jurisdiction_id=musterstadt")
    assert resp.status_code == 200  # one jurisdiction: the parameter is ignored
