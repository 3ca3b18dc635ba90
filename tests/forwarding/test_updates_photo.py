"""A signed webhook update with a photo: "resolved" may carry one inline (base64), stored like
the link page's photo and public once its privacy pass ran; a bad photo writes nothing, a
replay adds no second photo, and the body's size is capped before it is read."""

from __future__ import annotations

import base64
import json
import socket
import threading
from collections.abc import Iterator

import pytest
import redis
from rq import Queue
from werkzeug.serving import make_server

from maengelmelder.forwarding.channels import signature
from maengelmelder.forwarding.inbound import body_cap
from maengelmelder.jobs import SLOW_QUEUE
from maengelmelder.reports.passes import PRIVACY_PASS
from tests import images
from tests.passes import run_privacy_passes
from tests.reports.helpers import media_files

from .helpers import destination, external_updates, file_ticket, forward, report_row

URL = "/api/v1/forwarding/updates"
SMALL = images.phone_jpeg(width=400, height=300)  # about 42 KB
TINY = images.phone_jpeg(width=40, height=30)


def _handed_over(client, admin_headers, **filed) -> tuple[str, str, str]:
    target = destination(client, admin_headers, channel="webhook", url="http://127.0.0.1:9/hook")
    public_id = file_ticket(client, **filed)["report"]["public_id"]
    key = forward(client, admin_headers, public_id, target["id"])["delivery"]["key"]
    return public_id, key, target["secret"]


def _photo(blob: bytes) -> dict:
    return {"content_type": "image/jpeg", "data": base64.b64encode(blob).decode()}


def _signed(secret: str, body: bytes, stamp: int) -> dict:
    return {
        "Content-Type": "application/json",
        "X-Maengelmelder-Timestamp": str(stamp),
        "X-Maengelmelder-Signature": signature(secret, str(stamp), body),
    }


def _post(client, secret: str, update: dict | bytes, stamp: int, *, sign_with: str = ""):
    body = update if isinstance(update, bytes) else json.dumps(update).encode()
    return client.post(URL, data=body, headers=_signed(sign_with or secret, body, stamp))


def _after_photos(client, admin_headers, public_id: str) -> list[dict]:
    ticket = client.get(f"/api/v1/tickets/{public_id}", headers=admin_headers).json
    return [p for p in ticket["photos"] if p["kind"] == "after"]


def _empty_slow_queue(redis_url: str) -> None:
    connection = redis.Redis.from_url(redis_url)
    try:
        Queue(SLOW_QUEUE, connection=connection).empty()
    finally:
        connection.close()


def _queued_passes(redis_url: str) -> list[tuple]:
    connection = redis.Redis.from_url(redis_url)
    try:
        jobs = Queue(SLOW_QUEUE, connection=connection).get_jobs()
        return [job.args for job in jobs if job.args and job.args[0] == PRIVACY_PASS]
    finally:
        connection.close()


def test_a_resolved_update_with_a_photo_stores_it_and_shows_it_once_clean(
    app, client, admin_headers, clock, media_dir, redis_url
):
    app.config["REDIS_URL"] = redis_url  # so the privacy pass is queued where a test can see it
    _empty_slow_queue(redis_url)
    public_id, key, secret = _handed_over(client, admin_headers, email="erika@example.org")
    stamp = int(clock().timestamp())
    done = {"delivery": key, "status": "resolved", "note": "Leuchte getauscht"}
    body = json.dumps({**done, "photo": _photo(images.phone_jpeg(width=1200, height=900))})
    assert len(body) > 16 * 1024

    resp = _post(client, secret, body.encode(), stamp)
    assert resp.status_code == 200, resp.json
    assert resp.json["recorded"] is True and resp.json["status"] == "resolved"

    (after,) = _after_photos(client, admin_headers, public_id)
    (event,) = external_updates(app, public_id)
    assert event["status"] == "resolved" and event["photos"] == [after["id"]]
    assert _queued_passes(redis_url) == [(PRIVACY_PASS, after["id"])]

    public = client.get(f"/api/v1/reports/{public_id}").json
    assert "after" not in [p["kind"] for p in public["photos"]]  # not before its privacy pass
    run_privacy_passes(app)
    (after,) = _after_photos(client, admin_headers, public_id)
    public = client.get(f"/api/v1/reports/{public_id}").json
    assert ("after", after["url"]) in [(p["kind"], p["url"]) for p in public["photos"]]
    data = client.get(after["url"]).data
    assert b"Exif\x00\x00" not in data and images.SECRET_COMMENT not in data

    # The body's sender retries the same update: answered, no second photo, no second event.
    files = media_files(media_dir)
    again = _post(client, secret, body.encode(), stamp)
    assert again.status_code == 200, again.json
    assert again.json["recorded"] is False
    assert len(_after_photos(client, admin_headers, public_id)) == 1
    assert len(external_updates(app, public_id)) == 1
    assert media_files(media_dir) == files


