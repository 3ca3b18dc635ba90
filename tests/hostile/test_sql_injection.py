"""SQL injection: classic payloads in every query parameter, path segment and text field.

A payload in a filter must match nothing (an injected ``OR 1=1`` would match everything) or
be refused with a 4xx; a payload in a text field is refused or stored literally and read back
verbatim; no table changes that the call had no business changing; never a 5xx.
"""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import quote

import pytest

from tests.hostile.helpers import assert_bilingual_error, changed_tables, snapshot
from tests.tickets.helpers import file_ticket

PAYLOADS = [
    "' OR 1=1 --",
    "' OR '1'='1",
    '"; DROP TABLE reports; --',
    "'; TRUNCATE users CASCADE; --",
    "%' UNION SELECT email, password_hash FROM users --",
    "1 UNION SELECT NULL, version() --",
    "1); DELETE FROM api_tokens; --",
    "admin'--",
    "1' AND pg_sleep(5) IS NULL --",
    "\\'; SELECT 1; --",
    "%",
    "_",
    "\x00",
    "a\x00' OR 1=1 --",
    "\u02bc OR 1=1 --",  # a modifier apostrophe some normalisations turn into '
]
# Payloads a validated e-mail field accepts (quotes, dashes and % are legal in the local part).
EMAIL_PAYLOADS = ["o'neil@example.org", "'or'1'='1'--@example.org", "x%'union--@example.org"]

# Public filters: (path, parameter, other parameters). A 200 must select nothing.
PUBLIC_FILTERS = [
    ("/api/v1/reports", "bbox", {}),
    ("/api/v1/reports", "status", {}),
    ("/api/v1/reports", "category", {}),
    ("/api/v1/reports", "since", {}),
    ("/api/v1/reports", "cursor", {}),
    ("/api/v1/reports", "category", {"format": "geojson"}),
    ("/api/v1/reports/nearby", "category", {"lat": "50.1005", "lon": "8.7655"}),
    ("/api/v1/reports/nearby", "lat", {"lon": "8.7655"}),
    ("/api/v1/export/reports.csv", "category", {}),
    ("/api/v1/export/reports.csv", "status", {}),
    ("/api/v1/export/reports.csv", "from", {}),
    ("/api/v1/export/reports.geojson", "to", {}),
    ("/api/v1/export/reports.geojson", "category", {}),
    ("/open311/v2/requests.json", "service_request_id", {}),
    ("/open311/v2/requests.json", "service_code", {}),
    ("/open311/v2/requests.json", "status", {}),
    ("/open311/v2/requests.json", "start_date", {}),
    ("/open311/v2/requests.json", "end_date", {}),
    ("/open311/v2/requests.xml", "service_code", {}),
]
# Parameters that select nothing but shape the answer: a 200 may list everything.
PUBLIC_OPTIONS = [
    ("/api/v1/reports", "limit"),
    ("/api/v1/reports", "format"),
    ("/open311/v2/requests.json", "page"),
    ("/open311/v2/requests.json", "page_size"),
    ("/open311/v2/requests.json", "extensions"),
    ("/open311/v2/requests.json", "locale"),
    ("/open311/v2/services.json", "locale"),
]
PATHS = [
    "/api/v1/reports/{}",
    "/reports/{}",
    "/api/v1/track/{}",
    "/track/{}",
    "/open311/v2/requests/{}.json",
    "/open311/v2/services/{}.xml",
    "/open311/v2/tokens/{}.json",
    "/media/{}",
]
STAFF_FILTERS = [
    ("/api/v1/tickets", "department"),
    ("/api/v1/tickets", "status"),
    ("/api/v1/tickets", "assignee"),
    ("/api/v1/tickets", "sla"),
    ("/api/v1/tickets", "zone"),
    ("/api/v1/tickets", "category"),
    ("/api/v1/tickets", "published"),
    ("/api/v1/sla/summary", "department"),
    ("/api/v1/sla/summary", "category"),
    ("/api/v1/sla/summary", "from"),
    ("/api/v1/admin/zones", "kind"),
]
STAFF_OPTIONS = [
    ("/api/v1/tickets", "format"),
    ("/api/v1/tickets", "limit"),
    ("/api/v1/sla/trend", "days"),
]


