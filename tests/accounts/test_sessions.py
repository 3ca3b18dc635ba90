"""Staff sessions live on the server: logout, password change, an admin's change of the
account, the idle timeout and the absolute lifetime each make a kept cookie worthless.

The attack of "Security round 2", finding 1: log in, keep the `session` cookie, log out; the
kept cookie used to answer 200 on /auth/me and 201 on a write, and every replay handed out a
fresh 12-hour cookie.
"""

from __future__ import annotations

from http.cookies import SimpleCookie

import pytest
from sqlalchemy import select

from maengelmelder.extensions import db
from tests.conftest import PASSWORD
from tests.tickets.helpers import file_ticket

# Imported where used, so that the attacks at the top also run against the code of before
# (the cookie-only sessions), and fail there by their assertions rather than by an import.

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36"
)


@pytest.fixture(autouse=True)
def production_lifetimes(app):
    """The lifetimes a server has by default (other tests run with very long ones)."""
    from maengelmelder.config import from_env

    defaults = from_env({})
    for key in ("SESSION_IDLE_MINUTES", "PERMANENT_SESSION_LIFETIME"):
        app.config[key] = defaults[key]


def login(client, email: str, *, agent: str = FIREFOX, address: str = "198.51.100.23"):
    resp = client.post(
        "/api/v1/auth/login",
        json={"email": email, "password": PASSWORD},
        headers={"User-Agent": agent},
        environ_base={"REMOTE_ADDR": address},
    )
    assert resp.status_code == 200, resp.json
    return resp


def session_cookie(resp) -> str:
    """The value of the session cookie a response sets."""
    for header in resp.headers.getlist("Set-Cookie"):
        jar = SimpleCookie(header)
        if "session" in jar:
            return jar["session"].value
    raise AssertionError(f"no session cookie in {resp.headers.getlist('Set-Cookie')}")


def browser(app, cookie: str, csrf: str):
    """A fresh client that presents a kept cookie and CSRF token, as an attacker would."""
    client = app.test_client()
    client.set_cookie("session", cookie, domain="localhost")
    client.environ_base["HTTP_X_CSRF_TOKEN"] = csrf
    return client


def note(client, public_id: str):
    return client.post(f"/api/v1/tickets/{public_id}/notes", json={"internal_note": "Vor Ort"})


def test_the_kept_cookie_is_worthless_after_logout(app, client, staff):
    public_id = file_ticket(client)["report"]["public_id"]
    _, email = staff.user("crew", "tiefbau")
    victim = app.test_client()
    resp = login(victim, email)
    cookie, csrf = session_cookie(resp), resp.json["csrf_token"]
    kept = browser(app, cookie, csrf)
    assert kept.get("/api/v1/auth/me").status_code == 200
    assert note(kept, public_id).status_code == 201

    out = victim.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    assert out.status_code == 204
    assert "session=;" in out.headers["Set-Cookie"]  # the browser drops it too

    me = kept.get("/api/v1/auth/me")
    assert me.status_code == 401 and me.json["error"]["code"] == "unauthorized"
    assert note(kept, public_id).status_code == 401
    # and the replay hands out nothing new
    assert all("session=;" in c for c in me.headers.getlist("Set-Cookie"))
    assert victim.get("/api/v1/auth/me").status_code == 401


def test_a_replayed_cookie_extends_nothing(app, staff, clock):
    """No request renews the cookie; the session ends at login + SESSION_HOURS however busy."""
    _, email = staff.user("crew", "tiefbau")
    client = app.test_client()
    resp = login(client, email)
    for _ in range(23):  # a request every half hour, for 11.5 hours
        clock.advance(minutes=30)
        seen = client.get("/api/v1/auth/me")
        assert seen.status_code == 200
        assert seen.headers.getlist("Set-Cookie") == []
    assert "Max-Age=43200" in resp.headers["Set-Cookie"]  # 12 hours, set once at login
    clock.advance(minutes=29)
    assert client.get("/api/v1/auth/me").status_code == 200
    clock.advance(minutes=1)
    assert client.get("/api/v1/auth/me").status_code == 401


def test_an_idle_session_ends(app, staff, clock):
    app.config["SESSION_IDLE_MINUTES"] = 30
    _, email = staff.user("crew", "tiefbau")
    client = app.test_client()
    login(client, email)
    clock.advance(minutes=29)
    assert client.get("/api/v1/auth/me").status_code == 200  # used: the idle time starts again
    clock.advance(minutes=29)
    assert client.get("/api/v1/auth/me").status_code == 200
    clock.advance(minutes=30)
    assert client.get("/api/v1/auth/me").status_code == 401


def test_last_seen_is_written_at_most_once_a_minute(app, staff, clock):
    from maengelmelder.accounts.models import StaffSession

    crew = staff.client("crew", "tiefbau")

    def last_seen():
        with app.app_context():
            return db.session.scalar(select(StaffSession.last_seen_at))

    start = last_seen()
    clock.advance(seconds=59)
    assert crew.get("/api/v1/auth/me").status_code == 200
    assert last_seen() == start
    clock.advance(seconds=1)
    assert crew.get("/api/v1/auth/me").status_code == 200
    assert last_seen() == clock()