def test_a_photo_without_a_content_type_is_taken_by_its_bytes(app, client, admin_headers, clock):
    public_id, key, secret = _handed_over(client, admin_headers)
    photo = {"data": base64.b64encode(SMALL).decode()}
    update = {"delivery": key, "status": "resolved", "photo": photo}
    resp = _post(client, secret, update, int(clock().timestamp()))
    assert resp.status_code == 200, resp.json
    assert len(_after_photos(client, admin_headers, public_id)) == 1


def _body(key: str, case: str) -> bytes:
    update = {"delivery": key, "status": "resolved", "note": "erledigt"}
    one = _photo(TINY)
    if case == "bad-base64":
        return json.dumps({**update, "photo": {"data": "kein*base64!"}}).encode()
    if case == "line-breaks":
        data = base64.encodebytes(SMALL).decode()  # MIME style, a line break every 76
        return json.dumps({**update, "photo": {"data": data}}).encode()
    if case == "not-an-image":
        return json.dumps({**update, "photo": _photo(b"just some words\n")}).encode()
    if case == "text-as-jpg":
        return json.dumps({**update, "photo": _photo(images.text_as_jpg())}).encode()
    if case == "empty":
        return json.dumps({**update, "photo": {"data": ""}}).encode()
    if case == "too-large":  # over MAX_PHOTO_BYTES, but within the body's cap
        return json.dumps({**update, "photo": _photo(SMALL)}).encode()
    if case == "acknowledged":
        return json.dumps({**update, "status": "acknowledged", "photo": one}).encode()
    if case == "returned":
        return json.dumps({**update, "status": "returned", "photo": one}).encode()
    if case == "two-in-a-list":
        return json.dumps({**update, "photo": [one, one]}).encode()
    if case == "photos":
        return json.dumps({**update, "photos": [one]}).encode()
    if case == "photo-twice":
        text = json.dumps({**update, "photo": one})
        return (text[:-1] + ', "photo": ' + json.dumps(one) + "}").encode()
    if case == "url":
        return json.dumps({**update, "photo": "https://example.org/nachher.jpg"}).encode()
    if case == "other-field":
        return json.dumps({**update, "photo": {**one, "url": "https://example.org/a"}}).encode()
    if case == "bad-type":
        return json.dumps({**update, "photo": {**one, "content_type": "text/plain"}}).encode()
    raise AssertionError(case)


@pytest.mark.parametrize(
    ("case", "status", "field", "says"),
    [
        ("bad-base64", 422, "photo", "Base64"),
        ("line-breaks", 422, "photo", "Base64"),
        ("not-an-image", 422, "photo", "Foto 1"),
        ("text-as-jpg", 422, "photo", "Foto 1"),
        ("empty", 422, "photo", "Foto 1"),
        ("too-large", 413, "photo", "Foto 1"),
        ("acknowledged", 422, "photo", "nur mit dem Status resolved"),
        ("returned", 422, "photo", "nur mit dem Status resolved"),
        ("two-in-a-list", 422, "photo", "höchstens ein Foto"),
        ("photos", 422, "photo", "höchstens ein Foto"),
        ("photo-twice", 422, "photo", "höchstens ein Foto"),
        ("url", 422, "photo", "Objekt mit „data“"),
        ("other-field", 422, "photo", "Objekt mit „data“"),
        ("bad-type", 422, "photo", "Objekt mit „data“"),
    ],
)
def test_a_bad_photo_is_refused_and_writes_nothing(
    app, client, admin_headers, clock, media_dir, case, status, field, says
):
    public_id, key, secret = _handed_over(client, admin_headers)
    app.config["MAX_PHOTO_BYTES"] = 40_000  # SMALL is over it; the body's cap grows with it
    files = media_files(media_dir)
    version = report_row(app, public_id).version

    resp = _post(client, secret, _body(key, case), int(clock().timestamp()))
    assert resp.status_code == status, resp.json
    (message,) = resp.json["error"]["fields"][field]
    assert says in message["de"] and message["en"] and message["en"] != message["de"]

    assert media_files(media_dir) == files
    report = report_row(app, public_id)
    assert report.status == "waiting_external" and report.version == version
    assert external_updates(app, public_id) == []
    assert _after_photos(client, admin_headers, public_id) == []


