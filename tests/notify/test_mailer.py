"""The mailers on their own: SMTP URLs, login, TLS, reconnecting, the config switch."""

from __future__ import annotations

import shutil
import smtplib
import ssl
import subprocess
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from maengelmelder.core.settings import MailSettings
from maengelmelder.notify.mailer import LogMailer, SmtpMailer, build_email, make_mailer
from maengelmelder.notify.models import OutboxMessage
from tests.conftest import START


def message(**overrides) -> OutboxMessage:
    """A transient outbox row, enough for a mailer (no database needed)."""
    values = {
        "id": 7,
        "created_at": START,
        "kind": "digest",
        "recipient": "leitung@musterstadt.example",
        "lang": "de",
        "subject": "Fristen-Übersicht: 2 überschritten, 0 gefährdet",
        "body": "Guten Tag,\n\nÄrger über Straßenschäden – zwei Fristen sind überschritten.\n",
    }
    values.update(overrides)
    return OutboxMessage(**values)


@pytest.mark.parametrize(
    ("url", "scheme", "port"),
    [
        ("smtp://mail.example.org", "smtp", 25),
        ("smtp://mail.example.org:2525", "smtp", 2525),
        ("smtp+starttls://mail.example.org", "smtp+starttls", 587),
        ("SMTPS://mail.example.org", "smtps", 465),
    ],
)
def test_smtp_url_schemes_and_default_ports(url, scheme, port):
    mailer = SmtpMailer(url, "a@example.org")
    assert (mailer.scheme, mailer.host, mailer.port) == (scheme, "mail.example.org", port)
    assert mailer.username is None


def test_credentials_are_percent_decoded_and_never_shown():
    mailer = SmtpMailer("smtps://mail%40city:p%40ss%3Aw%2Frd@mail.example.org", "a@example.org")
    assert mailer.username == "mail@city"
    assert mailer._password == "p@ss:w/rd"
    assert "p@ss" not in repr(mailer) and "p%40ss" not in repr(mailer)


@pytest.mark.parametrize(
    ("url", "names"),
    [
        ("http://user:geheim123@mail.example.org", "'http'"),
        ("smtp+ssl://user:geheim123@mail.example.org", "'smtp+ssl'"),
        ("user:geheim123@mail.example.org", "'user'"),
        ("smtp://user:geheim123@mail.example.org:notaport", "port"),
        ("smtp://user:geheim123@:25", "host"),
    ],
)
def test_a_bad_url_is_rejected_without_showing_the_password(url, names):
    with pytest.raises(ValueError) as info:
        SmtpMailer(url, "a@example.org")
    assert names in str(info.value)
    assert "geheim123" not in str(info.value)
    assert "geheim123" not in str(info.value.__context__)


def test_mailer_from_settings():
    log_mailer = make_mailer(MailSettings.from_config({"SMTP_URL": None, "MAIL_FROM": None}))
    assert isinstance(log_mailer, LogMailer)
    assert log_mailer.sender == "maengelmelder@localhost"
    assert isinstance(make_mailer(MailSettings.from_config({})), LogMailer)

    smtp = make_mailer(
        MailSettings.from_config(
            {"SMTP_URL": "smtp+starttls://relay.example.org", "MAIL_FROM": "noreply@city.example"}
        )
    )
    assert isinstance(smtp, SmtpMailer)
    assert (smtp.host, smtp.port, smtp.sender, smtp.timeout) == (
        "relay.example.org",
        587,
        "noreply@city.example",
        10,
    )
    with pytest.raises(ValueError, match="'ftp'"):
        make_mailer(MailSettings.from_config({"SMTP_URL": "ftp://relay.example.org"}))


def test_the_email_carries_every_header_and_utf8_text():
    mail = build_email(message(), "Mängelmelder <noreply@city.example>")
    assert mail["Message-ID"] == f"<outbox-7.{int(START.timestamp())}@maengelmelder>"
    assert mail["Date"] == "Tue, 10 Mar 2026 09:00:00 +0000"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["Content-Type"] == 'text/plain; charset="utf-8"'
    wire = mail.as_bytes()
    assert b"Subject: =?utf-8?" in wire  # umlauts encoded per RFC 2047, headers stay ASCII
    assert wire.isascii()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_login_with_a_percent_encoded_password(start_smtp):
    seen: list[tuple[bytes, bytes]] = []

    def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        seen.append((auth_data.login, auth_data.password))
        ok = (auth_data.login, auth_data.password) == (b"mail user", b"p@ss:w/rd")
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535

    # Only PLAIN, so a refusal is one round trip.
    server = start_smtp(
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=False,
        auth_exclude_mechanism=["LOGIN"],
    )
    url = f"smtp://mail%20user:p%40ss%3Aw%2Frd@127.0.0.1:{server.port}"
    mailer = SmtpMailer(url, "noreply@city.example")
    mailer.send(message())
    mailer.close()
    assert seen == [(b"mail user", b"p@ss:w/rd")]
    [mail] = server.messages
    assert mail["Subject"] == "Fristen-Übersicht: 2 überschritten, 0 gefährdet"
    assert "Ärger über Straßenschäden" in mail.get_content()

    wrong = SmtpMailer(f"smtp://mail%20user:falsch@127.0.0.1:{server.port}", "x@city.example")
    with pytest.raises(smtplib.SMTPAuthenticationError):
        wrong.send(message())
    assert len(server.messages) == 1


def test_one_connection_per_batch_and_a_reconnect_when_it_was_dropped(start_smtp):
    first = start_smtp()
    mailer = SmtpMailer(first.url, "noreply@city.example")
    mailer.send(message(id=1))
    mailer.send(message(id=2))
    first.stop()  # drops the open connection
    second = start_smtp(port=first.port)
    mailer.send(message(id=3))
    mailer.close()
    mailer.close()  # closing twice is harmless
    assert [m["Message-ID"].split(".")[0] for m in first.messages] == ["<outbox-1", "<outbox-2"]
    assert [m["Message-ID"].split(".")[0] for m in second.messages] == ["<outbox-3"]


@pytest.fixture
def certificate(tmp_path: Path, monkeypatch) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 that the default SSL context trusts."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"),
            *("-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-keyout", str(key)),
            *("-out", str(cert), "-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    # ssl.create_default_context() reads this when the mailer connects.
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    return cert, key


def _server_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def test_starttls(start_smtp, certificate):
    context = _server_context(*certificate)
    server = start_smtp(scheme="smtp+starttls", tls_context=context, require_starttls=True)
    mailer = SmtpMailer(server.url, "noreply@city.example")
    mailer.send(message())
    mailer.close()
    assert len(server.messages) == 1

    plain = SmtpMailer(f"smtp://127.0.0.1:{server.port}", "noreply@city.example")
    with pytest.raises(OSError):  # the server insists on STARTTLS
        plain.send(message())


def test_smtps(start_smtp, certificate):
    server = start_smtp(scheme="smtps", ssl_context=_server_context(*certificate))
    mailer = SmtpMailer(server.url, "noreply@city.example")
    mailer.send(message())
    mailer.close()
    assert server.messages[0]["Subject"] == "Fristen-Übersicht: 2 überschritten, 0 gefährdet"


def test_tls_refuses_an_untrusted_certificate(start_smtp, certificate, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE")
    server = start_smtp(scheme="smtps", ssl_context=_server_context(*certificate))
    with pytest.raises(ssl.SSLCertVerificationError):
        SmtpMailer(server.url, "noreply@city.example").send(message())
    assert server.messages == []