def test_the_cookie_is_a_random_id_and_only_its_hash_is_stored(app, staff):
    from maengelmelder.accounts.models import StaffSession

    _, email = staff.user("crew", "tiefbau")
    first = session_cookie(login(app.test_client(), email))
    second = session_cookie(login(app.test_client(), email))
    assert first != second and len(first) >= 40
    assert "." not in first  # no signed payload (user id, role) travels in it
    with app.app_context():
        stored = db.session.scalars(select(StaffSession.secret_hash)).all()
    assert len(stored) == 2 and first not in stored and second not in stored


def test_a_password_change_ends_every_session_of_the_account(app, staff):
    _, email = staff.user("supervisor", "tiefbau")
    laptop, phone = app.test_client(), app.test_client()
    resp = login(laptop, email)
    old_cookie, old_csrf = session_cookie(resp), resp.json["csrf_token"]
    login(phone, email, agent=PHONE)
    changed = laptop.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": "ein neues langes passwort"},
        headers={"X-CSRF-Token": old_csrf},
    )
    assert changed.status_code == 200
    assert session_cookie(changed) != old_cookie
    assert laptop.get("/api/v1/auth/me").status_code == 200  # this browser got a new session
    assert phone.get("/api/v1/auth/me").status_code == 401
    assert browser(app, old_cookie, old_csrf).get("/api/v1/auth/me").status_code == 401


@pytest.mark.parametrize(
    "change",
    [{"active": False}, {"role": "supervisor"}, {"departments": ["gruen"]}, {"citywide": True}],
)
def test_an_admins_change_of_access_ends_the_accounts_sessions(app, staff, change):
    crew = staff.client("crew", "tiefbau")
    other = staff.client("crew", "tiefbau")
    admin = staff.client("admin")
    resp = admin.patch(f"/api/v1/admin/users/{crew.user_id}", json=change)
    assert resp.status_code == 200, resp.json
    assert crew.get("/api/v1/auth/me").status_code == 401
    assert other.get("/api/v1/auth/me").status_code == 200
    assert admin.get("/api/v1/auth/me").status_code == 200


def test_a_change_that_gives_no_other_access_keeps_the_sessions(app, staff):
    crew = staff.client("crew", "tiefbau")
    admin = staff.client("admin")
    same = {"name": "Kim Kranz", "lang": "en", "departments": ["tiefbau"], "role": "crew"}
    resp = admin.patch(f"/api/v1/admin/users/{crew.user_id}", json=same)
    assert resp.status_code == 200 and resp.json["name"] == "Kim Kranz"
    assert crew.get("/api/v1/auth/me").status_code == 200


def test_admins_cannot_demote_or_deactivate_themselves(app, staff):
    admin = staff.client("admin")
    for change in ({"active": False}, {"role": "crew"}):
        resp = admin.patch(f"/api/v1/admin/users/{admin.user_id}", json=change)
        assert resp.status_code == 409 and resp.json["error"]["code"] == "own_account"
        assert resp.json["error"]["message"]["en"]
    assert admin.get("/api/v1/auth/me").json["role"] == "admin"
    missing = admin.patch("/api/v1/admin/users/999999", json={"name": "X"})
    assert missing.status_code == 404 and missing.json["error"]["code"] == "user_not_found"


def test_an_admin_who_changes_their_own_access_logs_in_again(app, staff):
    admin = staff.client("admin")
    resp = admin.patch(f"/api/v1/admin/users/{admin.user_id}", json={"departments": ["gruen"]})
    assert resp.status_code == 200 and resp.json["departments"] == ["gruen"]
    assert "session=;" in resp.headers["Set-Cookie"]
    assert admin.get("/api/v1/auth/me").status_code == 401


def test_an_admin_ends_every_session_of_an_account(app, staff, admin_headers):
    _, email = staff.user("crew", "tiefbau")
    phone, laptop = app.test_client(), app.test_client()
    user_id = login(phone, email, agent=PHONE).json["user"]["id"]
    login(laptop, email)
    resp = app.test_client().delete(
        f"/api/v1/admin/users/{user_id}/sessions", headers=admin_headers
    )
    assert resp.status_code == 200 and resp.json == {"ended": 2}
    assert phone.get("/api/v1/auth/me").status_code == 401
    assert laptop.get("/api/v1/auth/me").status_code == 401
    assert login(app.test_client(), email).status_code == 200  # the account itself stays
    gone = app.test_client().delete("/api/v1/admin/users/999999/sessions", headers=admin_headers)
    assert gone.status_code == 404


