"""Staff sign in with the city's identity provider: a real OpenID Provider (panva's
oidc-provider, tests/oidc/provider) whose login page is driven like a browser, and this app
through its routes.

The provider signs with the wall clock, so these tests set the app's clock to it.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import func, select
from werkzeug.serving import make_server

from maengelmelder.accounts import oidc
from maengelmelder.accounts.models import StaffSession, User
from maengelmelder.extensions import db
from tests.conftest import PASSWORD
from tests.oidc.fixtures import APP_BASE, CLIENT_ID, USERS, oidc_provider, provider  # noqa: F401

CALLBACK = "/api/v1/auth/oidc/callback"
HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(autouse=True)
def oidc_app(app, provider, clock):  # noqa: F811
    """The app as the provider's client, its clock the provider's (the wall clock)."""
    app.config.update(provider.app_config())
    clock.now = datetime.now(UTC)
    oidc.forget_provider()
    return app


class Browser:
    """One person's browser: the app through the test client, the provider over HTTP."""

    def __init__(self, app, issuer: str) -> None:
        self.app, self.issuer = app, issuer
        self.client = app.test_client()
        self.web = requests.Session()  # the provider's cookies

    def to_provider(self) -> str:
        """Click "Mit Dienstkonto anmelden": the provider's URL the app sends us to."""
        resp = self.client.get("/api/v1/auth/oidc/login")
        assert resp.status_code == 303, resp.json
        assert resp.headers["Location"].startswith(self.issuer + "/auth?")
        return resp.headers["Location"]

    def provider_login(self, url: str, user: str, password: str | None = None) -> str:
        """Sign in at the provider; the app's callback URL it sends the browser back to."""
        page = self.web.get(url, timeout=10)
        if APP_BASE in page.url or (page.history and APP_BASE in page.history[-1].url):
            raise AssertionError("the provider did not ask for a login")
        action = re.search(r'action="(/interaction/[^"]+/login)"', page.text)
        assert action, page.text
        resp = self.web.post(
            self.issuer + action.group(1),
            data={"login": user, "password": password or USERS[user][0]},
            allow_redirects=False,
            timeout=10,
        )
        return self.follow_to_app(resp)

    def follow_to_app(self, resp: requests.Response) -> str:
        while resp.is_redirect:
            location = resp.headers["Location"]
            if location.startswith("/"):
                location = self.issuer + location
            if location.startswith(APP_BASE):
                return location
            resp = self.web.get(location, allow_redirects=False, timeout=10)
        raise AssertionError(f"the provider did not send the browser back: {resp.text[:500]}")

    def back_to_app(self, callback_url: str):
        parts = urlsplit(callback_url)
        return self.client.get(f"{parts.path}?{parts.query}")

    def sign_in(self, user: str):
        resp = self.back_to_app(self.provider_login(self.to_provider(), user))
        return resp

    def me(self):
        return self.client.get("/api/v1/auth/me")


@pytest.fixture
def browser(app, provider) -> Browser:  # noqa: F811
    return Browser(app, provider.issuer)


