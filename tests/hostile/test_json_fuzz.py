"""Hostile JSON bodies on every JSON endpoint, beyond what the OpenAPI-driven run generates.

Schemathesis (tests/test_openapi_fuzz.py) sends what the schemas describe and their
negations; it never sends JSON nested thousands of levels deep, numbers with thousands of
digits, NaN literals, duplicate keys, lone surrogates, other encodings or cursors that hide such
JSON. Every endpoint is walked from the app's url_map, so a new one is fuzzed without a change
here. Expected: never a 5xx; a refusal is a 4xx in the one error shape and changes nothing.
"""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.hostile.helpers import assert_bilingual_error, changed_tables, snapshot
from tests.tickets.helpers import file_ticket

DEEP = 100_000
HOSTILE_BODIES: dict[str, tuple[bytes, str]] = {
    "arrays nested 100000 deep": (b"[" * DEEP + b"]" * DEEP, "application/json"),
    "objects nested 50000 deep": (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "application/json"),
    "object holding deep nesting": (
        b'{"category":' + b"[" * 5000 + b"]" * 5000 + b"}",
        "application/json",
    ),
    "a number of 5000 digits": (b'{"lat": ' + b"9" * 5000 + b"}", "application/json"),
    "infinity by overflow": (b'{"lat": 1e999, "lon": -1e999}', "application/json"),
    "NaN literals": (
        b'{"lat": NaN, "lon": Infinity, "assignee_id": -Infinity}',
        "application/json",
    ),
    "duplicate keys": (b'{"category": "schlagloch", "category": {"a": 1}}', "application/json"),
    "byte order mark": (b'\xef\xbb\xbf{"category": "schlagloch"}', "application/json"),
    "utf-16": ('{"category": "schlagloch"}'.encode("utf-16"), "application/json"),
    "invalid utf-8": (b'{"category": "\xff\xfe\xc3"}', "application/json"),
    "lone surrogate": (b'{"category": "\\ud800", "email": "\\udfff@x.de"}', "application/json"),
    "NUL in a key": (b'{"cate\\u0000gory": "schlagloch"}', "application/json"),
    "a 2 MB string": (b'{"description": "' + b"x" * 2_000_000 + b'"}', "application/json"),
    "top-level string": (b'"just a string"', "application/json"),
    "top-level null": (b"null", "application/json"),
    "empty body": (b"", "application/json"),
    "json sent as text/plain": (b'{"category": "schlagloch"}', "text/plain"),
    "json with a charset lie": (b'{"category": "schlagloch"}', "application/json; charset=ebcdic"),
}
# JSON endpoints that must be reached with a session/role to parse the body at all.
SKIP_ENDPOINTS = {"static", "reports.media"}


def _json_routes(app) -> list[tuple[str, str]]:
    """Every state-changing route outside Open311 (which speaks forms), with its method."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP_ENDPOINTS or rule.rule.startswith("/open311"):
            continue
        for method in sorted(rule.methods & {"POST", "PUT", "PATCH", "DELETE"}):
            found.append((method, rule.rule))
    return sorted(found)


class Targets:
    """Real ids for the placeholders of the routes, and the admin's bearer token."""

    def __init__(self, app, client, staff) -> None:
        self.client = client
        self.auth = {"Authorization": "Bearer " + staff.token("admin")}
        created = file_ticket(client, photo=True)
        self.public_id = created["report"]["public_id"]
        self.token = created["tracking_token"]
        ticket = client.get(f"/api/v1/tickets/{self.public_id}", headers=self.auth).json
        self.photo_id = ticket["photos"][0]["id"]

    def url(self, rule: str) -> str:
        values = {
            "public_id": self.public_id,
            "token": self.token,
            "photo_id": str(self.photo_id),
            "code": "graffiti",
        }
        out = rule
        for name, value in values.items():
            out = out.replace(f"<{name}>", value).replace(f"<int:{name}>", value)
        # Any other placeholder (ids of tokens, block list entries, ...): an id that exists
        # nowhere (never the admin's own token), enough to reach the body parsing of most routes.
        while "<" in out:
            start, end = out.index("<"), out.index(">")
            out = out[:start] + "999999" + out[end + 1 :]
        return out

    def headers(self) -> dict[str, str]:
        etag = self.client.get(f"/api/v1/tickets/{self.public_id}", headers=self.auth)
        return {**self.auth, "If-Match": etag.headers["ETag"]}