def _selected(resp) -> int | None:
    """How many reports a successful list answer selected (None: not a list answer)."""
    if resp.mimetype == "text/csv":
        return len(list(csv.DictReader(io.StringIO(resp.get_data(as_text=True)))))
    if resp.mimetype == "text/xml":
        return resp.get_data(as_text=True).count("<request>")
    data = json.loads(resp.get_data(as_text=True))
    if isinstance(data, list):
        return len(data)
    for key in ("items", "features"):
        if key in data:
            return len(data[key])
    if "total" in data and isinstance(data["total"], dict):
        return data["total"]["open"] + data["total"]["resolved"]
    return None


def _never_5xx(resp, what) -> None:
    assert resp.status_code < 500, (what, resp.status_code, resp.get_data(as_text=True)[:300])


@pytest.fixture
def seeded(client, staff):
    """Three reports (one published), so 'everything' is something; the admin's header."""
    ids = [file_ticket(client)["report"]["public_id"] for _ in range(2)]
    ids.append(file_ticket(client, "strassenlaterne")["report"]["public_id"])
    return ids, {"Authorization": "Bearer " + staff.token("admin")}


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_in_every_query_parameter_and_path(app, client, seeded, payload):
    _, admin = seeded
    before = snapshot(app)
    assert _selected(client.get("/api/v1/reports")) == 3
    for path, name, extra in PUBLIC_FILTERS:
        resp = client.get(path, query_string={**extra, name: payload})
        _never_5xx(resp, (path, name))
        if resp.status_code == 200:
            assert _selected(resp) == 0, (path, name, resp.get_data(as_text=True)[:300])
    for path, name in PUBLIC_OPTIONS:
        _never_5xx(client.get(path, query_string={name: payload}), (path, name))
    for template in PATHS:
        resp = client.get(template.format(quote(payload, safe="")))
        _never_5xx(resp, template)
        assert resp.status_code in (400, 404), (template, resp.status_code)
    for path, name in STAFF_FILTERS:
        resp = client.get(path, query_string={name: payload}, headers=admin)
        _never_5xx(resp, (path, name))
        if resp.status_code == 200:
            assert _selected(resp) == 0, (path, name, resp.get_data(as_text=True)[:300])
    for path, name in STAFF_OPTIONS:
        _never_5xx(client.get(path, query_string={name: payload}, headers=admin), (path, name))
    resp = client.get("/api/v1/tickets/" + quote(payload, safe=""), headers=admin)
    assert resp.status_code in (400, 404)
    assert changed_tables(before, snapshot(app)) == []
    assert _selected(client.get("/api/v1/reports")) == 3  # and the data is all still there


# --------------------------------------------------------------------------- text fields


class Writer:
    """Writes a payload into one text field, then reads back what was stored."""

    def __init__(self, app, client, staff) -> None:
        self.app, self.client, self.n = app, client, 0
        self.admin = {"Authorization": "Bearer " + staff.token("admin")}
        self.crew = {"Authorization": "Bearer " + staff.token("supervisor", "tiefbau")}
        self.api_key = staff.token("crew", "tiefbau")

    def ticket(self, public_id: str) -> dict:
        resp = self.client.get(f"/api/v1/tickets/{public_id}", headers=self.crew)
        assert resp.status_code == 200, resp.json
        return resp.json

    def versioned(self, public_id: str, action: str, body: dict):
        etag = self.client.get(f"/api/v1/tickets/{public_id}", headers=self.crew).headers["ETag"]
        return self.client.post(
            f"/api/v1/tickets/{public_id}/{action}",
            json=body,
            headers={**self.crew, "If-Match": etag},
        )

    def prepare(self) -> None:
        """A fresh ticket for the next write, filed before the 'nothing else changed' check."""
        self.current = file_ticket(self.client)["report"]["public_id"]

    def unique(self) -> str:
        self.n += 1
        return f"h{self.n}"


def _description(w: Writer, payload: str):
    resp = w.client.post(
        "/api/v1/reports",
        json={"category": "schlagloch", "lat": 50.1005, "lon": 8.7655, "description": payload},
    )
    return resp, lambda: w.ticket(resp.json["report"]["public_id"])["description"]


def _address(w: Writer, payload: str):
    body = {"category": "schlagloch", "lat": 50.1005, "lon": 8.7655, "address": payload}
    resp = w.client.post("/api/v1/reports", json=body)
    return resp, lambda: w.ticket(resp.json["report"]["public_id"])["address"]


