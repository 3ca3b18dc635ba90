"""Which host names the service answers to, and which forwarded headers it believes.

Attacks from the security review: a report with a victim's address and a `Host` header of the
attacker's choosing made the city's own mailer send links to that host; gunicorn believed
`X-Forwarded-Proto` from 127.0.0.1 without MAENGELMELDER_PROXY_FIX, so HSTS went out over
plain HTTP and tracking links turned into https://.
"""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select

from maengelmelder import config
from maengelmelder.app import create_app
from maengelmelder.core.models import Report
from maengelmelder.extensions import db
from maengelmelder.notify.jobs import send_pending
from maengelmelder.notify.models import OutboxMessage
from tests.notify import conftest as notify_fixtures
from tests.open311.conftest import errors_of
from tests.reports.helpers import report_json

start_smtp = notify_fixtures.start_smtp
smtp_server = notify_fixtures.smtp_server

EVIL = "stadt-musterstadt.evil.example"


def _rows(app, model) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(model))
        db.session.remove()
        return count


@pytest.fixture
def derived(app, smtp_server, request):
    """The test app as a city may run it: mail on, confirmation on, BASE_URL as the test says."""
    settings = getattr(request, "param", {})
    made = create_app(
        {
            **app.config,
            "BASE_URL": None,
            "TRUSTED_HOSTS": [],
            "SMTP_URL": smtp_server.url,
            "CONFIRM_UNKNOWN_EMAILS": True,
            **settings,
        }
    )
    yield made
    with made.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_foreign_host_header_gets_no_mail_and_no_link(derived, smtp_server):
    """The attack: BASE_URL unset, confirmation on, a victim's address, the attacker's host."""
    client = derived.test_client()
    resp = client.post(
        "/api/v1/reports",
        json=report_json(email="opfer@example.org"),
        headers={"Host": EVIL},
    )
    assert resp.status_code == 400, resp.get_data(as_text=True)
    error = resp.json["error"]
    assert error["code"] == "host_not_trusted"
    assert error["message"]["de"] and error["message"]["en"]
    assert (_rows(derived, Report), _rows(derived, OutboxMessage)) == (0, 0)
    with derived.app_context():
        send_pending()
    assert smtp_server.messages == []
    # Whatever the request's path: pages and the tracking view are refused alike.
    for path in ("/", "/api/v1/reports", "/track/x", "/healthz"):
        assert client.get(path, headers={"Host": EVIL}).status_code == 400, path


@pytest.mark.parametrize(
    "derived", [{"TRUSTED_HOSTS": ["maengel.musterstadt.example"]}], indirect=True
)
def test_links_name_the_allowed_host_the_request_came_in_under(derived, smtp_server):
    client = derived.test_client()
    resp = client.post(
        "/api/v1/reports",
        json=report_json(email="anna@example.org"),
        headers={"Host": "maengel.musterstadt.example"},
    )
    assert resp.status_code == 201, resp.json
    assert resp.json["tracking_url"].startswith("http://maengel.musterstadt.example/track/")
    with derived.app_context():
        send_pending()
    [mail] = smtp_server.messages
    body = mail.get_content()
    assert "http://maengel.musterstadt.example/confirm/" in body
    assert EVIL not in body
    refused = client.post("/api/v1/reports", json=report_json(), headers={"Host": EVIL})
    assert refused.status_code == 400


@pytest.mark.parametrize(
    "derived", [{"BASE_URL": "https://maengel.musterstadt.example"}], indirect=True
)
def test_with_base_url_links_name_it_whatever_the_allowed_host(derived, smtp_server):
    client = derived.test_client()
    for host in ("localhost", "127.0.0.1:5000", "maengel.musterstadt.example"):
        resp = client.post(
            "/api/v1/reports", json=report_json(email="anna@example.org"), headers={"Host": host}
        )
        assert resp.status_code == 201, (host, resp.json)
        assert resp.json["tracking_url"].startswith("https://maengel.musterstadt.example/track/")
    with derived.app_context():
        send_pending()
    assert len(smtp_server.messages) == 3
    for mail in smtp_server.messages:
        assert "https://maengel.musterstadt.example/confirm/" in mail.get_content()
    for host in (EVIL, "maengel.musterstadt.example.evil.example", "evil.example:443"):
        assert client.get("/api/v1/reports", headers={"Host": host}).status_code == 400, host


@pytest.mark.parametrize("derived", [{"TRUSTED_HOSTS": [".musterstadt.example"]}], indirect=True)
def test_a_leading_dot_allows_subdomains(derived):
    client = derived.test_client()
    assert client.get("/api/v1/city", headers={"Host": "a.musterstadt.example"}).status_code == 200
    assert client.get("/api/v1/city", headers={"Host": "musterstadt.example"}).status_code == 200
    assert client.get("/api/v1/city", headers={"Host": "musterstadt.example.evil"}).status_code == (
        400
    )


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_refuses_a_foreign_host_in_its_own_error_format(client, fmt):
    resp = client.get(f"/open311/v2/services.{fmt}", headers={"Host": EVIL})
    assert resp.status_code == 400
    [error] = errors_of(resp, fmt)
    assert error["code"] == "400"
    assert " / " in error["description"]


