"""The three ways a delivery leaves: Open311 POST, a signed webhook, an e-mail.

Each `send_*` raises `Refused` (the other side said no for good: no retry) or `Trouble` (try
again later) with a clear text, or returns what the other side answered that we keep. Every
outbound request has a timeout and reads at most `MAX_ANSWER` bytes of the answer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import requests

from .models import Delivery, Destination

MAX_ANSWER = 64 * 1024
TIMEOUT = (5.0, 15.0)  # connect, read (seconds)
USER_AGENT = "maengelmelder-forwarding/1"


class Trouble(Exception):
    """A failed attempt worth another try (unreachable, timeout, 5xx, an answer we cannot use)."""


class Refused(Exception):
    """The other side refused the delivery for good (a 4xx other than 408/429)."""


@dataclass(frozen=True)
class Answer:
    remote_id: str | None = None
    remote_token: str | None = None


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256 over `timestamp + "." + body`."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def _post(url: str, *, timeout: tuple[float, float], **kwargs: Any) -> tuple[int, bytes]:
    """POST, read at most MAX_ANSWER bytes of the answer; network trouble as `Trouble`."""
    return _request("POST", url, timeout=timeout, allow_redirects=False, **kwargs)


def _request(
    method: str, url: str, *, timeout: tuple[float, float], **kwargs: Any
) -> tuple[int, bytes]:
    """One request whose answer is read up to MAX_ANSWER bytes; network trouble as `Trouble`."""
    headers = {"User-Agent": USER_AGENT, **kwargs.pop("headers", {})}
    try:
        with requests.request(
            method, url, headers=headers, timeout=timeout, stream=True, **kwargs
        ) as resp:
            body = resp.raw.read(MAX_ANSWER + 1, decode_content=True)
            status = resp.status_code
    except requests.Timeout as exc:
        raise Trouble(f"timeout after {timeout[1]:g} s: {type(exc).__name__}") from exc
    except (requests.RequestException, OSError) as exc:
        raise Trouble(f"not reachable: {type(exc).__name__}: {exc}"[:500]) from exc
    if len(body) > MAX_ANSWER:
        raise Trouble(f"HTTP {status}, answer longer than {MAX_ANSWER} bytes")
    return status, body


def _check_status(status: int, body: bytes) -> None:
    if 200 <= status < 300:
        return
    text = f"HTTP {status}: {body[:300].decode('utf-8', 'replace')}".strip()
    if 400 <= status < 500 and status not in (408, 425, 429):
        raise Refused(text)
    raise Trouble(text)


def open311_form(destination: Destination, delivery: Delivery, media_url: str | None) -> dict:
    """The form of an Open311 POST requests.json for this delivery."""
    data = delivery.payload
    codes = destination.service_codes or {}
    service_code = codes.get(data["category"])
    if not service_code:
        raise Refused(f"no service_code for the category {data['category']!r} in the mapping")
    description = data["description"] or data["category_name"]["de"]
    if data.get("note"):
        description = f"{description}\n\n{data['note']}"
    form = {
        "api_key": destination.api_key or "",
        "service_code": service_code,
        "lat": repr(data["lat"]),
        "long": repr(data["lon"]),
        "description": description[:4000],
        "attribute[maengelmelder_delivery]": delivery.key,
    }
    if destination.jurisdiction_id:
        form["jurisdiction_id"] = destination.jurisdiction_id
    if data.get("address"):
        form["address_string"] = data["address"]
    if media_url:
        form["media_url"] = media_url
    return form


def send_open311(
    destination: Destination,
    delivery: Delivery,
    media_url: str | None = None,
    timeout: tuple[float, float] = TIMEOUT,
) -> Answer:
    """POST requests.json; their service_request_id (or token) is the answer kept."""
    url = f"{(destination.url or '').rstrip('/')}/requests.json"
    form = open311_form(destination, delivery, media_url)
    status, body = _post(url, data=form, headers={"Idempotency-Key": delivery.key}, timeout=timeout)
    _check_status(status, body)
    try:
        answer = json.loads(body)
    except ValueError as exc:
        raise Trouble(
            f"HTTP {status}, not JSON: {body[:200].decode('utf-8', 'replace')!r}"
        ) from exc
    if isinstance(answer, dict):  # Mark-a-Spot answers an object
        answer = [answer]
    first = answer[0] if isinstance(answer, list) and answer else None
    if not isinstance(first, dict):
        raise Trouble(f"HTTP {status}, not an Open311 answer: {body[:200]!r}")
    remote_id, token = first.get("service_request_id"), first.get("token")
    if not isinstance(remote_id, str | int) and not isinstance(token, str | int):
        raise Trouble(f"HTTP {status}, neither service_request_id nor token: {body[:200]!r}")
    return Answer(
        remote_id=str(remote_id)[:255] if remote_id is not None else None,
        remote_token=str(token)[:255] if token is not None and remote_id is None else None,
    )


def webhook_body(delivery: Delivery, photos: list[str]) -> bytes:
    return json.dumps(
        {"delivery": delivery.key, "report": {**delivery.payload, "photos": photos}},
        ensure_ascii=False,
        sort_keys=True,
    ).encode()


def send_webhook(
    destination: Destination,
    delivery: Delivery,
    photos: list[str],
    timeout: tuple[float, float] = TIMEOUT,
    timestamp: int | None = None,
) -> Answer:
    """POST the signed JSON body; any 2xx is delivered."""
    body = webhook_body(delivery, photos)
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Idempotency-Key": delivery.key,
        "X-Maengelmelder-Timestamp": stamp,
        "X-Maengelmelder-Signature": signature(destination.secret or "", stamp, body),
    }
    status, answer = _post(destination.url or "", data=body, headers=headers, timeout=timeout)
    _check_status(status, answer)
    return Answer()


def _german_text(delivery: Delivery, photos: list[str], city: str, link: str | None) -> str:
    data = delivery.payload
    lines = [
        f"Guten Tag,\n\ndie Stadt {city} gibt Ihnen diese Meldung zur Erledigung weiter.\n",
        f"Meldung: {data['report']}",
        f"Kategorie: {data['category_name']['de']}",
        f"Ort: {data.get('address') or '—'} ({data['lat']:.6f}, {data['lon']:.6f})",
        f"Gemeldet am: {data['created_at']}",
        "",
        "Beschreibung:",
        data["description"] or "—",
    ]
    if data.get("note"):
        lines += ["", "Hinweis der Stadt:", data["note"]]
    if photos:
        lines += ["", f"Fotos im Anhang: {len(photos)}"]
    lines += [
        "",
        "Im Anhang: die Meldung als JSON und als GeoJSON.",
        *(
            [
                "",
                "Bitte melden Sie über diesen Link, wenn Sie die Meldung angenommen oder erledigt",
                "haben, oder geben Sie sie mit einem Grund an die Stadt zurück (kein Konto nötig;",
                "der Link gilt, bis die Meldung abgeschlossen ist):",
                link,
                "",
            ]
            if link
            else []
        ),
        f"Zustellungsnummer: {delivery.key}",
    ]
    return "\n".join(lines) + "\n"


def build_mail(
    destination: Destination,
    delivery: Delivery,
    photos: list[tuple[str, bytes]],
    *,
    sender: str,
    city: str,
    link: str | None = None,
) -> EmailMessage:
    """The mail to the body: German text, JSON and GeoJSON attachments, the public photos.

    Its Message-ID is the delivery's key, so a receiver recognises a copy sent twice.
    """
    data = delivery.payload
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = destination.email or ""
    mail["Subject"] = f"Meldung {data['report']}: {data['category_name']['de']}"
    mail["Date"] = format_datetime(delivery.created_at)
    mail["Message-ID"] = f"<delivery-{delivery.key}@maengelmelder>"
    mail["Auto-Submitted"] = "auto-generated"
    names = [name for name, _ in photos]
    mail.set_content(
        _german_text(delivery, names, city, link), charset="utf-8", cte="quoted-printable"
    )
    mail["Content-Language"] = "de"
    as_json = json.dumps({**data, "photos": names}, ensure_ascii=False, indent=2).encode()
    mail.add_attachment(
        as_json, maintype="application", subtype="json", filename=f"{data['report']}.json"
    )
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [data["lon"], data["lat"]]},
        "properties": {k: v for k, v in data.items() if k not in ("lat", "lon")},
    }
    mail.add_attachment(
        json.dumps(feature, ensure_ascii=False).encode(),
        maintype="application",
        subtype="geo+json",
        filename=f"{data['report']}.geojson",
    )
    for name, blob in photos:
        mail.add_attachment(blob, maintype="image", subtype="jpeg", filename=name)
    return mail


def check_open311(destination: Destination, timeout: tuple[float, float] = TIMEOUT) -> str:
    """Reachability of an Open311 endpoint: GET services.json (files nothing there)."""
    url = f"{(destination.url or '').rstrip('/')}/services.json"
    params = {"jurisdiction_id": destination.jurisdiction_id} if destination.jurisdiction_id else {}
    status, body = _request("GET", url, params=params, timeout=timeout)
    _check_status(status, body)
    try:
        services = json.loads(body)
    except ValueError as exc:
        raise Trouble(f"HTTP {status}, services.json is not JSON") from exc
    if not isinstance(services, list):
        raise Trouble(f"HTTP {status}, services.json is not a list")
    return f"HTTP {status}, {len(services)} services"


def check_webhook(destination: Destination, timeout: tuple[float, float] = TIMEOUT) -> str:
    """Reachability of a webhook: one signed POST of `{"test": true}`."""
    body = json.dumps({"test": True}).encode()
    stamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Maengelmelder-Timestamp": stamp,
        "X-Maengelmelder-Signature": signature(destination.secret or "", stamp, body),
    }
    status, answer = _post(destination.url or "", data=body, headers=headers, timeout=timeout)
    _check_status(status, answer)
    return f"HTTP {status}"


def open311_status(
    destination: Destination, remote_id: str, timeout: tuple[float, float] = TIMEOUT
) -> tuple[str, str | None]:
    """Their `status` (`open`/`closed`) and `status_notes` of one request we filed there."""
    url = f"{(destination.url or '').rstrip('/')}/requests.json"
    params = {"service_request_id": remote_id}
    if destination.jurisdiction_id:
        params["jurisdiction_id"] = destination.jurisdiction_id
    status, body = _request("GET", url, params=params, timeout=timeout)
    _check_status(status, body)
    try:
        answer = json.loads(body)
    except ValueError as exc:
        raise Trouble(f"HTTP {status}, not JSON") from exc
    found = [
        r
        for r in (answer if isinstance(answer, list) else [])
        if isinstance(r, dict) and str(r.get("service_request_id")) == remote_id
    ]
    if not found or found[0].get("status") not in ("open", "closed"):
        raise Trouble(f"HTTP {status}, request {remote_id} not in the answer")
    notes = found[0].get("status_notes")
    return found[0]["status"], (notes[:2000] if isinstance(notes, str) and notes else None)
