"""Bots and floods get 429 with Retry-After; people on one shared address are not locked out."""

from __future__ import annotations

import pytest

from maengelmelder.app import create_app
from maengelmelder.demo import load_demo
from maengelmelder.extensions import db
from tests.reports.helpers import report_json


@pytest.fixture
def limited(app, redis_url, request):
    """The test app with rate limits on (moving window, so no window boundary in the test)."""
    app.config.update(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STRATEGY="moving-window",
        INTAKE_LIMIT_IP="6/hour",
        INTAKE_LIMIT_DEVICE="3/hour",
        LOGIN_LIMIT_IP="2/hour",
    )
    storage = redis_url if request.param == "redis" else "memory://"
    limited_app = create_app({**app.config, "RATELIMIT_STORAGE_URI": storage})
    with limited_app.app_context():
        load_demo(db.session)  # no-op on the shared database: it is already loaded
        db.session.commit()
    yield limited_app
    with limited_app.app_context():
        db.engine.dispose()
    from maengelmelder.extensions import limiter

    limiter.reset()


@pytest.mark.parametrize("limited", ["memory", "redis"], indirect=True)
def test_intake_is_limited_per_device_and_per_address(limited):
    client = limited.test_client()

    def send(device: str):
        return client.post("/api/v1/reports", json=report_json(), headers={"X-Device-Id": device})

    assert [send("phone-a").status_code for _ in range(3)] == [201, 201, 201]
    blocked = send("phone-a")
    assert blocked.status_code == 429
    # Seconds until the hourly window lets the phone through again, counted by the limiter.
    assert 0 < int(blocked.headers["Retry-After"]) <= 3601  # the window, rounded up
    assert blocked.json["error"]["code"] == "rate_limited"
    assert "Zu viele Anfragen" in blocked.json["error"]["message"]["de"]
    # Another phone behind the same address still gets through, up to the address's limit.
    assert [send("phone-b").status_code for _ in range(3)] == [201, 201, 201]
    assert send("phone-c").status_code == 429


@pytest.mark.parametrize("limited", ["memory"], indirect=True)
def test_login_is_limited_per_address(limited):
    client = limited.test_client()
    body = {"email": "nobody@stadt.example", "password": "wrong password!"}
    assert [client.post("/api/v1/auth/login", json=body).status_code for _ in range(2)] == [
        401,
        401,
    ]
    resp = client.post("/api/v1/auth/login", json=body)
    assert resp.status_code == 429
    assert 0 < int(resp.headers["Retry-After"]) <= 3601  # the window, rounded up


def test_retry_after_is_rounded_up_so_a_client_that_waits_it_is_not_early(monkeypatch):
    """A window that opens in 4.3 s says 5, not 4: an app that honours the header (the
    citizen app's outbox does) would otherwise come back early and get a second 429."""
    from types import SimpleNamespace

    from maengelmelder import errors
    from maengelmelder.extensions import limiter

    monkeypatch.setattr(errors.time, "time", lambda: 1000.0)
    monkeypatch.setattr(
        type(limiter), "current_limit", property(lambda self: SimpleNamespace(reset_at=1004.3))
    )
    assert errors._limit_retry_after() == "5"
