"""Invalid and awkward Unicode in every JSON field of every endpoint, and in every query.

A lone UTF-16 surrogate (`"\\ud800"`) is valid JSON syntax, and Python's parser hands it on;
no UTF-8 text can hold it, so it used to end as a 500 wherever it was encoded: the intake's
fingerprint, or an error message echoing an unknown key's name (login, support, abuse,
routing, confirmation, notes, admin users). Bytes that are not UTF-8 at all (overlong forms,
encoded surrogates, bytes past U+10FFFF) must fare the same. Valid but hostile text (NUL,
right-to-left overrides, isolates, byte order marks, noncharacters, combining floods) must be
taken or refused, never a 5xx.

The fields come from the OpenAPI document the app builds from its own schemas, so an endpoint
or field added later is covered without a change here. Expected: a body with invalid Unicode
anywhere (a value, a key, nested) is a 400 in the one error shape and changes nothing; any
other body gets a 2xx or a 4xx in the one error shape.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from maengelmelder.accounts.models import ApiToken
from maengelmelder.extensions import db
from maengelmelder.openapi import build_spec, openapi_path
from tests.hostile.helpers import assert_bilingual_error, changed_tables, snapshot
from tests.hostile.test_json_fuzz import Targets

# Lone surrogates, sent as JSON escapes (how a client can send them at all).
SURROGATES = ("\ud800", "\udfff", "a\udc80b", "\udbff\ud7ff", "\udc00\ud800")
# Byte sequences that are not UTF-8, written raw into a JSON string.
NOT_UTF8 = (
    b"\xed\xa0\x80",  # a surrogate encoded as UTF-8 (CESU-8)
    b"\xed\xb2\xa9\xed\xa0\xbd",  # a reversed surrogate pair, CESU-8
    b"\xc0\xaf",  # overlong "/"
    b"\xe0\x80\xaf",  # overlong "/", three bytes
    b"\xf0\x80\x80\xaf",  # overlong "/", four bytes
    b"\xc0\x80",  # overlong NUL (Java's modified UTF-8)
    b"\xf4\x90\x80\x80",  # past U+10FFFF
    b"\xff\xfe",
    b"\xe2\x82",  # cut short
)
# Valid Unicode that has broken systems before: to be taken or refused, never a 5xx.
AWKWARD = (
    "\x00",
    "a\x00b",
    "\u202e",  # right-to-left override
    "rechnung\u202efdp.exe",
    "\u200f\u200e",  # right-to-left and left-to-right marks
    "\u2067x\u2069",  # isolates
    "مرحبا بالعالم",
    "שלום",
    "\ufeff",  # byte order mark inside a value
    "\uffff\ufffe",  # noncharacters
    "\U0010ffff",
    "e" + "\u0301" * 200,  # a combining flood
    "\u200d\u200b\u2060",  # zero-width joiner, space, word joiner
    "\U0001f4a9",
    "\x1b[31m",
)
# Unknown keys must be refused by name without the name breaking the answer.
UNKNOWN_KEYS = ("\ud800", "x\udfffy", "\x00", "\u202eliame", "website")

# A piece of a string value: text (maybe with surrogates) or raw bytes (maybe not UTF-8).
pieces = st.one_of(
    st.sampled_from(SURROGATES),
    st.sampled_from(NOT_UTF8),
    st.sampled_from(AWKWARD),
    st.text(max_size=6),
)
values = st.lists(pieces, min_size=1, max_size=4)


def _is_invalid(piece: str | bytes) -> bool:
    if isinstance(piece, bytes):
        try:
            piece.decode("utf-8")
        except UnicodeDecodeError:
            return True
        return False
    try:
        piece.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _string(parts: list[str | bytes]) -> bytes:
    """A JSON string literal from pieces: text escaped as JSON does, bytes as they are."""
    out = b'"'
    for part in parts:
        if isinstance(part, bytes):
            out += part
        else:
            # Surrogates can only travel escaped; other text goes as UTF-8 half of the time.
            ascii_only = _is_invalid(part) or len(part) % 2 == 0
            out += json.dumps(part, ensure_ascii=ascii_only)[1:-1].encode("utf-8")
    return out + b'"'


def _body(fields: dict[str, list[str | bytes]], extra: dict[str, object]) -> bytes:
    """A JSON object: the hostile fields, then plain ones (kept valid so the body is reached)."""
    members = [_string([name]) + b": " + _string(parts) for name, parts in fields.items()]
    members += [
        json.dumps(name).encode() + b": " + json.dumps(value).encode()
        for name, value in extra.items()
        if name not in fields
    ]
    return b"{" + b", ".join(members) + b"}"


# --------------------------------------------------------------------------- the endpoints


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _fields(spec: dict, schema: dict) -> list[str]:
    """Every property name of a body schema (and of its parts: allOf, oneOf, anyOf)."""
    schema = _resolve(spec, schema)
    names = list(schema.get("properties", {}))
    for key in ("allOf", "oneOf", "anyOf"):
        for part in schema.get(key, []):
            names += [n for n in _fields(spec, part) if n not in names]
    return names


# A write route the document does not describe yet is sent bodies under this field name.
UNDOCUMENTED = "value"


def json_endpoints(app) -> dict[tuple[str, str], list[str]]:
    """(method, Flask rule) -> its JSON body's fields, for every API route that may take JSON:
    those the OpenAPI document gives a JSON body, and write routes it does not describe."""
    spec = build_spec(app)
    found = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        for method in sorted(rule.methods & {"POST", "PUT", "PATCH", "DELETE"}):
            operation = spec["paths"].get(openapi_path(rule.rule), {}).get(method.lower())
            if operation is None:
                found[(method, rule.rule)] = [UNDOCUMENTED]
                continue
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                schema = content["application/json"]["schema"]
                found[(method, rule.rule)] = _fields(spec, schema) or [UNDOCUMENTED]
    return found


# Plain values that get a body past its first checks, so the hostile field is the one judged.
PLAIN = {
    "category": "schlagloch",
    "lat": 50.1005,
    "lon": 8.7655,
    "reason": "spam",
    "email": "anna@example.org",
    "password": "correct horse battery staple",
    "to": "acknowledged",
    "action": "publish",
    "lang": "de",
}

# Query parameters a route checks before its body.
QUERIES = {"/api/v1/admin/zones/import": "?kind=district"}

FAMILIES = {
    "citizen": ("/api/v1/reports", "/api/v1/track", "/api/v1/routing"),
    "auth": ("/api/v1/auth",),
    "tickets": ("/api/v1/tickets",),
    "admin": ("/api/v1/admin",),
    "forwarding": ("/api/v1/forwarding",),
}
# Examples per endpoint: about a second per endpoint on both databases.
EXAMPLES = 12
# Routes that end the caller's session would leave the rest of the run without one.
SESSION_ENDERS = {"/api/v1/auth/logout", "/api/v1/auth/logout-everywhere"}


class RealTargets(Targets):
    """Targets whose ids exist: a crew account, its token, a block-list entry."""

    def __init__(self, app, client, staff) -> None:
        super().__init__(app, client, staff)
        self.user_id, _ = staff.user("crew", "tiefbau")
        staff.token("crew", "tiefbau")  # the newest token: never the admin's own
        with app.app_context():
            self.token_id = db.session.scalar(select(func.max(ApiToken.id)))
        entry = client.post(
            "/api/v1/admin/blocklist", json={"pattern": "@spam.example"}, headers=self.auth
        )
        self.entry_id = entry.json["id"]

    def url(self, rule: str) -> str:
        for name, value in (
            ("user_id", self.user_id),
            ("token_id", self.token_id),
            ("entry_id", self.entry_id),
        ):
            rule = rule.replace(f"<int:{name}>", str(value))
        return super().url(rule)


@pytest.fixture
def real_targets(app, client, staff) -> RealTargets:
    return RealTargets(app, client, staff)


def test_every_json_endpoint_is_covered(app):
    endpoints = json_endpoints(app)
    assert len(endpoints) >= 20, endpoints
    families = [p for prefixes in FAMILIES.values() for p in prefixes]
    uncovered = [e for e in endpoints if not e[1].startswith(tuple(families))]
    assert uncovered == []


def _family(app, family: str) -> dict[tuple[str, str], list[str]]:
    prefixes = FAMILIES[family]
    return {
        key: names
        for key, names in sorted(json_endpoints(app).items())
        if key[1].startswith(prefixes) and key[1] not in SESSION_ENDERS
    }


@pytest.mark.parametrize("family", FAMILIES)
def test_invalid_unicode_in_every_json_field(app, client, staff, real_targets, family):
    """Generated bodies on each endpoint of a family: invalid Unicode is a 400 that changes
    nothing; anything else is taken or refused in the one error shape."""
    endpoints = _family(app, family)
    assert endpoints, family
    if family == "auth":
        # Sessions only (a password change is not for API tokens): a logged-in admin.
        caller, headers = staff.client("admin"), {}
    else:
        caller, headers = client, None
    seen: dict[str, set[int]] = {}

    def run(method: str, rule: str) -> None:
        names = endpoints[(method, rule)]
        plain = {k: v for k, v in PLAIN.items() if k in names}

        @st.composite
        def bodies(draw):
            chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True))
            fields = {name: draw(values) for name in chosen}
            if draw(st.integers(0, 3)) == 0:
                fields[draw(st.sampled_from(UNKNOWN_KEYS))] = draw(values)
            return fields

        @given(fields=bodies())
        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            # The app, client and targets are made once per family on purpose: the calls act
            # on the same reports, as callers do, and each call checks its own answer.
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )
        def check(fields):
            raw = _body(fields, plain)
            invalid = any(_is_invalid(p) for k, parts in fields.items() for p in [k, *parts])
            before = snapshot(app) if invalid else None
            resp = caller.open(
                real_targets.url(rule) + QUERIES.get(rule, ""),
                method=method,
                data=raw,
                content_type="application/json",
                headers=real_targets.headers() if headers is None else headers,
            )
            seen.setdefault(f"{method} {rule}", set()).add(resp.status_code)
            answer = resp.get_data(as_text=True)[:300]
            assert resp.status_code < 500, (method, rule, raw[:300], answer)
            if invalid and names == [UNDOCUMENTED]:
                # Whether it reads a body at all is not known: never a 5xx, refusals in shape.
                if resp.status_code >= 400:
                    assert_bilingual_error(resp)
            elif invalid:
                error = assert_bilingual_error(resp, {400})
                assert error["code"] == "invalid_json", (method, rule, raw[:300], answer)
                assert changed_tables(before, snapshot(app)) == [], (method, rule, raw[:300])
            elif resp.status_code >= 400:
                assert_bilingual_error(resp)

        check()

    for method, rule in endpoints:
        run(method, rule)
    print(family, {call: sorted(codes) for call, codes in seen.items()})
    assert len(seen) == len(endpoints)


# The literal attacks of the finding, each on its own (a regression names the endpoint).
ATTACKS = [
    (
        "POST",
        "/api/v1/reports",
        b'{"category": "schlagloch", "lat": 50.1005, "lon": 8.7655, "description": "\\ud800"}',
    ),
    ("POST", "/api/v1/auth/login", b'{"email": "a@b.de", "password": "x", "\\ud800": 1}'),
    ("POST", "/api/v1/auth/login", b'{"email": "\\udfff@b.de", "password": "x"}'),
    ("POST", "/api/v1/reports/<public_id>/support", b'{"\\ud800": "x"}'),
    ("POST", "/api/v1/reports/<public_id>/support", b'{"email": "a\\ud800@b.de"}'),
    ("POST", "/api/v1/reports/<public_id>/abuse", b'{"reason": "spam", "\\ud800": 1}'),
    ("POST", "/api/v1/reports/<public_id>/abuse", b'{"reason": "spam", "comment": "\\ud800"}'),
    ("POST", "/api/v1/routing/explain", b'{"category": "\\ud800", "lat": 50.1, "lon": 8.7}'),
    ("POST", "/api/v1/routing/explain", b'{"\\ud800": 1}'),
    ("POST", "/api/v1/reports/confirm", b'{"token": "\\ud800"}'),
    ("POST", "/api/v1/reports/confirm", b'{"\\ud800": "x"}'),
    ("POST", "/api/v1/tickets/<public_id>/notes", b'{"internal_note": "\\ud800"}'),
    ("POST", "/api/v1/tickets/<public_id>/notes", b'{"\\ud800": "x"}'),
    ("POST", "/api/v1/admin/users", b'{"email": "a@b.de", "name": "\\ud800", "role": "crew"}'),
    ("POST", "/api/v1/admin/users", b'{"\\ud800": 1}'),
    ("POST", "/api/v1/reports", b'{"category": "schlagloch", "description": "\xed\xa0\x80"}'),
    ("POST", "/api/v1/reports", b'{"category": "schlagloch", "description": "\xc0\xaf"}'),
]


@pytest.mark.parametrize(("method", "rule", "raw"), ATTACKS)
def test_the_reported_attacks_are_400(app, client, real_targets, method, rule, raw):
    before = snapshot(app)
    resp = client.open(
        real_targets.url(rule),
        method=method,
        data=raw,
        content_type="application/json",
        headers=real_targets.headers(),
    )
    error = assert_bilingual_error(resp, {400})
    assert error["code"] == "invalid_json"
    assert changed_tables(before, snapshot(app)) == []


# --------------------------------------------------------------------------- queries and paths

# Percent-encoded bytes that are not UTF-8, and awkward valid text, for query strings and paths.
QUERY_VALUES = [
    "%ED%A0%80",
    "%C0%AF",
    "%E0%80%AF",
    "%F4%90%80%80",
    "%FF",
    "%00",
    quote("\u202e"),
    quote("مرحبا"),
    quote("\ufeff\uffff"),
]


def _get_routes(app) -> list[tuple[str, list[str]]]:
    """Every GET route of the native API with its documented query parameters."""
    spec = build_spec(app)
    out = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not rule.rule.startswith("/api/"):
            continue
        operation = spec["paths"].get(openapi_path(rule.rule), {}).get("get", {})
        names = [p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"]
        out.append((rule.rule, names or ["q"]))
    return sorted(out)


def test_invalid_unicode_in_every_query_parameter_and_path(app, client, real_targets):
    """Werkzeug reads such bytes as U+FFFD; every GET answers below 500, refusals in shape."""
    routes = _get_routes(app)
    assert len(routes) >= 15, routes
    failures = []
    for rule, names in routes:
        base = real_targets.url(rule)
        for name in names:
            for value in QUERY_VALUES:
                resp = client.get(f"{base}?{name}={value}", headers=real_targets.auth)
                resp.get_data()  # a streamed export runs to its end
                resp.close()
                if resp.status_code >= 500:
                    failures.append(f"{rule}?{name}={value}: {resp.status_code}")
                elif resp.status_code >= 400:
                    assert_bilingual_error(resp)
        if "<" in rule:
            for value in QUERY_VALUES:
                path = rule
                while "<" in path:
                    start, end = path.index("<"), path.index(">")
                    path = path[:start] + value + path[end + 1 :]
                resp = client.get(path, headers=real_targets.auth)
                resp.get_data()
                resp.close()
                if resp.status_code >= 500:
                    failures.append(f"{path}: {resp.status_code}")
    assert failures == []
