"""CSRF on every state-changing staff route, found in the app's url_map, and cross-origin reads.

A logged-in session cookie without the ``X-CSRF-Token`` header, with a wrong one, or with the
token of another session gets ``403 csrf_failed`` (German and English) and changes nothing;
the right token works; bearer-token clients need none. The routes and their request bodies
come from the role matrix of tests/tickets/test_authorization.py (which fails when a staff
route is missing there), so a new staff route is checked here without a change; a
state-changing route that is neither a staff route of the matrix nor a known citizen route
fails this module.
"""

from __future__ import annotations

import itertools
import re
import string
from collections import defaultdict

import pytest

from maengelmelder.abuse.service import add_blocked
from maengelmelder.extensions import db
from tests.conftest import PASSWORD
from tests.hostile.helpers import assert_bilingual_error, changed_tables, media_files, snapshot
from tests.tickets.helpers import file_ticket
from tests.tickets.test_authorization import (
    ENDPOINTS,
    ROLES,
    _destination_id,
    _failed_delivery_id,
    _throttle_id,
)

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Writes meant for citizens, Open311 clients and logging in: no staff principal involved.
PUBLIC_WRITES = {
    "accounts.login",
    "reports.create_report",
    "reports.support_report",
    "abuse.report_abuse",
    "abuse.confirm_email",
    "abuse.confirm_page_submit",
    "zoning.explain",
    "tickets.citizen_reopen",
    "tickets.citizen_confirm",
    "open311.create_request",
    "open311.fallback",
    # An external body's answers: signed with the webhook secret, or bound to the secret link's
    # token in the path (neither a cookie nor a session a foreign page could ride on).
    "forwarding.receive_update",
    "forwarding_page.extern_action",
    # The identity provider's back-channel logout: a logout token signed by the provider.
    "oidc.oidc_backchannel_logout",
}
# Staff writes the role matrix leaves to the account tests: (method, path, body, bearer too).
ACCOUNT_WRITES = {
    "logout": ("POST", "/api/v1/auth/logout", None, True),
    "password": (
        "POST",
        "/api/v1/auth/password",
        {"current_password": PASSWORD, "new_password": "ein ganz anderes Passwort"},
        False,  # API tokens have no password
    ),
    "logout_everywhere": ("POST", "/api/v1/auth/logout-everywhere", None, False),
    "end_session": ("DELETE", "/api/v1/auth/sessions/{session}", None, False),  # no sessions
    "oidc_logout": ("POST", "/api/v1/auth/oidc/logout", None, False),  # no sessions
}


def _placeholders(path: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(path) if name}


def _endpoint_of(app, method: str, path: str) -> str:
    """The url_map endpoint a matrix row calls (placeholders filled with any value)."""
    url = path.split("?")[0].format_map(defaultdict(lambda: "1", id="2026-000001"))
    endpoint, _ = app.url_map.bind("localhost").match(url, method=method)
    return endpoint


def _writes() -> dict[str, tuple]:
    """Every staff write as (method, path, body, versioned, session role, bearer too)."""
    cases = {}
    for name, (method, path, body, versioned, allowed) in ENDPOINTS.items():
        if method in WRITE_METHODS:
            role = "admin" if "admin" in allowed else sorted(allowed)[0]
            cases[name] = (method, path, body, versioned, role, True)
    for name, (method, path, body, bearer) in ACCOUNT_WRITES.items():
        cases[name] = (method, path, body, False, "admin", bearer)
    return cases


WRITES = _writes()


def test_every_state_changing_route_is_covered(app):
    """A new write is a staff route of the matrix (checked below) or a known citizen route."""
    covered = {(method, _endpoint_of(app, method, path)) for method, path, *_ in WRITES.values()}
    missing = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        for method in sorted(rule.methods & WRITE_METHODS):
            if getattr(view, "allowed_roles", None):
                if (method, rule.endpoint) not in covered:
                    missing.append(f"{method} {rule.rule}: staff write without a CSRF case")
            elif rule.endpoint not in PUBLIC_WRITES:
                missing.append(f"{method} {rule.rule}: a write with neither roles nor a reason")
    assert missing == []
    assert len(covered) >= 20