def _open311_description(w: Writer, payload: str):
    resp = w.client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": w.api_key,
            "service_code": "schlagloch",
            "lat": "50.1005",
            "long": "8.7655",
            "description": payload,
            "address_string": payload,
        },
    )
    return resp, lambda: w.ticket(resp.json[0]["service_request_id"])["description"]


def _public_note(w: Writer, payload: str):
    public_id = w.current
    resp = w.client.post(
        f"/api/v1/tickets/{public_id}/notes", json={"public_note": payload}, headers=w.crew
    )
    return resp, lambda: w.ticket(public_id)["history"][-1]["public_note"]


def _internal_note(w: Writer, payload: str):
    public_id = w.current
    resp = w.client.post(
        f"/api/v1/tickets/{public_id}/notes", json={"internal_note": payload}, headers=w.crew
    )
    return resp, lambda: w.ticket(public_id)["history"][-1]["internal_note"]


def _transition_note(w: Writer, payload: str):
    public_id = w.current
    resp = w.versioned(public_id, "transition", {"to": "rejected", "public_note": payload})
    return resp, lambda: w.ticket(public_id)["history"][-1]["public_note"]


def _forward_reason(w: Writer, payload: str):
    public_id = w.current
    resp = w.versioned(public_id, "forward", {"department": "ordnung", "reason": payload})
    admin = {"headers": w.admin}
    return resp, lambda: w.client.get(f"/api/v1/tickets/{public_id}", **admin).json["history"][-1][
        "internal_note"
    ]


def _public_text(w: Writer, payload: str):
    public_id = w.current
    resp = w.versioned(
        public_id, "publication", {"action": "publish", "public_description": payload}
    )
    return resp, lambda: w.client.get(f"/api/v1/reports/{public_id}").json["description"]


def _hide_reason(w: Writer, payload: str):
    public_id = w.current
    resp = w.versioned(public_id, "publication", {"action": "hide", "reason": payload})
    return resp, lambda: w.ticket(public_id)["history"][-1]["internal_note"]


def _admin_item(list_path: str, key: str, value_of):
    def read(w: Writer) -> list:
        data = w.client.get(list_path, headers=w.admin).json
        items = data["items"] if isinstance(data, dict) and "items" in data else data
        if isinstance(data, dict) and "features" in data:
            items = [f["properties"] for f in data["features"]]
        return [value_of(i) for i in items if i.get(key) is not None]

    return read


def _department_name(w: Writer, payload: str):
    code = w.unique()
    body = {"code": code, "name_de": payload, "name_en": payload}
    resp = w.client.post("/api/v1/admin/departments", json=body, headers=w.admin)
    read = _admin_item("/api/v1/admin/departments", "code", lambda d: (d["code"], d["name"]["de"]))
    return resp, lambda: dict(read(w))[code]


def _category_name(w: Writer, payload: str):
    resp = w.client.patch(
        "/api/v1/admin/categories/graffiti", json={"name_en": payload}, headers=w.admin
    )
    return resp, lambda: next(
        c["name"]["en"] for c in w.client.get("/api/v1/categories").json if c["code"] == "graffiti"
    )


def _user_name(w: Writer, payload: str):
    email = f"{w.unique()}@stadt.example"
    body = {"email": email, "name": payload, "role": "crew", "password": "lang genug, wirklich"}
    resp = w.client.post("/api/v1/admin/users", json=body, headers=w.admin)
    read = _admin_item("/api/v1/admin/users", "email", lambda u: (u["email"], u["name"]))
    return resp, lambda: dict(read(w))[email]


def _token_name(w: Writer, payload: str):
    resp = w.client.post(
        "/api/v1/admin/tokens", json={"name": payload, "role": "crew"}, headers=w.admin
    )
    read = _admin_item("/api/v1/admin/tokens", "id", lambda t: (t["id"], t["name"]))
    return resp, lambda: dict(read(w))[resp.json["id"]]


