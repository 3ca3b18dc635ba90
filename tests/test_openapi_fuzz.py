"""Property-based run of the API against its own OpenAPI document (schemathesis).

Every operation is called with generated input: the public ones anonymously, the staff ones
with a bearer token of a tiefbau crew member and of an admin. Each response must be no 5xx,
have a documented status code and content type, and match the documented schema. Generation
is derandomized, so a run is repeatable; a failure names the operation and the case.
"""

from __future__ import annotations

import base64
import io
import json

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.images import phone_jpeg

MAX_EXAMPLES = 10
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
IN_CITY = {"category": "schlagloch", "lat": 50.1005, "lon": 8.7655}
# Anonymous calls: schemathesis sends them with a client's Accept-Encoding (brotli, gzip) but
# reads the WSGI answer without decoding it; the public answers are compressed (web/wire.py).
PUBLIC = {"Accept-Encoding": "identity"}
# Calls that would cut the branch the run sits on: revoking the run's own token.
SKIP = {("DELETE", "/api/v1/admin/tokens/{token_id}")}


def _seed_reports(client) -> list[dict]:
    """Two reports to aim at: one with a photo, one without; their ids and tracking tokens."""
    seeded = []
    for description, photo in (("Schlagloch vor Nr. 12", True), ("Müll am Spielplatz", False)):
        data = {**IN_CITY, "description": description}
        if photo:
            data["photos"] = (io.BytesIO(phone_jpeg(640, 480)), "p.jpg")
        resp = client.post("/api/v1/reports", data=data, content_type="multipart/form-data")
        assert resp.status_code == 201, resp.json
        seeded.append(
            {"public_id": resp.json["report"]["public_id"], "token": resp.json["tracking_token"]}
        )
    return seeded


class Target:
    """What the run aims at besides generated values: real ids, a place in the city."""

    def __init__(self, app, seeded: list[dict], admin: dict[str, str]) -> None:
        self.app, self.admin = app, admin
        self.ids = {s["public_id"] for s in seeded}
        self.fixed = [{"public_id": s["public_id"]} for s in seeded]
        self.fixed += [{"token": s["token"]} for s in seeded]
        self.fixed.append({"public_id": seeded[0]["public_id"], "photo_id": 1})

    def make_real(self, case) -> None:
        """A known category and a place in the city; the ticket's current version."""
        if isinstance(case.body, dict) and "category" in case.body:
            case.body.update(IN_CITY)
        public_id = (case.path_parameters or {}).get("public_id")
        if public_id in self.ids and any(h.name == "If-Match" for h in case.operation.headers):
            resp = self.app.test_client().get(f"/api/v1/tickets/{public_id}", headers=self.admin)
            case.headers = {**(case.headers or {}), "If-Match": resp.headers["ETag"]}


