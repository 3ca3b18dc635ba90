"""Admins choose whether staff may sign in with a password (off: only the break-glass admins),
in the staff API; refused when nobody or the acting admin could no longer sign in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from maengelmelder.accounts import oidc
from maengelmelder.accounts.models import SignInSettings
from maengelmelder.extensions import db
from tests.accounts.test_oidc import Browser
from tests.conftest import PASSWORD
from tests.oidc.fixtures import oidc_provider, provider  # noqa: F401

PATH = "/api/v1/admin/sign-in"
BREAK_GLASS = "notfall@stadt.example"


@pytest.fixture
def with_provider(app, provider, clock):  # noqa: F811
    app.config.update(provider.app_config(), BREAK_GLASS_EMAILS=[BREAK_GLASS])
    clock.now = datetime.now(UTC)
    oidc.forget_provider()
    return provider


def password_login(app, email: str):
    return app.test_client().post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})


def admin_client(app, email: str):
    client = app.test_client()
    resp = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert resp.status_code == 200, resp.json
    client.environ_base["HTTP_X_CSRF_TOKEN"] = resp.json["csrf_token"]
    return client


def rows(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(SignInSettings))


def test_without_a_provider_passwords_cannot_be_switched_off(app, staff):
    client = staff.client("admin")

    resp = client.put(PATH, json={"local_passwords": False})

    assert resp.status_code == 409
    assert resp.json["error"]["code"] == "passwords_needed_no_provider"
    assert "keine Anmeldung mit Dienstkonto" in resp.json["error"]["message"]["de"]
    assert "no work-account sign-in" in resp.json["error"]["message"]["en"]
    assert rows(app) == 0
    state = client.get(PATH).json
    assert state["oidc"] is False and state["local_passwords"] is True
    assert state["chosen"] is False and state["changed_by"] is None


def test_an_admin_who_would_lock_themselves_out_is_refused(app, staff, with_provider):
    client = staff.client("admin")  # a password, and no break-glass account

    resp = client.put(PATH, json={"local_passwords": False})

    assert resp.status_code == 409
    assert resp.json["error"]["code"] == "passwords_needed_own_access"
    assert "aussperren" in resp.json["error"]["message"]["de"]
    assert "lock you out" in resp.json["error"]["message"]["en"]
    assert rows(app) == 0
    _, crew = staff.user("crew", "tiefbau")
    assert password_login(app, crew).status_code == 200


def test_a_break_glass_admin_switches_passwords_off_and_on_again(app, staff, with_provider, clock):
    staff.user("admin", email=BREAK_GLASS)
    _, crew = staff.user("crew", "tiefbau")
    client = admin_client(app, BREAK_GLASS)

    resp = client.put(PATH, json={"local_passwords": False})

    assert resp.status_code == 200
    assert resp.json["local_passwords"] is False
    assert resp.json["chosen"] is True
    assert resp.json["changed_by"] == BREAK_GLASS
    assert resp.json["changed_at"] == clock.now.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert resp.json["break_glass_emails"] == [BREAK_GLASS]
    assert resp.json["issuer"] == with_provider.issuer
    refused = password_login(app, crew)
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "password_login_off"
    assert password_login(app, BREAK_GLASS).status_code == 200
    options = app.test_client().get("/api/v1/auth/sign-in-options").json
    assert options == {"oidc": True, "local_passwords": False}

    assert client.put(PATH, json={"local_passwords": True}).status_code == 200
    assert password_login(app, crew).status_code == 200
    assert rows(app) == 1


def test_the_admins_choice_outranks_the_servers_setting(app, staff, with_provider):
    app.config["LOCAL_PASSWORDS"] = False
    staff.user("admin", email=BREAK_GLASS)
    _, crew = staff.user("crew", "tiefbau")
    client = admin_client(app, BREAK_GLASS)
    assert client.get(PATH).json["local_passwords"] is False  # the setting, until chosen
    assert password_login(app, crew).status_code == 403

    assert client.put(PATH, json={"local_passwords": True}).status_code == 200

    assert password_login(app, crew).status_code == 200


def test_an_admin_signed_in_at_the_provider_may_switch_passwords_off(app, staff, with_provider):
    with_provider.set_groups("bernd", ["it"])  # IT's group: admins here
    browser = Browser(app, with_provider.issuer)
    assert browser.sign_in("bernd").status_code == 303
    csrf = browser.me().json["csrf_token"]

    resp = browser.client.put(PATH, json={"local_passwords": False}, headers={"X-CSRF-Token": csrf})

    assert resp.status_code == 200
    assert resp.json["changed_by"] == "bernd@stadt.example"
    _, crew = staff.user("crew", "tiefbau")
    assert password_login(app, crew).status_code == 403


def test_a_change_needs_a_yes_or_no(app, staff):
    client = staff.client("admin")

    resp = client.put(PATH, json={"local_passwords": "vielleicht"})

    assert resp.status_code == 422
    assert rows(app) == 0