def _zone_name(w: Writer, payload: str):
    ring = [[8.76, 50.1], [8.77, 50.1], [8.77, 50.11], [8.76, 50.1]]
    zone = {
        "type": "Feature",
        "id": w.unique(),
        "properties": {"name": payload},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    body = {"type": "FeatureCollection", "features": [zone]}
    resp = w.client.post("/api/v1/admin/zones/import?kind=extra", json=body, headers=w.admin)
    read = _admin_item("/api/v1/admin/zones?kind=extra", "name", lambda p: p["name"])
    return resp, lambda: read(w)[0]


def _blocklist_reason(w: Writer, payload: str):
    body = {"pattern": f"@{w.unique()}.example", "reason": payload}
    resp = w.client.post("/api/v1/admin/blocklist", json=body, headers=w.admin)
    read = _admin_item("/api/v1/admin/blocklist", "id", lambda b: (b["id"], b["reason"]))
    return resp, lambda: dict(read(w))[resp.json["id"]]


# A new report and every change of state or department count in the board's figures.
NEW_REPORT = {"reports", "ticket_events", "public_id_counters", "sla_figures"}
TEXT_FIELDS = {
    "description": (_description, NEW_REPORT),
    "address": (_address, NEW_REPORT),
    "open311 description": (_open311_description, NEW_REPORT),
    "public note": (_public_note, {"reports", "ticket_events"}),
    "internal note": (_internal_note, {"reports", "ticket_events"}),
    "rejection note": (_transition_note, {"reports", "ticket_events", "outbox", "sla_figures"}),
    "forward reason": (_forward_reason, {"reports", "ticket_events", "sla_figures"}),
    "published text": (_public_text, {"reports", "ticket_events", "photos"}),
    "hide reason": (_hide_reason, {"reports", "ticket_events", "photos"}),
    # A catalogue change renews the catalogue's token (see catalog/generation.py).
    "department name": (_department_name, {"departments", "catalog_state"}),
    "category name": (_category_name, {"categories", "catalog_state"}),
    "user name": (_user_name, {"users", "user_departments"}),
    "token name": (_token_name, {"api_tokens", "token_departments"}),
    "zone name": (_zone_name, {"zones", "catalog_state"}),
    "block list reason": (_blocklist_reason, {"blocked_senders"}),
}


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_in_every_text_field_are_stored_literally_or_refused(app, client, staff, payload):
    w = Writer(app, client, staff)
    outcomes = {}
    for name, (write, may_change) in TEXT_FIELDS.items():
        w.prepare()
        before = snapshot(app)
        resp, read_back = write(w, payload)
        _never_5xx(resp, name)
        changed = set(changed_tables(before, snapshot(app)))
        if resp.status_code >= 400:
            if not name.startswith("open311"):
                assert_bilingual_error(resp)
            assert changed == set(), (name, changed)
            outcomes[name] = resp.status_code
            continue
        assert read_back() == payload, name
        assert changed <= may_change, (name, changed - may_change)
        outcomes[name] = "stored"
    if "\x00" in payload:
        # NUL is no text: the schemas refuse it, or PostgreSQL does (400); SQLite stores it.
        assert outcomes["description"] == 422
    else:
        assert set(outcomes.values()) == {"stored"}, outcomes
    assert client.get("/api/v1/categories").status_code == 200  # the catalog survived


@pytest.mark.parametrize("email", EMAIL_PAYLOADS)
def test_payloads_in_e_mail_fields_are_stored_literally(app, client, staff, email):
    w = Writer(app, client, staff)
    body = {"category": "schlagloch", "lat": 50.1005, "lon": 8.7655, "email": email}
    resp = client.post("/api/v1/reports", json=body)
    assert resp.status_code == 201, resp.json
    public_id = resp.json["report"]["public_id"]
    assert w.ticket(public_id)["reporter_email"] == email
    resp = client.post(f"/api/v1/reports/{public_id}/support", json={"email": email.upper()})
    assert resp.status_code == 200
    user = {"email": email, "name": "Crew", "role": "crew", "password": "lang genug, wirklich"}
    resp = client.post("/api/v1/admin/users", json=user, headers=w.admin)
    assert resp.status_code == 201 and resp.json["email"] == email
    login = {"email": email, "password": user["password"]}
    assert client.post("/api/v1/auth/login", json=login).status_code == 200


@pytest.mark.parametrize("payload", [*PAYLOADS, *EMAIL_PAYLOADS])
def test_payloads_as_login_name_log_nobody_in(app, client, staff, payload):
    staff.user("admin", email="admin@stadt.example")
    before = snapshot(app)
    for password in ("x", "' OR 1=1 --"):
        resp = client.post("/api/v1/auth/login", json={"email": payload, "password": password})
        assert_bilingual_error(resp, {400, 401, 422})
    # A failed login counts against (address, network) for the throttle; nothing else changes.
    assert set(changed_tables(before, snapshot(app))) <= {"login_throttles"}
    assert client.get("/api/v1/auth/me").status_code == 401