@pytest.fixture
def targets(app, client, staff) -> Targets:
    return Targets(app, client, staff)


@pytest.mark.parametrize("name", HOSTILE_BODIES)
def test_hostile_json_on_every_endpoint(app, client, targets, name):
    raw, content_type = HOSTILE_BODIES[name]
    routes = _json_routes(app)
    assert len(routes) >= 25, routes
    failures = []
    before = snapshot(app)
    for method, rule in routes:
        resp = client.open(
            targets.url(rule),
            method=method,
            data=raw,
            content_type=content_type,
            headers=targets.headers(),
        )
        if resp.status_code >= 500:
            failures.append(f"{method} {rule}: {resp.status_code}")
            continue
        after = snapshot(app)
        if resp.status_code >= 400:
            if rule.startswith("/api/"):  # pages (a form's HTML answer) have no JSON errors
                assert_bilingual_error(resp)
            changed = changed_tables(before, after)
            if changed:
                failures.append(f"{method} {rule}: refused with {resp.status_code}, {changed}")
        before = after
    assert failures == []


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor("[" * 1000 + "]" * 1000),  # 2.7 KB: fits in any server's request line
        _cursor("[" * 3000 + "]" * 3000),
        _cursor('["2026-03-10T00:00:00+00:00", ' + "9" * 5000 + "]"),
        _cursor('["2026-03-10T00:00:00+00:00", 1e999]'),
        _cursor('[NaN, "x"]'),
        _cursor('{"a": 1}'),
        "!!!!",
        "%00",
    ],
)
def test_hostile_cursors_are_400(client, cursor):
    resp = client.get("/api/v1/reports", query_string={"cursor": cursor})
    error = assert_bilingual_error(resp, {400})
    assert error["code"] == "invalid_cursor"


# --------------------------------------------------------------------------- hypothesis

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(["schlagloch", "50.1005", "8.7655", "a@b.de", "\x00", "x" * 5000]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)
FIELDS = {
    "/api/v1/reports": ("category", "description", "lat", "lon", "email", "address", "notify"),
    "/api/v1/routing/explain": ("category", "lat", "lon"),
    "/api/v1/auth/login": ("email", "password"),
    "/api/v1/reports/{public_id}/support": ("email", "lang"),
    "/api/v1/track/{token}/reopen": ("note",),
}


@st.composite
def bodies(draw):
    path = draw(st.sampled_from(sorted(FIELDS)))
    known = st.sampled_from(FIELDS[path] + ("website", "fill_ms", "lang"))
    body = draw(st.dictionaries(st.one_of(known, st.text(max_size=8)), json_values, max_size=6))
    return path, body


def test_generated_json_bodies_on_public_endpoints(app, client, targets):
    """Arbitrary JSON values under the fields' names: 4xx or a real success, never a 5xx."""
    seen: dict[str, set[int]] = {}

    @given(call=bodies())
    @settings(
        max_examples=200,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def check(call):
        path, body = call
        url = path.format(public_id=targets.public_id, token=targets.token)
        before = snapshot(app)
        resp = client.post(url, data=json.dumps(body), content_type="application/json")
        assert resp.status_code < 500, (path, body, resp.get_data(as_text=True))
        seen.setdefault(path, set()).add(resp.status_code)
        if resp.status_code >= 400:
            assert_bilingual_error(resp)
            # A failed login counts the failure (throttling): that is the one allowed change.
            allowed = ["users"] if path == "/api/v1/auth/login" else []
            assert set(changed_tables(before, snapshot(app))) <= set(allowed), (path, body)

    check()
    assert set(seen) == set(FIELDS), seen
