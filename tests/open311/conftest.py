"""Open311 fixtures and helpers: the blueprint on the test app, filing, staff actions, XML.

Until app.py registers the Open311 blueprint, the fixture below does (once per app).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

ROOT = "/open311/v2"
INSIDE = {"lat": "50.1005", "long": "8.7655"}
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>'
JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"
# XML elements whose children are list items in the JSON.
LIST_ELEMENTS = {"endpoints", "formats", "attributes", "values", "photos", "notes"}
LIST_ROOTS = {"services", "service_requests", "errors"}


@pytest.fixture(autouse=True)
def _open311_registered(app):
    if "open311" not in app.blueprints:
        from maengelmelder.open311.routes import bp

        app.register_blueprint(bp)
    return app


@pytest.fixture
def api_key(staff) -> str:
    """A valid API token (any role will do for Open311)."""
    return staff.token("crew", "tiefbau")


def _element(element: ET.Element) -> Any:
    if element.tag in LIST_ELEMENTS:
        return [_element(child) for child in element]
    if len(element):
        return {child.tag: _element(child) for child in element}
    return element.text or ""


def xml_data(resp) -> Any:
    """A checked XML response as JSON-shaped data (all leaves as strings)."""
    assert resp.content_type == XML_TYPE
    assert resp.data.startswith(XML_DECLARATION)
    root = ET.fromstring(resp.data)
    if root.tag in LIST_ROOTS:
        return [_element(child) for child in root]
    return {child.tag: _element(child) for child in root}


def xml_root(resp) -> ET.Element:
    assert resp.content_type == XML_TYPE
    return ET.fromstring(resp.data)


def as_strings(data: Any) -> Any:
    """JSON data with leaves written the way the XML writes them."""
    if isinstance(data, dict):
        return {k: as_strings(v) for k, v in data.items()}
    if isinstance(data, list):
        return [as_strings(v) for v in data]
    if data is None:
        return ""
    if isinstance(data, bool):
        return "true" if data else "false"
    return str(data)


def json_data(resp) -> Any:
    assert resp.content_type == JSON_TYPE
    return resp.get_json()


def errors_of(resp, fmt: str) -> list[dict]:
    """The Open311 error list of a response in either format (leaves as strings)."""
    data = xml_data(resp) if fmt == "xml" else as_strings(json_data(resp))
    assert isinstance(data, list) and data
    for error in data:
        assert set(error) == {"code", "description"}
        assert error["description"]
    return data


@pytest.fixture
def file_request(client, api_key):
    """File a request through Open311 (form-encoded) and return its id."""

    def file(**fields: str) -> str:
        data = {"api_key": api_key, "service_code": "schlagloch", **INSIDE, **fields}
        resp = client.post(f"{ROOT}/requests.json", data=data)
        assert resp.status_code == 201, resp.get_data(as_text=True)
        return resp.get_json()[0]["service_request_id"]

    return file


class TicketDesk:
    """Staff actions through the native staff API (Bearer token of the Tiefbauamt)."""

    def __init__(self, client, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def _versioned(self, public_id: str, action: str, body: dict) -> dict:
        etag = self.client.get(f"/api/v1/tickets/{public_id}", headers=self.headers)
        assert etag.status_code == 200, etag.json
        resp = self.client.post(
            f"/api/v1/tickets/{public_id}/{action}",
            json=body,
            headers={**self.headers, "If-Match": etag.headers["ETag"]},
        )
        assert resp.status_code in (200, 201), resp.json
        return resp.json

    def move(self, public_id: str, to: str, **notes: str) -> dict:
        return self._versioned(public_id, "transition", {"to": to, **notes})

    def publish(self, public_id: str, **fields) -> dict:
        return self._versioned(public_id, "publication", {"action": "publish", **fields})

    def hide(self, public_id: str) -> dict:
        return self._versioned(public_id, "publication", {"action": "hide"})

    def note(self, public_id: str, **notes: str) -> dict:
        resp = self.client.post(
            f"/api/v1/tickets/{public_id}/notes", json=notes, headers=self.headers
        )
        assert resp.status_code == 201, resp.json
        return resp.json


@pytest.fixture
def desk(client, staff) -> TicketDesk:
    return TicketDesk(client, staff.token("supervisor", "tiefbau"))