def _run(
    operation,
    headers: dict[str, str],
    target: Target,
    failures: list[str],
    mode=GenerationMode.POSITIVE,
) -> None:
    strategies = [operation.as_strategy(mode)]
    params = {p.name for p in operation.path_parameters}
    for values in target.fixed:
        if set(values) <= params:
            strategies.append(operation.as_strategy(mode, path_parameters=values))
    strategy = st.one_of(strategies)

    @given(case=strategy, real=st.booleans())
    @settings(
        max_examples=MAX_EXAMPLES if mode == GenerationMode.POSITIVE else MAX_EXAMPLES // 2,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(case, real):
        if real:
            target.make_real(case)
        case.call_and_validate(headers=headers, checks=CHECKS)

    try:
        check()
    except Unsatisfiable:
        # nothing to negate: an operation without parameters or body
        assert mode == GenerationMode.NEGATIVE, operation.path
    except Exception as exc:  # every operation runs; all failures are reported together
        who = headers.get("Authorization", "public")[:20]
        failures.append(f"{operation.method.upper()} {operation.path} as {who}:\n{exc}")


def test_api_conforms_to_its_openapi_document(app, client, staff):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    crew = {"Authorization": "Bearer " + staff.token("crew", "tiefbau")}
    admin = {"Authorization": "Bearer " + staff.token("admin")}
    target = Target(app, _seed_reports(client), admin)
    failures: list[str] = []
    ran = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        key = (operation.method.upper(), operation.path)
        if key in SKIP:
            continue
        staff_only = bool(operation.definition.raw.get("security"))
        for headers in [crew, admin] if staff_only else [PUBLIC]:
            _run(operation, headers, target, failures)
            _run(operation, headers, target, failures, GenerationMode.NEGATIVE)
            ran += 1
    assert ran > 50
    assert not failures, "\n\n".join(failures)


# Edge values the generated runs rarely reach; each was a 500 before.
BIG = 10**20
OLD_AT_PLUS_5 = "0001-01-01T00:00:00%2B05:00"  # before year 1 in UTC


def _cursor(at: str, ident: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([at, ident]).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/reports?since={OLD_AT_PLUS_5}",
        "/api/v1/reports?since=9999-12-31T23:59:59-05:00",
        f"/api/v1/reports?cursor={_cursor('2026-03-10T00:00:00+00:00', BIG)}",
        f"/api/v1/reports?cursor={_cursor('0001-01-01T00:00:00+05:00', 1)}",
        f"/api/v1/sla/summary?from={OLD_AT_PLUS_5}",
        f"/api/v1/sla/summary?to={OLD_AT_PLUS_5}",
        f"/api/v1/export/reports.csv?from={OLD_AT_PLUS_5}",
        f"/api/v1/export/reports.geojson?to={OLD_AT_PLUS_5}",
    ],
)
def test_times_and_cursors_out_of_range_are_400(client, admin_headers, url):
    resp = client.get(url, headers=admin_headers)
    assert resp.status_code == 400, resp.json
    assert resp.json["error"]["code"] in {"validation_failed", "invalid_cursor"}


@pytest.mark.parametrize("days", ["\u00b2", "9" * 5000, "0", "367", "-1", "x"])
def test_trend_days_that_are_no_small_number_are_400(client, admin_headers, days):
    resp = client.get("/api/v1/sla/trend", query_string={"days": days}, headers=admin_headers)
    assert resp.status_code == 400, resp.json
    assert resp.json["error"]["code"] == "invalid_filter"


def test_ids_beyond_the_integer_columns_are_4xx(client, admin_headers):
    public_id = _seed_reports(client)[0]["public_id"]
    assert client.delete(f"/api/v1/admin/tokens/{BIG}", headers=admin_headers).status_code == 404
    redact = f"/api/v1/tickets/{public_id}/photos/{BIG}/redact"
    resp = client.post(redact, json={"rects": [[0, 0, 1, 1]]}, headers=admin_headers)
    assert resp.status_code == 404
    etag = client.get(f"/api/v1/tickets/{public_id}", headers=admin_headers).headers["ETag"]
    resp = client.post(
        f"/api/v1/tickets/{public_id}/assign",
        json={"assignee_id": BIG},
        headers={**admin_headers, "If-Match": etag},
    )
    assert resp.status_code == 422
    assert "assignee_id" in resp.json["error"]["fields"]


@pytest.mark.parametrize("rule", [{"priority": BIG}, {"sla_hours": 1e308}])
def test_rules_that_would_break_intake_are_refused(client, admin_headers, rule):
    rules = {"fallback_department": "tiefbau", "rules": [{"id": "a", "department": "tiefbau"}]}
    rules["rules"][0].update(rule)
    resp = client.post("/api/v1/admin/rules", json=rules, headers=admin_headers)
    assert resp.status_code == 422
    assert resp.json["error"]["code"] in {"invalid_priority", "invalid_sla"}
    resp = client.post("/api/v1/reports", data=IN_CITY)
    assert resp.status_code == 201


def test_a_nul_character_is_bad_input_on_both_databases(client, admin_headers):
    user = {"email": "a@b.de", "name": "A", "role": "crew", "password": "x" * 20}
    resp = client.post(
        "/api/v1/admin/users", json={**user, "departments": ["tief\x00bau"]}, headers=admin_headers
    )
    assert resp.status_code in {400, 422}, resp.json
    assert client.get("/api/v1/reports/2026-%00", headers=admin_headers).status_code in {400, 404}