# Distinct values per setup: id(self) could repeat once an earlier setup was collected, and
# then the block-list pattern did too.
_SERIAL = itertools.count(1)


class Setup:
    """A fresh ticket with a photo, a token and a block-list entry to aim a write at."""

    def __init__(self, app, client, staff) -> None:
        created = file_ticket(client, photo=True)
        self.values = {"id": created["report"]["public_id"], "n": str(next(_SERIAL))}
        headers = {"Authorization": "Bearer " + staff.token("admin")}
        ticket = client.get(f"/api/v1/tickets/{self.values['id']}", headers=headers).json
        self.values["photo"] = str(ticket["photos"][0]["id"])
        staff.token("crew", "tiefbau")
        tokens = client.get("/api/v1/admin/tokens", headers=headers).json
        self.values["token"] = str(tokens[-1]["id"])
        with app.app_context():
            entry = add_blocked(
                db.session,
                f"@csrf-{self.values['n']}.example",
                reason=None,
                actor="t",
                now=app.config["CLOCK"](),
            )
            db.session.commit()
            self.values["blocked"] = str(entry.id)
            self.values["throttle"] = str(_throttle_id(app, int(self.values["n"])))
        self.values["user"] = str(staff.user("crew", "tiefbau")[0])
        self.values["destination"] = str(_destination_id(app, int(self.values["n"])))
        self.app, self.staff = app, staff
        self.known = True

    def url(self, path: str) -> str:
        if "{delivery}" in path and "delivery" not in self.values:
            # Handing the ticket over changes its version: only for the writes that need it.
            delivery = _failed_delivery_id(
                self.app, self.staff, self.values["id"], int(self.values["destination"])
            )
            self.values["delivery"] = str(delivery)
        self.known = _placeholders(path) <= set(self.values)
        return path.format_map(defaultdict(lambda: "999999", self.values))

    def kwargs(self, body, versioned: bool) -> dict:
        from tests.tickets.test_authorization import _fill

        out: dict = {"headers": {"If-Match": '"1"'} if versioned else {}}
        if callable(body):
            out.update(data=body(), content_type="multipart/form-data")
        elif body is not None:
            out["json"] = _fill(body, int(self.values["n"]), int(self.values["destination"]))
        return out


def _session(app, staff, role: str):
    """A logged-in browser session for the role; returns the client and its CSRF token."""
    spec = ROLES.get(role) or (role, (), False, False)
    name, departments, citywide, _ = spec
    client = staff.client(name, *departments, citywide=citywide)
    return client, client.environ_base.pop("HTTP_X_CSRF_TOKEN")


def _bearer(staff, role: str) -> dict[str, str]:
    name, departments, citywide, _ = ROLES.get(role) or (role, (), False, False)
    return {"Authorization": "Bearer " + staff.token(name, *departments, citywide=citywide)}


