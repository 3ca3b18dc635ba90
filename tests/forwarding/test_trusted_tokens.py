"""Trusted sources: an API token marked trusted files reports that are public at once."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from maengelmelder.core.models import Report
from maengelmelder.extensions import db
from tests import images
from tests.open311.conftest import INSIDE, ROOT
from tests.passes import run_privacy_passes
from tests.reports.helpers import post_multipart
from tests.tickets.helpers import CENTRE


def _token(client, admin_headers, **fields) -> dict:
    body = {"name": "Stadtwerke-App", "role": "crew", "departments": ["tiefbau"], **fields}
    resp = client.post("/api/v1/admin/tokens", json=body, headers=admin_headers)
    assert resp.status_code == 201, resp.json
    return resp.json


def _file(client, api_key: str) -> str:
    """An Open311 client files a request with a photo; its service_request_id."""
    resp = client.post(
        f"{ROOT}/requests.json",
        data={
            "api_key": api_key,
            "service_code": "schlagloch",
            **INSIDE,
            "description": "Loch an der Ecke",
            "email": "erika@example.org",
            "media": (io.BytesIO(images.phone_jpeg(width=800, height=600, gps=None)), "p.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 201, resp.get_data(as_text=True)
    return resp.json[0]["service_request_id"]


def _read_back(client, request_id: str) -> dict:
    resp = client.get(f"{ROOT}/requests/{request_id}.json")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    (item,) = resp.json
    return item


def test_a_trusted_tokens_request_reads_back_at_once_and_its_photo_after_the_pass(
    app, client, admin_headers
):
    trusted = _token(client, admin_headers, trusted=True)
    assert trusted["trusted"] is True
    request_id = _file(client, trusted["token"])
    item = _read_back(client, request_id)
    assert item["description"] == "Loch an der Ecke"
    assert item["media_url"] is None  # the photo waits for its privacy pass
    run_privacy_passes(app)
    assert _read_back(client, request_id)["media_url"].endswith("-web.jpg")

    history = client.get(f"/api/v1/tickets/{request_id}", headers=admin_headers).json
    events = history.get("events") or history["history"]
    (published,) = [e for e in events if e["kind"] == "published"]
    assert published["actor"] == f"token:{trusted['id']}"
    assert published["data"]["trusted_token"] == {
        "name": "Stadtwerke-App",
        "prefix": trusted["prefix"],
    }


def test_an_untrusted_tokens_request_waits_for_staff(app, client, admin_headers):
    plain = _token(client, admin_headers)
    assert plain["trusted"] is False
    request_id = _file(client, plain["token"])
    run_privacy_passes(app)
    item = _read_back(client, request_id)
    assert item["description"] == "" and item["media_url"] is None


def test_admins_mark_a_token_trusted_and_back(app, client, admin_headers):
    made = _token(client, admin_headers)
    path = f"/api/v1/admin/tokens/{made['id']}"
    changed = client.patch(path, json={"trusted": True}, headers=admin_headers)
    assert changed.status_code == 200 and changed.json["trusted"] is True
    tokens = client.get("/api/v1/admin/tokens", headers=admin_headers).json
    assert {t["id"]: t["trusted"] for t in tokens}[made["id"]] is True
    assert _read_back(client, _file(client, made["token"]))["description"] == "Loch an der Ecke"

    back = client.patch(path, json={"trusted": False}, headers=admin_headers)
    assert back.status_code == 200 and back.json["trusted"] is False
    assert _read_back(client, _file(client, made["token"]))["description"] == ""

    for body in ({"trusted": "vielleicht"}, {}, {"trusted": True, "role": "admin"}):
        resp = client.patch(path, json=body, headers=admin_headers)
        assert resp.status_code == 422, (body, resp.json)
        assert resp.json["error"]["message"]["de"] and resp.json["error"]["message"]["en"]
    missing = client.patch(
        "/api/v1/admin/tokens/999999", json={"trusted": True}, headers=admin_headers
    )
    assert missing.status_code == 404


def test_the_native_api_takes_a_trusted_token_and_refuses_a_wrong_one(app, client, admin_headers):
    trusted = _token(client, admin_headers, trusted=True)
    body = {"category": "schlagloch", "description": "Loch am Markt", **CENTRE}
    headers = {"Authorization": f"Bearer {trusted['token']}"}
    resp = post_multipart(client, body, [images.phone_jpeg(width=800, height=600)], headers)
    assert resp.status_code == 201, resp.json
    public_id = resp.json["report"]["public_id"]
    public = client.get(f"/api/v1/reports/{public_id}").json
    assert public["published"] is True and public["description"] == "Loch am Markt"

    with app.app_context():
        before = db.session.scalar(select(func.count(Report.id)))
        db.session.remove()
    for wrong in ("Bearer mm_not-a-token", "Basic abc"):
        refused = client.post("/api/v1/reports", json=body, headers={"Authorization": wrong})
        assert refused.status_code == 401, refused.json
        assert refused.json["error"]["message"]["de"] != refused.json["error"]["message"]["en"]
    with app.app_context():
        assert db.session.scalar(select(func.count(Report.id))) == before
        db.session.remove()
    # Without the header, a citizen's report is as it always was: not public yet.
    citizen = client.post("/api/v1/reports", json=body)
    assert citizen.status_code == 201
    assert (
        client.get(f"/api/v1/reports/{citizen.json['report']['public_id']}").json["published"]
        is False
    )


def test_a_trusted_token_vouches_for_its_sender_but_the_block_list_still_holds(
    app, client, admin_headers
):
    app.config["CONFIRM_UNKNOWN_EMAILS"] = True
    trusted = _token(client, admin_headers, trusted=True)
    plain = _token(client, admin_headers)
    # An address never confirmed: the trusted source's report is public, the other one held.
    assert _read_back(client, _file(client, trusted["token"]))["description"] == "Loch an der Ecke"
    held = _file(client, plain["token"])
    assert client.get(f"{ROOT}/requests/{held}.json").status_code == 404

    blocked = client.post(
        "/api/v1/admin/blocklist", json={"pattern": "@example.org"}, headers=admin_headers
    )
    assert blocked.status_code == 201, blocked.json
    request_id = _file(client, trusted["token"])
    assert client.get(f"{ROOT}/requests/{request_id}.json").status_code == 404
    history = client.get(f"/api/v1/tickets/{request_id}", headers=admin_headers).json
    kinds = [e["kind"] for e in history.get("events") or history["history"]]
    assert "held" in kinds and "published" not in kinds