def new_browser(app, provider) -> Browser:  # noqa: F811
    return Browser(app, provider.issuer)


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def user_named(app, email: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None:
            user.department_codes = [d.code for d in user.departments]
        return user


# -- signing in ------------------------------------------------------------------------------


def test_a_crew_member_signs_in_at_the_provider_and_lands_in_the_staff_app(app, browser):
    resp = browser.sign_in("anna")

    assert resp.status_code == 303
    assert resp.headers["Location"] == APP_BASE + "/staff"
    me = browser.me()
    assert me.status_code == 200
    assert me.json["role"] == "crew"
    assert me.json["user"]["email"] == "anna@stadt.example"
    assert me.json["user"]["name"] == "Anna Asphalt"
    assert me.json["user"]["departments"] == ["tiefbau"]
    # The session is the server-side kind: the CSRF token works for a write.
    headers = {"X-CSRF-Token": me.json["csrf_token"]}
    assert browser.client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert browser.me().status_code == 401


def test_a_supervisor_group_gives_the_whole_city(app, browser):
    assert browser.sign_in("bernd").status_code == 303

    me = browser.me().json
    assert me["role"] == "supervisor"
    assert me["user"]["citywide"] is True


def test_groups_changed_at_the_provider_change_the_account_at_the_next_sign_in(
    app,
    provider,  # noqa: F811
    browser,
):
    assert browser.sign_in("anna").status_code == 303
    provider.set_groups("anna", ["gruen-crew", "leitung"])

    again = new_browser(app, provider)
    assert again.sign_in("anna").status_code == 303

    me = again.me().json
    assert me["role"] == "supervisor"
    assert me["user"]["citywide"] is True
    # What the first session was opened as is no more: it ended.
    assert browser.me().status_code == 401
    with app.app_context():  # one account, not a second
        assert db.session.scalar(select(func.count()).where(User.oidc_subject == "anna")) == 1


def test_someone_removed_from_all_groups_is_refused_and_their_sessions_end(
    app,
    provider,  # noqa: F811
    browser,
):
    assert browser.sign_in("anna").status_code == 303
    provider.set_groups("anna", [])

    again = new_browser(app, provider)
    resp = again.sign_in("anna")

    assert resp.status_code == 403
    assert resp.json["error"]["code"] == "oidc_no_role"
    assert "keiner Gruppe" in resp.json["error"]["message"]["de"]
    assert "no group" in resp.json["error"]["message"]["en"]
    assert again.me().status_code == 401
    assert browser.me().status_code == 401  # the session of before ended too


def test_someone_whose_groups_map_to_nothing_gets_no_account(app, browser):
    before = count(app, User)

    resp = browser.sign_in("carla")

    assert resp.status_code == 403
    assert resp.json["error"]["code"] == "oidc_no_role"
    assert count(app, User) == before
    assert user_named(app, "carla@stadt.example") is None


def test_an_account_made_here_before_is_linked_by_its_verified_address(app, staff, browser):
    user_id, _ = staff.user("crew", "gruen", email="anna@stadt.example")

    assert browser.sign_in("anna").status_code == 303

    me = browser.me().json
    assert me["user"]["id"] == user_id
    assert me["user"]["departments"] == ["tiefbau"]


def test_a_refused_sign_in_links_no_account_made_here(app, staff, browser):
    staff.user("crew", "gruen", email="carla@stadt.example")

    assert browser.sign_in("carla").status_code == 403  # her groups map to nothing

    assert user_named(app, "carla@stadt.example").oidc_subject is None


# -- logging out -----------------------------------------------------------------------------


@pytest.fixture
def served_app(app, provider) -> Iterator[str]:  # noqa: F811
    """The app served where the provider sends its back-channel logouts."""
    server = make_server("127.0.0.1", provider.backchannel_port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{provider.backchannel_port}"
    server.shutdown()
    thread.join(timeout=10)


def test_logout_ends_the_session_here_and_at_the_provider(app, browser, served_app):
    assert browser.sign_in("anna").status_code == 303
    csrf = browser.me().json["csrf_token"]

    resp = browser.client.post("/api/v1/auth/oidc/logout", headers={"X-CSRF-Token": csrf})

    assert resp.status_code == 200
    assert browser.me().status_code == 401
    end_session = resp.json["end_session_url"]
    assert end_session.startswith(browser.issuer + "/session/end?")
    assert parse_qs(urlsplit(end_session).query)["client_id"] == [CLIENT_ID]
    # At the provider: confirm, and the browser comes back to the staff app.
    page = browser.web.get(end_session, timeout=10)
    xsrf = re.search(r'name="xsrf" value="([^"]+)"', page.text)
    action = re.search(r'id="op.logoutForm" method="post" action="([^"]+)"', page.text)
    assert xsrf and action, page.text
    done = browser.web.post(
        action.group(1), data={"xsrf": xsrf.group(1), "logout": "yes"}, allow_redirects=False
    )
    assert browser.follow_to_app(done) == APP_BASE + "/staff"
    # Signed out there too: the provider asks for the password again.
    page = browser.web.get(browser.to_provider(), timeout=10)
    assert "/interaction/" in page.url and 'name="password"' in page.text


def test_a_local_account_logs_out_here_only(app, staff):
    client = staff.client("admin")

    resp = client.post("/api/v1/auth/oidc/logout")

    assert resp.status_code == 200
    assert resp.json == {"end_session_url": None}
    assert client.get("/api/v1/auth/me").status_code == 401


def test_back_channel_logout_from_the_provider_ends_the_persons_sessions(
    app,
    provider,  # noqa: F811
    browser,
    served_app,
):
    assert browser.sign_in("anna").status_code == 303
    other = new_browser(app, provider)
    assert other.sign_in("bernd").status_code == 303

    # Anna signs out at the provider (elsewhere, say in the city's portal): it tells the app.
    page = browser.web.get(f"{provider.issuer}/session/end?client_id={CLIENT_ID}", timeout=10)
    xsrf = re.search(r'name="xsrf" value="([^"]+)"', page.text)
    action = re.search(r'id="op.logoutForm" method="post" action="([^"]+)"', page.text)
    browser.web.post(
        action.group(1), data={"xsrf": xsrf.group(1), "logout": "yes"}, allow_redirects=False
    )

    assert browser.me().status_code == 401
    assert other.me().status_code == 200  # nobody else's


def sign_out_at_provider(browser: Browser) -> None:
    """The person signs out at the provider in this browser (say, in the city's portal)."""
    page = browser.web.get(f"{browser.issuer}/session/end?client_id={CLIENT_ID}", timeout=10)
    xsrf = re.search(r'name="xsrf" value="([^"]+)"', page.text)
    action = re.search(r'id="op.logoutForm" method="post" action="([^"]+)"', page.text)
    assert xsrf and action, page.text
    browser.web.post(
        action.group(1), data={"xsrf": xsrf.group(1), "logout": "yes"}, allow_redirects=False
    )


def test_back_channel_logout_ends_only_the_sessions_of_that_provider_session(
    app,
    provider,  # noqa: F811
    browser,
    served_app,
):
    # Anna on her desk computer and on her phone: two sessions at the provider.
    assert browser.sign_in("anna").status_code == 303
    phone = new_browser(app, provider)
    assert phone.sign_in("anna").status_code == 303
    with app.app_context():
        sids = db.session.scalars(select(StaffSession.oidc_sid)).all()
    assert len(sids) == 2 and None not in sids and sids[0] != sids[1]

    sign_out_at_provider(browser)

    assert browser.me().status_code == 401
    assert phone.me().status_code == 200  # her phone stays signed in


# -- bad input -------------------------------------------------------------------------------


def test_a_wrong_state_is_refused_and_creates_nothing(app, browser):
    callback = browser.provider_login(browser.to_provider(), "anna")
    before = count(app, User)

    resp = browser.back_to_app(callback.replace("state=", "state=x"))

    assert resp.status_code == 400
    assert resp.json["error"]["code"] == "oidc_state_invalid"
    assert resp.json["error"]["message"]["en"].startswith("This sign-in has expired")
    assert count(app, User) == before
    assert browser.me().status_code == 401


def test_a_callback_in_another_browser_is_refused(app, provider, browser):  # noqa: F811
    callback = browser.provider_login(browser.to_provider(), "anna")

    stranger = new_browser(app, provider)
    resp = stranger.back_to_app(callback)

    assert resp.status_code == 400
    assert resp.json["error"]["code"] == "oidc_state_invalid"
    assert user_named(app, "anna@stadt.example") is None


def test_a_replayed_code_is_refused(app, provider, browser):  # noqa: F811
    callback = browser.provider_login(browser.to_provider(), "anna")
    flow = browser.client.get_cookie(oidc.FLOW_COOKIE, path=oidc.FLOW_PATH).value
    assert browser.back_to_app(callback).status_code == 303
    sessions_before = count(app, StaffSession)

    # Someone who saw the callback URL and the flow cookie sends both again.
    thief = new_browser(app, provider)
    thief.client.set_cookie(oidc.FLOW_COOKIE, flow, path=oidc.FLOW_PATH)
    resp = thief.back_to_app(callback)

    assert resp.status_code == 401
    assert resp.json["error"]["code"] == "oidc_failed"
    assert count(app, StaffSession) == sessions_before
    assert thief.me().status_code == 401


def test_an_error_from_the_provider_is_refused(app, browser):
    url = browser.to_provider()
    state = parse_qs(urlsplit(url).query)["state"][0]

    resp = browser.client.get(f"{CALLBACK}?error=access_denied&state={state}")

    assert resp.status_code == 401
    assert resp.json["error"]["code"] == "oidc_failed"


def test_password_login_off_leaves_only_the_break_glass_admins(app, staff):
    _, crew = staff.user("crew", "tiefbau")
    _, admin = staff.user("admin", email="notfall@stadt.example")
    app.config.update(LOCAL_PASSWORDS=False, BREAK_GLASS_EMAILS=["notfall@stadt.example"])
    client = app.test_client()

    refused = client.post("/api/v1/auth/login", json={"email": crew, "password": PASSWORD})
    allowed = client.post("/api/v1/auth/login", json={"email": admin, "password": PASSWORD})

    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "password_login_off"
    assert "Dienstkonto" in refused.json["error"]["message"]["de"]
    assert allowed.status_code == 200
    options = client.get("/api/v1/auth/sign-in-options").json
    assert options == {"oidc": True, "local_passwords": False}


# -- tokens made by the test -----------------------------------------------------------------


class Forger:
    """A provider the test makes itself: its discovery document and keys served over HTTP,
    its tokens signed with a key the test holds (and a stranger's key with the same id)."""

    def __init__(self, issuer: str, key: RSAKey, stranger: RSAKey) -> None:
        self.issuer, self.key, self.stranger = issuer, key, stranger

    def __call__(self, environ, start_response):
        documents = {
            "/.well-known/openid-configuration": {
                "issuer": self.issuer,
                "authorization_endpoint": self.issuer + "/auth",
                "token_endpoint": self.issuer + "/token",
                "jwks_uri": self.issuer + "/jwks",
            },
            "/jwks": {"keys": [self.key.as_dict(private=False)]},
        }
        body = documents.get(environ["PATH_INFO"])
        start_response(
            "200 OK" if body else "404 Not Found", [("Content-Type", "application/json")]
        )
        return [json.dumps(body or {}).encode()]

    def token(self, *, key: RSAKey | None = None, **claims) -> str:
        at = int(datetime.now(UTC).timestamp())
        base = {"iss": self.issuer, "aud": CLIENT_ID, "sub": "anna", "iat": at, "exp": at + 300}
        base.update(claims)
        base = {k: v for k, v in base.items() if v is not None}
        key = key or self.key
        return jwt.encode({"alg": "RS256", "kid": key.kid}, base, key)


@pytest.fixture(scope="module")
def test_keys() -> tuple[RSAKey, RSAKey]:
    """The test's signing key and a stranger's with the same key id."""
    params = {"kid": "test-key", "use": "sig", "alg": "RS256"}
    return tuple(RSAKey.generate_key(2048, parameters=params) for _ in range(2))


@pytest.fixture
def forger(app, test_keys) -> Iterator[Forger]:
    server = make_server("127.0.0.1", 0, lambda e, s: forger_app(e, s))
    forger_app = Forger(f"http://127.0.0.1:{server.port}", *test_keys)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["OIDC_ISSUER"] = forger_app.issuer
    oidc.forget_provider()
    yield forger_app
    server.shutdown()
    thread.join(timeout=10)


def verify(app, token: str, nonce: str = "n-1") -> dict:
    with app.test_request_context():
        config = oidc.settings()
        return oidc.verify_token(
            token, config, oidc.metadata(config), now=datetime.now(UTC), nonce=nonce
        )


def test_an_id_token_of_the_provider_with_the_right_nonce_is_taken(app, forger):
    at = int(datetime.now(UTC).timestamp())
    # Clocks a little apart: expired 30 s ago and issued 30 s ahead are within the leeway.
    claims = verify(app, forger.token(nonce="n-1", exp=at - 30, iat=at + 30))

    assert claims["sub"] == "anna"


@pytest.mark.parametrize(
    "case",
    [
        {"aud": "another-app"},
        {"aud": ["another-app", "a-third"]},
        {"exp": -120},  # seconds from now: expired beyond the leeway
        {"exp": None},
        {"iat": 600},  # issued in the future
        {"iss": "http://127.0.0.1:9/realms/elsewhere"},
        {"nonce": "someone-elses"},
        {"nonce": None},
        {"key": "stranger"},
    ],
    ids=lambda case: ",".join(f"{k}={v}" for k, v in case.items()),
)
def test_id_tokens_that_do_not_hold_are_refused(app, forger, case):
    at = int(datetime.now(UTC).timestamp())
    claims = {"nonce": "n-1", **case}
    for name in ("exp", "iat"):
        if isinstance(claims.get(name), int):
            claims[name] = at + claims[name]
    if claims.pop("key", None) == "stranger":
        claims["key"] = forger.stranger

    with pytest.raises(oidc.OidcError) as refused:
        verify(app, forger.token(**claims))

    assert refused.value.status == 401
    assert refused.value.code == "oidc_token_invalid"


def test_a_rotated_key_is_read_again_at_most_once_a_minute(app, forger, clock):
    assert verify(app, forger.token(nonce="n-1"))["sub"] == "anna"  # the keys are read
    params = {"kid": "rotated", "use": "sig", "alg": "RS256"}
    forger.key = RSAKey.generate_key(2048, parameters=params)
    token = forger.token(nonce="n-1")

    with pytest.raises(oidc.OidcError):
        verify(app, token)  # read a moment ago: not again yet
    clock.advance(seconds=61)

    assert verify(app, token)["sub"] == "anna"


@pytest.mark.filterwarnings("ignore::joserfc.errors.SecurityWarning")
def test_an_unsigned_token_is_refused(app, forger):
    at = int(datetime.now(UTC).timestamp())
    claims = {"iss": forger.issuer, "aud": CLIENT_ID, "sub": "anna", "iat": at, "exp": at + 60}
    unsigned = jwt.encode({"alg": "none"}, claims, None, algorithms=["none"])

    with pytest.raises(oidc.OidcError):
        verify(app, unsigned)


LOGOUT_EVENT = {"http://schemas.openid.net/event/backchannel-logout": {}}


def signed_in_subject(app, staff, subject: str) -> Browser:
    """A person who signed in with the provider before (their account knows its subject)."""
    user_id, email = staff.user("crew", "tiefbau")
    with app.app_context():
        db.session.get(User, user_id).oidc_subject = subject
        db.session.commit()
    client = app.test_client()
    resp = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert resp.status_code == 200
    return client


@pytest.mark.parametrize(
    "case",
    [
        {"nonce": "n"},  # an ID token, not a logout token
        {"events": None},
        {"events": {"http://schemas.openid.net/event/other": {}}},
        {"aud": "another-app"},
        {"iss": "http://127.0.0.1:9/elsewhere"},
        {"key": "stranger"},
    ],
    ids=lambda case: ",".join(f"{k}={v}" for k, v in case.items()),
)
def test_a_back_channel_logout_token_that_does_not_hold_ends_nothing(app, staff, forger, case):
    client = signed_in_subject(app, staff, "anna")
    claims = {"events": LOGOUT_EVENT, "exp": None, **case}
    if claims.pop("key", None) == "stranger":
        claims["key"] = forger.stranger

    resp = app.test_client().post(
        "/api/v1/auth/oidc/backchannel-logout", data={"logout_token": forger.token(**claims)}
    )

    assert resp.status_code == 401
    assert resp.json["error"]["code"] == "oidc_token_invalid"
    assert client.get("/api/v1/auth/me").status_code == 200


def test_a_back_channel_logout_token_ends_that_persons_sessions_only(app, staff, forger):
    anna = signed_in_subject(app, staff, "anna")
    bernd = signed_in_subject(app, staff, "bernd")

    resp = app.test_client().post(
        "/api/v1/auth/oidc/backchannel-logout",
        data={"logout_token": forger.token(events=LOGOUT_EVENT, exp=None)},
    )

    assert resp.status_code == 200
    assert anna.get("/api/v1/auth/me").status_code == 401
    assert bernd.get("/api/v1/auth/me").status_code == 200


def test_a_back_channel_logout_naming_a_provider_session_ends_no_password_session(
    app, staff, forger
):
    anna = signed_in_subject(app, staff, "anna")  # with her password, not at the provider

    resp = app.test_client().post(
        "/api/v1/auth/oidc/backchannel-logout",
        data={"logout_token": forger.token(events=LOGOUT_EVENT, exp=None, sid="s-1")},
    )

    assert resp.status_code == 200
    assert anna.get("/api/v1/auth/me").status_code == 200


def test_without_a_provider_set_up_its_routes_answer_404(app):
    app.config["OIDC_ISSUER"] = None

    resp = app.test_client().get("/api/v1/auth/oidc/login")

    assert resp.status_code == 404
    assert resp.json["error"]["code"] == "oidc_off"
    page = app.test_client().get("/api/v1/auth/oidc/login", headers={"Accept": HTML})
    assert page.status_code == 404
    assert page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert "Die Anmeldung mit Dienstkonto ist hier nicht eingerichtet." in text
    assert "Sign-in with a work account is not set up here." in text
    assert 'href="/staff"' in text
    options = app.test_client().get("/api/v1/auth/sign-in-options").json
    assert options == {"oidc": False, "local_passwords": True}


def test_a_malformed_role_map_stops_the_start():
    from maengelmelder.app import create_app

    with pytest.raises(RuntimeError, match="OIDC_ROLE_MAP"):
        create_app({"SECRET_KEY": "x", "OIDC_ROLE_MAP": "tiefbau-crew=chief:tiefbau"})


def test_the_role_map_gives_the_highest_role_with_its_departments():
    grants = oidc.parse_role_map("a=crew:tiefbau; b=crew:gruen; c=supervisor:gruen; d=admin:*")

    assert oidc.access_for(["a", "b"], grants) == oidc.Access("crew", False, ("gruen", "tiefbau"))
    assert oidc.access_for(["a", "c"], grants) == oidc.Access("supervisor", False, ("gruen",))
    assert oidc.access_for(["a", "d"], grants) == oidc.Access("admin", True, ())
    assert oidc.access_for(["x"], grants) is None


def test_a_provider_that_cannot_be_reached_is_a_page_for_a_browser(app):
    app.config["OIDC_ISSUER"] = "http://127.0.0.1:9"  # nothing listens there
    oidc.forget_provider()

    page = app.test_client().get("/api/v1/auth/oidc/login", headers={"Accept": HTML})
    api = app.test_client().get("/api/v1/auth/oidc/login")

    assert page.status_code == 502
    assert "nicht erreichbar" in page.get_data(as_text=True)
    assert "cannot be reached" in page.get_data(as_text=True)
    assert api.status_code == 502
    assert api.json["error"]["code"] == "oidc_unavailable"