@pytest.mark.parametrize("name", sorted(WRITES))
def test_a_staff_write_needs_the_csrf_token_of_its_session(app, client, staff, media_dir, name):
    method, path, body, versioned, role, bearer = WRITES[name]
    setup = Setup(app, client, staff)
    session, token = _session(app, staff, role)
    _, other_token = _session(app, staff, role)  # a second, valid session of its own
    url = setup.url(path)
    before, files = snapshot(app), media_files(media_dir)
    for header in (None, "", "wrong-" + token, token.upper(), token[:-1], other_token):
        kwargs = setup.kwargs(body, versioned)
        if header is not None:
            kwargs["headers"]["X-CSRF-Token"] = header
        resp = session.open(url, method=method, **kwargs)
        error = assert_bilingual_error(resp, {403})
        assert error["code"] == "csrf_failed", (name, header)
    assert changed_tables(before, snapshot(app)) == [], name
    assert media_files(media_dir) == files
    assert session.get("/api/v1/auth/me").status_code == 200  # still logged in

    kwargs = setup.kwargs(body, versioned)
    kwargs["headers"]["X-CSRF-Token"] = token
    resp = session.open(url, method=method, **kwargs)
    if setup.known:
        assert resp.status_code < 300, (name, resp.status_code, resp.get_json())
    else:  # a placeholder this module does not know: the route ran past the CSRF check
        assert resp.get_json(silent=True) is None or "csrf" not in str(resp.get_json())

    if bearer:
        fresh = Setup(app, client, staff)
        kwargs = fresh.kwargs(body, versioned)
        kwargs["headers"].update(_bearer(staff, role))
        resp = app.test_client().open(fresh.url(path), method=method, **kwargs)
        if fresh.known:
            assert resp.status_code < 300, (name, resp.status_code, resp.get_json())


def test_a_csrf_token_in_the_form_body_counts_like_the_header(app, staff):
    """The one alternative the server accepts: csrf_token as a form field (same secret)."""
    session, token = _session(app, staff, "admin")
    public_id = file_ticket(app.test_client(), photo=True)["report"]["public_id"]
    url = f"/api/v1/tickets/{public_id}/photos"
    from tests.tickets.test_authorization import _photo_file

    wrong = session.post(url, data={**_photo_file(), "csrf_token": "x"})
    assert wrong.status_code == 403 and wrong.json["error"]["code"] == "csrf_failed"
    right = session.post(url, data={**_photo_file(), "csrf_token": token})
    assert right.status_code == 201, right.json


# --------------------------------------------------------------------------- cross-origin

EVIL = "https://evil.example"


def test_the_session_cookie_stays_on_this_site(app, staff):
    """HttpOnly (no script reads it), Secure, SameSite=Lax: a cross-site POST carries none."""
    _, email = staff.user("crew", "tiefbau")
    resp = app.test_client().post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert resp.status_code == 200
    [cookie] = resp.headers.getlist("Set-Cookie")
    attributes = {part.strip().split("=")[0].lower(): part for part in cookie.split(";")}
    assert {"httponly", "secure", "samesite"} <= set(attributes), cookie
    assert re.fullmatch(r"\s*SameSite=(Lax|Strict)", attributes["samesite"]), cookie


def test_no_cross_origin_access_is_granted(app, client, staff):
    """No Access-Control-Allow-Origin anywhere: another site's script can't read an answer,
    and a preflight for a write with the CSRF header is not granted either."""
    session, token = _session(app, staff, "admin")
    session.environ_base["HTTP_X_CSRF_TOKEN"] = token
    public_id = file_ticket(client)["report"]["public_id"]
    origin = {"Origin": EVIL}
    answers = [
        client.get("/api/v1/reports", headers=origin),
        client.get(f"/api/v1/reports/{public_id}", headers=origin),
        client.get("/api/v1/export/reports.csv", headers=origin),
        client.get("/open311/v2/requests.json", headers=origin),
        session.get("/api/v1/auth/me", headers=origin),
        session.get("/api/v1/tickets", headers=origin),
        session.get(f"/api/v1/tickets/{public_id}", headers=origin),
        client.post("/api/v1/auth/login", json={"email": "x", "password": "y"}, headers=origin),
    ]
    for rule in app.url_map.iter_rules():
        if rule.methods & WRITE_METHODS:
            url = re.sub(r"<[^>]+>", "1", rule.rule)
            preflight = {
                **origin,
                "Access-Control-Request-Method": sorted(rule.methods & WRITE_METHODS)[0],
                "Access-Control-Request-Headers": "content-type, x-csrf-token",
            }
            answers.append(session.options(url, headers=preflight))
    assert len(answers) > 30
    for resp in answers:
        granted = [k for k, _ in resp.headers.items() if k.lower().startswith("access-control-")]
        assert granted == [], (resp.request.path, granted)