def test_log_out_everywhere(app, staff):
    _, email = staff.user("crew", "tiefbau")
    laptop, phone = app.test_client(), app.test_client()
    csrf = login(laptop, email).json["csrf_token"]
    login(phone, email, agent=PHONE)
    resp = laptop.post("/api/v1/auth/logout-everywhere", headers={"X-CSRF-Token": csrf})
    assert resp.status_code == 200 and resp.json == {"ended": 2}
    assert laptop.get("/api/v1/auth/me").status_code == 401
    assert phone.get("/api/v1/auth/me").status_code == 401


def test_my_sessions_are_listed_coarsely_and_each_can_be_ended(app, staff):
    _, email = staff.user("crew", "tiefbau")
    laptop, phone = app.test_client(), app.test_client()
    csrf = login(laptop, email, address="198.51.100.23").json["csrf_token"]
    login(phone, email, agent=PHONE, address="2001:db8:7:1::42")
    laptop.environ_base["HTTP_X_CSRF_TOKEN"] = csrf
    listed = laptop.get("/api/v1/auth/sessions")
    assert listed.status_code == 200
    items = listed.json["items"]
    # most recently used first; the same minute: the newer first
    assert [(s["device"], s["network"], s["current"]) for s in items] == [
        ("Chrome, Android", "2001:db8:7::/48", False),
        ("Firefox, Linux", "198.51.100.0/24", True),
    ]
    # coarse on purpose: no full address, no full user agent
    assert "198.51.100.23" not in listed.text and "Pixel" not in listed.text
    assert all(s["expires_at"] > s["last_seen_at"] >= s["created_at"] for s in items)

    other = next(s for s in items if not s["current"])
    assert laptop.delete(f"/api/v1/auth/sessions/{other['id']}").status_code == 204
    assert phone.get("/api/v1/auth/me").status_code == 401
    assert laptop.get("/api/v1/auth/me").status_code == 200
    again = laptop.delete(f"/api/v1/auth/sessions/{other['id']}")
    assert again.status_code == 404 and again.json["error"]["code"] == "session_not_found"

    mine = next(s for s in items if s["current"])
    assert laptop.delete(f"/api/v1/auth/sessions/{mine['id']}").status_code == 204
    assert laptop.get("/api/v1/auth/me").status_code == 401


def test_nobody_ends_or_sees_another_accounts_session(app, staff):
    from maengelmelder.accounts.models import StaffSession

    victim = staff.client("crew", "tiefbau")
    attacker = staff.client("crew", "tiefbau")
    with app.app_context():
        victim_session = db.session.scalar(
            select(StaffSession.id).where(StaffSession.user_id == victim.user_id)
        )
    resp = attacker.delete(f"/api/v1/auth/sessions/{victim_session}")
    assert resp.status_code == 404
    assert victim.get("/api/v1/auth/me").status_code == 200
    seen = [s["id"] for s in attacker.get("/api/v1/auth/sessions").json["items"]]
    assert len(seen) == 1 and victim_session not in seen


def test_api_tokens_have_no_sessions(app, staff):
    bearer = {"Authorization": "Bearer " + staff.token("crew", "tiefbau")}
    client = app.test_client()
    assert client.get("/api/v1/auth/sessions", headers=bearer).status_code == 403
    assert client.post("/api/v1/auth/logout-everywhere", headers=bearer).status_code == 403
    assert client.delete("/api/v1/auth/sessions/1", headers=bearer).status_code == 403
    # no password either: refused before the body is looked at
    assert client.post("/api/v1/auth/password", json={}, headers=bearer).status_code == 403
    assert client.post("/api/v1/auth/logout", headers=bearer).status_code == 204
    assert client.get("/api/v1/auth/me", headers=bearer).status_code == 200  # still valid


def test_an_account_keeps_its_most_recent_sessions_only(app, staff, clock):
    from maengelmelder.accounts.sessions import MAX_PER_USER

    _, email = staff.user("crew", "tiefbau")
    clients = []
    for _ in range(MAX_PER_USER + 2):
        clock.advance(minutes=1)
        client = app.test_client()
        login(client, email)
        clients.append(client)
    assert clients[0].get("/api/v1/auth/me").status_code == 401
    assert clients[1].get("/api/v1/auth/me").status_code == 401
    assert clients[2].get("/api/v1/auth/me").status_code == 200
    assert len(clients[-1].get("/api/v1/auth/sessions").json["items"]) == MAX_PER_USER


def test_the_purge_deletes_ended_sessions(app, staff, clock):
    from maengelmelder.accounts import jobs
    from maengelmelder.accounts.models import StaffSession

    staff.client("crew", "tiefbau")
    kept = staff.client("crew", "tiefbau")
    clock.advance(minutes=100)
    assert kept.get("/api/v1/auth/me").status_code == 200
    clock.advance(minutes=100)  # the first is idle for 200 minutes: past the 120
    with app.app_context():
        assert jobs.purge() == {"sessions": 1, "login_throttles": 0}
        assert jobs.purge() == {"sessions": 0, "login_throttles": 0}
        assert db.session.scalar(select(StaffSession.user_id)) == kept.user_id