def test_trusted_hosts_come_from_base_url_the_setting_and_loopback():
    settings = config.from_env(
        {
            "MAENGELMELDER_BASE_URL": "https://Maengel.Stadt.example:8443/app",
            "MAENGELMELDER_TRUSTED_HOSTS": " intern.stadt.example, .stadt.example ,",
        }
    )
    assert settings["TRUSTED_HOSTS"] == ["intern.stadt.example", ".stadt.example"]
    from maengelmelder.security import trusted_hosts

    assert trusted_hosts(settings) == [
        "localhost",
        "127.0.0.1",
        "maengel.stadt.example",
        "intern.stadt.example",
        ".stadt.example",
    ]
    assert trusted_hosts(config.from_env({})) == ["localhost", "127.0.0.1"]


def test_serve_refuses_to_start_with_mail_and_no_base_url(app, monkeypatch):
    from maengelmelder import cli

    started = []
    monkeypatch.setattr(cli, "_gunicorn", lambda *args: started.append(args))
    app.config.update(SMTP_URL="smtp://127.0.0.1:25", BASE_URL=None)
    result = app.test_cli_runner().invoke(args=["serve", "--port", str(_free_port())])
    assert started == []
    assert result.exit_code != 0
    assert "MAENGELMELDER_BASE_URL" in result.output
    assert "öffentliche Adresse" in result.output and "public address" in result.output


# --------------------------------------------------------------------------- forwarded headers


def test_proxy_fix_on_forwarded_proto_and_host_count(app):
    """Behind a proxy (PROXY_FIX on): its X-Forwarded-Proto makes the request HTTPS, and a
    forwarded host must be on the allow-list like any Host header."""
    proxied = create_app({**app.config, "BASE_URL": None, "PROXY_FIX": True})
    client = proxied.test_client()
    resp = client.post(
        "/api/v1/reports", json=report_json(), headers={"X-Forwarded-Proto": "https"}
    )
    assert resp.status_code == 201, resp.json
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")
    assert resp.json["tracking_url"].startswith("https://localhost/track/")
    evil = client.get("/api/v1/city", headers={"X-Forwarded-Host": EVIL})
    assert evil.status_code == 400
    with proxied.app_context():
        db.engine.dispose()


def test_without_proxy_fix_forwarded_headers_do_not_count(app):
    plain = create_app({**app.config, "BASE_URL": None})
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "maengel.test"}
    resp = plain.test_client().post("/api/v1/reports", json=report_json(), headers=headers)
    assert resp.status_code == 201
    assert "Strict-Transport-Security" not in resp.headers
    assert resp.json["tracking_url"].startswith("http://localhost/track/")
    with plain.app_context():
        db.engine.dispose()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def gunicorn(app, tmp_path: Path):
    """`maengelmelder serve` (gunicorn) on the test database (the demo city), without
    BASE_URL, PROXY_FIX or mail: how a city might start it behind a proxy on one machine."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    env = {
        "PATH": "/usr/bin:/bin",
        "MAENGELMELDER_DATABASE_URL": url,
        "MAENGELMELDER_INSTANCE_PATH": str(tmp_path / "instance"),
        "MAENGELMELDER_SECRET_KEY": "served",
        "MAENGELMELDER_FRONTEND_DIR": str(tmp_path / "no-frontend"),
        "MAENGELMELDER_RATELIMIT_ENABLED": "false",
        "MAENGELMELDER_INPROCESS_JOBS": "false",
    }
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "maengelmelder", "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # gunicorn says when its worker is up; read its log instead of sleeping.
        for line in server.stderr:
            if "Booting worker" in line:
                break
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_gunicorn_believes_no_forwarded_header_without_proxy_fix(gunicorn):
    """From 127.0.0.1 (gunicorn's default forwarded_allow_ips) a forged X-Forwarded-Proto
    made the request HTTPS: HSTS over plain HTTP, https:// tracking links."""
    import json

    forged = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Ssl": "on",
        "X-Forwarded-Protocol": "ssl",
        "X-Forwarded-Host": "maengel.test",
        "Content-Type": "application/json",
    }
    request = urllib.request.Request(
        f"{gunicorn}/api/v1/reports",
        data=json.dumps(report_json()).encode(),
        headers=forged,
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as resp:
        assert resp.status == 201
        assert resp.headers.get("Strict-Transport-Security") is None
        body = json.load(resp)
    assert body["tracking_url"].startswith(f"{gunicorn}/track/"), body["tracking_url"]
