"""The OpenAPI document: valid, complete (every /api/v1 route), browsable without scripts."""

from __future__ import annotations

import json
import re

import pytest
from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

from maengelmelder.openapi import openapi_path, registered_operations


@pytest.fixture
def document(client) -> dict:
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    assert resp.mimetype == "application/json"
    return resp.json


def test_document_validates_as_openapi_3_1(document):
    assert document["openapi"].startswith("3.1")
    errors = [str(e) for e in OPENAPI_31_VALIDATOR.iter_errors(document)]
    assert errors == []


def test_every_reference_resolves(document):
    refs = set(re.findall(r'"\$ref": "#/([^"]+)"', json.dumps(document)))
    for target in refs:
        node = document
        for part in target.split("/"):
            assert part in node, target
            node = node[part]


def test_every_api_route_is_described(app, document):
    """A new /api/v1 endpoint fails here until it is in maengelmelder/openapi/operations_*.py."""
    registered = {
        (path, method)
        for path, method in registered_operations(app)
        if path.startswith("/api/v1/") or path == "/healthz"
    }
    described = {(path, method) for path, item in document["paths"].items() for method in item}
    missing = sorted(registered - described)
    assert not missing, f"describe these in maengelmelder/openapi/operations_*.py: {missing}"
    # and nothing is described that the app does not serve
    assert described - registered == set()


def test_path_parameters_are_declared(document):
    for path, item in document["paths"].items():
        for method, op in item.items():
            names = set(re.findall(r"{([^}]+)}", path))
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert names == declared, (method, path)


def test_staff_operations_name_their_security_and_the_error_shape(document):
    for path, item in document["paths"].items():
        for method, op in item.items():
            if path.startswith(("/api/v1/tickets", "/api/v1/admin", "/api/v1/sla/summary")):
                assert {"bearerAuth": []} in op["security"], (method, path)
                assert {"401", "403"} <= set(op["responses"]), (method, path)
            for status, resp in op["responses"].items():
                if status.startswith("4"):
                    assert resp["$ref"] == f"#/components/responses/Error{status}"
    error = document["components"]["schemas"]["Error"]
    assert error["properties"]["error"]["required"] == ["status", "code", "message"]
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"]["scheme"] == "bearer"
    assert schemes["csrfHeader"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-CSRF-Token",
        "description": schemes["csrfHeader"]["description"],
    }


def test_every_operation_documents_the_database_outage(document):
    """A 503 with Retry-After can come from any operation: the database may be away."""
    for path, item in document["paths"].items():
        for method, op in item.items():
            assert "503" in op["responses"], (method, path)
    outage = document["components"]["responses"]["Error503"]["description"]
    assert "Retry-After" in outage and "nothing was written" in outage


def test_marshmallow_schemas_are_components(document):
    schemas = document["components"]["schemas"]
    assert schemas["ReportIn"]["required"] == ["category"]
    assert schemas["ReportIn"]["additionalProperties"] is False
    assert schemas["TransitionIn"]["properties"]["to"]["enum"][0] == "new"
    assert "assignee" in {
        p["name"] for p in document["paths"]["/api/v1/tickets"]["get"]["parameters"]
    }


def test_openapi_path():
    assert openapi_path("/api/v1/tickets/<public_id>/photos/<int:photo_id>/redact") == (
        "/api/v1/tickets/{public_id}/photos/{photo_id}/redact"
    )


def test_docs_page_renders_operations_without_scripts_or_foreign_hosts(client):
    resp = client.get("/api/v1/docs")
    assert resp.status_code == 200
    assert resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    for text in (
        "POST /api/v1/reports",
        "GET /api/v1/tickets/{public_id}",
        "POST /api/v1/tickets/{public_id}/transition",
        "If-Match",
        "TransitionIn",
        "Error",
        "/api/v1/openapi.json",
    ):
        assert text in html, text
    assert "<script" not in html
    assert " style=" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("path", "maximum"),
    [
        ("/api/v1/tickets", 10000),
        ("/api/v1/export/reports.csv", 100000),
        ("/api/v1/export/reports.geojson", 100000),
        ("/api/v1/admin/users", 1000),
        ("/api/v1/admin/tokens", 1000),
        ("/api/v1/admin/blocklist", 1000),
        ("/api/v1/admin/mails/failed", 500),
    ],
)
def test_paged_lists_document_limit_cursor_and_the_link_header(document, path, maximum):
    op = document["paths"][path]["get"]
    params = {p["name"]: p for p in op["parameters"] if p["in"] == "query"}
    assert params["limit"]["schema"]["maximum"] == maximum
    assert params["limit"]["schema"]["minimum"] == 1
    assert "cursor" in params
    assert 'rel="next"' in op["responses"]["200"]["headers"]["Link"]["description"]


def test_page_bodies_name_the_next_page_and_the_capped_count(document):
    schemas = document["components"]["schemas"]
    queue = schemas["TicketQueue"]["properties"]
    assert {"next_cursor", "total", "total_capped"} <= set(queue)
    assert "1,000" in queue["total"]["description"]
    for name in ("TicketFeatureCollection", "OpenDataFeatureCollection"):
        assert {"next_cursor", "links"} <= set(schemas[name]["properties"])
    tickets = document["paths"]["/api/v1/tickets"]["get"]["description"]
    assert "`cursor`" in tickets and "at most 500" in tickets