def test_the_signature_is_checked_before_the_photo_is_looked_at(app, client, admin_headers, clock):
    public_id, key, secret = _handed_over(client, admin_headers)
    body = _body(key, "bad-base64")
    wrong = _post(client, secret, body, int(clock().timestamp()), sign_with="not-the-secret")
    assert wrong.status_code == 401
    assert wrong.json["error"]["code"] == "update_signature_invalid"

    # The signature covers the photo: a photo swapped under a valid signature is refused.
    good = json.dumps({"delivery": key, "status": "resolved", "photo": _photo(SMALL)}).encode()
    stamp = int(clock().timestamp())
    headers = _signed(secret, good, stamp)
    swapped = good.replace(b'"data": "', b'"data": "AAAA', 1)
    assert client.post(URL, data=swapped, headers=headers).status_code == 401
    assert external_updates(app, public_id) == []


def test_without_a_photo_the_body_stays_capped_at_16_kb(app, client, admin_headers, clock):
    public_id, key, secret = _handed_over(client, admin_headers)
    update = {"delivery": key, "status": "resolved", "padding": "x" * (16 * 1024)}
    resp = _post(client, secret, update, int(clock().timestamp()))
    assert resp.status_code == 413
    assert resp.json["error"]["code"] == "update_too_large"
    assert "16 KB" in resp.json["error"]["message"]["de"]
    assert "16 KB" in resp.json["error"]["message"]["en"]
    assert external_updates(app, public_id) == []


def test_a_body_over_the_photo_cap_is_refused(app, client, admin_headers, clock, media_dir):
    public_id, key, secret = _handed_over(client, admin_headers)
    app.config["MAX_PHOTO_BYTES"] = 40_000
    files = media_files(media_dir)
    big = images.phone_jpeg(width=1200, height=900)
    update = {"delivery": key, "status": "resolved", "photo": _photo(big)}
    body = json.dumps(update).encode()
    assert len(body) > body_cap(app.config)

    resp = _post(client, secret, body, int(clock().timestamp()))
    assert resp.status_code == 413
    assert resp.json["error"]["code"] == "update_body_too_large"
    assert resp.json["error"]["message"]["de"] and resp.json["error"]["message"]["en"]
    assert media_files(media_dir) == files
    assert external_updates(app, public_id) == []


@pytest.fixture
def served(app) -> Iterator[tuple[str, int]]:
    """The app served on a free loopback port in a thread, shut down afterwards."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield "127.0.0.1", server.server_port
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def _answer(sock: socket.socket) -> tuple[int, dict]:
    """The status and JSON body of the HTTP answer read from the socket (until it closes)."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        length = [
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        ]
        if length and len(rest) >= length[0]:
            break
    head, _, rest = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(rest)


def test_an_oversized_declared_body_is_refused_before_it_is_sent(app, served):
    cap = body_cap(app.config)
    host, port = served
    with socket.create_connection((host, port), timeout=30) as sock:
        # Headers only: the app answers without waiting for a byte of the body.
        sock.sendall(
            f"POST {URL} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {cap + 1}\r\n\r\n".encode()
        )
        status, body = _answer(sock)
    assert status == 413
    assert body["error"]["code"] == "update_body_too_large"
    assert body["error"]["message"]["de"] and body["error"]["message"]["en"]


def test_a_chunked_body_is_cut_off_at_the_cap(app, served):
    app.config["MAX_PHOTO_BYTES"] = 40_000
    cap = body_cap(app.config)
    host, port = served
    chunk = b"x" * 16384
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.sendall(
            f"POST {URL} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        for _ in range(cap // len(chunk) + 2):
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        sock.sendall(b"0\r\n\r\n")
        status, body = _answer(sock)
    assert status == 413
    assert body["error"]["code"] == "update_body_too_large"


def test_a_body_longer_than_its_content_length_is_read_only_as_declared(
    app, served, client, admin_headers, clock
):
    public_id, key, secret = _handed_over(client, admin_headers)
    body = json.dumps({"delivery": key, "status": "acknowledged"}).encode()
    headers = _signed(secret, body, int(clock().timestamp()))
    host, port = served
    head = f"POST {URL} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(body)}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.sendall(head.encode() + b"\r\n" + body + b"x" * (1024 * 1024))
        status, answer = _answer(sock)
    assert status == 200, answer
    assert answer["recorded"] is True
    assert [e["status"] for e in external_updates(app, public_id)] == ["acknowledged"]
