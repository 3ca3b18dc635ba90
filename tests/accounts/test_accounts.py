"""Staff log in, stay logged in safely, change passwords; machines use revocable tokens."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from maengelmelder.accounts.models import ApiToken, User
from maengelmelder.extensions import db
from maengelmelder.paging import encode_cursor
from tests.conftest import PASSWORD
from tests.paging import follow_links, next_link


def login(client, email: str, password: str = PASSWORD):
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


def test_login_sets_a_hardened_session_cookie(app, staff):
    app.config["SESSION_COOKIE_SECURE"] = True
    _, email = staff.user("crew", "tiefbau")
    client = app.test_client()
    resp = login(client, email.upper())  # e-mail addresses are case-insensitive
    assert resp.status_code == 200
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
    assert resp.json["user"]["departments"] == ["tiefbau"]
    me = client.get("/api/v1/auth/me")
    assert me.status_code == 200 and me.json["role"] == "crew"
    assert me.headers["Cache-Control"] == "no-store"


def test_passwords_are_stored_with_scrypt(app, staff):
    user_id, _ = staff.user("crew", "tiefbau")
    with app.app_context():
        stored = db.session.get(User, user_id).password_hash
    assert stored.startswith("scrypt:") and PASSWORD not in stored


def test_wrong_password_and_unknown_account_look_the_same(app, staff):
    _, email = staff.user("crew", "tiefbau")
    client = app.test_client()
    wrong = login(client, email, "falsches passwort!!")
    unknown = login(client, "niemand@stadt.example")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json == unknown.json


def test_unsafe_requests_need_the_csrf_token(app, staff, client):
    crew = staff.client("crew", "tiefbau")
    token = crew.environ_base.pop("HTTP_X_CSRF_TOKEN")
    resp = crew.post("/api/v1/tickets/2026-000001/notes", json={"internal_note": "x"})
    assert resp.status_code == 403 and resp.json["error"]["code"] == "csrf_failed"
    wrong = crew.post("/api/v1/auth/logout", headers={"X-CSRF-Token": "not-" + token})
    assert wrong.status_code == 403
    assert crew.get("/api/v1/tickets").status_code == 200  # reads need none
    assert crew.post("/api/v1/auth/logout", headers={"X-CSRF-Token": token}).status_code == 204
    assert crew.get("/api/v1/tickets").status_code == 401


def test_password_change_ends_other_sessions(app, staff):
    _, email = staff.user("supervisor", "tiefbau")
    laptop, phone = app.test_client(), app.test_client()
    csrf = login(laptop, email).json["csrf_token"]
    login(phone, email)
    short = laptop.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": "kurz"},
        headers={"X-CSRF-Token": csrf},
    )
    assert short.status_code == 422
    wrong = laptop.post(
        "/api/v1/auth/password",
        json={
            "current_password": "falsch falsch falsch",
            "new_password": "ein neues langes passwort",
        },
        headers={"X-CSRF-Token": csrf},
    )
    assert wrong.status_code == 403
    ok = laptop.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": "ein neues langes passwort"},
        headers={"X-CSRF-Token": csrf},
    )
    assert ok.status_code == 200
    assert laptop.get("/api/v1/auth/me").status_code == 200
    assert phone.get("/api/v1/auth/me").status_code == 401
    assert login(app.test_client(), email).status_code == 401
    assert login(app.test_client(), email, "ein neues langes passwort").status_code == 200


def test_tokens_are_shown_once_stored_hashed_and_revocable(app, staff, admin_headers, client):
    resp = client.post(
        "/api/v1/admin/tokens",
        json={"name": "Open311-Brücke", "role": "crew", "departments": ["tiefbau"]},
        headers=admin_headers,
    )
    assert resp.status_code == 201
    plaintext = resp.json["token"]
    listed = client.get("/api/v1/admin/tokens", headers=admin_headers).json
    assert plaintext not in str(listed)
    with app.app_context():
        stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert plaintext not in stored
    bearer = {"Authorization": "Bearer " + plaintext}
    assert client.get("/api/v1/tickets", headers=bearer).status_code == 200
    revoked = client.delete(f"/api/v1/admin/tokens/{resp.json['id']}", headers=admin_headers)
    assert revoked.status_code == 200 and revoked.json["revoked_at"] is not None
    after = client.get("/api/v1/tickets", headers=bearer)
    assert after.status_code == 401 and after.json["error"]["code"] == "invalid_token"
    assert client.delete("/api/v1/admin/tokens/999999", headers=admin_headers).status_code == 404


@pytest.mark.parametrize(
    "body, field",
    [
        ({"email": "x@stadt.example", "name": "X", "role": "chef", "password": PASSWORD}, "role"),
        ({"email": "kein-email", "name": "X", "role": "crew", "password": PASSWORD}, "email"),
        ({"email": "x@stadt.example", "name": "X", "role": "crew", "password": "kurz"}, "password"),
        (
            {
                "email": "x@stadt.example",
                "name": "X",
                "role": "crew",
                "password": PASSWORD,
                "departments": ["mars"],
            },
            "departments",
        ),
    ],
)
def test_bad_user_data_is_refused(client, admin_headers, body, field):
    resp = client.post("/api/v1/admin/users", json=body, headers=admin_headers)
    assert resp.status_code == 422, resp.json
    assert field in resp.json["error"]["fields"]


def test_duplicate_account_is_409(client, admin_headers, staff):
    _, email = staff.user("crew", "tiefbau")
    body = {"email": email, "name": "X", "role": "crew", "password": PASSWORD}
    assert client.post("/api/v1/admin/users", json=body, headers=admin_headers).status_code == 409


def test_cli_creates_users_and_tokens(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "ute@stadt.example",
            "--name",
            "Ute",
            "--role",
            "supervisor",
            "--department",
            "tiefbau",
            "--department",
            "gruen",
            "--password",
            PASSWORD,
        ]
    )
    assert result.exit_code == 0, result.output
    assert login(app.test_client(), "ute@stadt.example").json["user"]["departments"] == [
        "gruen",
        "tiefbau",
    ]
    bad = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "a@b.de",
            "--name",
            "A",
            "--role",
            "crew",
            "--department",
            "mars",
            "--password",
            PASSWORD,
        ]
    )
    assert bad.exit_code != 0 and "mars" in bad.output
    token = runner.invoke(
        args=["tokens", "create", "--name", "GIS", "--role", "crew", "--department", "tiefbau"]
    )
    assert token.exit_code == 0
    plaintext = token.output.strip().splitlines()[-1]
    assert (
        app.test_client()
        .get("/api/v1/tickets", headers={"Authorization": "Bearer " + plaintext})
        .status_code
        == 200
    )


def test_users_and_tokens_page_by_link_header(client, staff, admin_headers):
    for name in ("dora", "anna", "carl", "bert"):
        staff.user("crew", "tiefbau", email=f"{name}@stadt.example")
    for _ in range(3):
        staff.token("crew", "tiefbau")
    first = client.get("/api/v1/admin/users?limit=2", headers=admin_headers)
    assert isinstance(first.json, list) and len(first.json) == 2  # still a bare array
    staff.user("crew", "gruen", email="berta@stadt.example")  # between two pages
    pages = [first, *follow_links(client, next_link(first), admin_headers)]
    emails = [u["email"] for p in pages for u in p.json]
    assert emails == sorted(emails) and len(emails) == len(set(emails)) == 5
    assert "berta@stadt.example" in emails
    tokens = follow_links(client, "/api/v1/admin/tokens?limit=3", admin_headers)
    ids = [t["id"] for p in tokens for t in p.json]
    assert ids == sorted(ids) and len(ids) == 4 and len(tokens) == 2
    assert next_link(client.get("/api/v1/admin/users", headers=admin_headers)) is None


@pytest.mark.parametrize("path", ["/api/v1/admin/users", "/api/v1/admin/tokens"])
def test_admin_pages_past_the_maximum_or_with_bad_cursors_are_400(client, admin_headers, path):
    too_many = client.get(f"{path}?limit=1001", headers=admin_headers)
    assert too_many.status_code == 400
    assert too_many.json["error"]["fields"]["limit"][0]["de"] == "Muss zwischen 1 und 1000 liegen."
    # another list's cursor is no position in this one
    foreign = encode_cursor([1], "k") if path.endswith("users") else encode_cursor(["a@b"], "u")
    for cursor in ("x", foreign):
        resp = client.get(path, query_string={"cursor": cursor}, headers=admin_headers)
        assert resp.status_code == 400
        assert resp.json["error"]["code"] == "invalid_cursor"
    assert client.get(f"{path}?colour=red", headers=admin_headers).status_code == 400
