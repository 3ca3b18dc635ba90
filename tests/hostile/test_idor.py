"""Insecure direct object references: tokens, public ids, foreign tickets, tokens of others.

What the product promises (README "Privacy", "Tickets, exactly"; docs/open-data.md): a
tracking token reads and acts on its own report only; a wrong token and a report that is not
there answer alike; public ids show no personal data and, until published, no citizen text or
photo; staff act only on their departments' tickets; API tokens belong to the city, not to an
account: only admins manage them (any admin any token), and a revoked token is dead at once.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests import images
from tests.hostile.helpers import changed_tables, snapshot
from tests.reports.helpers import post_multipart, report_json
from tests.tickets.helpers import file_ticket


class Desk:
    """Staff actions by bearer token (the Tiefbauamt's supervisor unless told otherwise)."""

    def __init__(self, client, token: str) -> None:
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    def etag(self, public_id: str) -> str:
        return self.client.get(f"/api/v1/tickets/{public_id}", headers=self.headers).headers["ETag"]

    def act(self, public_id: str, action: str, body: dict):
        headers = {**self.headers, "If-Match": self.etag(public_id)}
        return self.client.post(f"/api/v1/tickets/{public_id}/{action}", json=body, headers=headers)


@pytest.fixture
def desk(client, staff) -> Desk:
    return Desk(client, staff.token("supervisor", "tiefbau"))


def _file(client, email: str, description: str) -> tuple[str, str]:
    created = file_ticket(client, email=email, description=description)
    return created["report"]["public_id"], created["tracking_token"]


# --------------------------------------------------------------------------- tracking tokens


def test_a_tracking_token_reads_and_acts_on_its_own_report_only(app, client, desk):
    a, token_a = _file(client, "anna@example.org", "Loch A")
    b, token_b = _file(client, "bernd@example.org", "Loch B")
    for public_id in (a, b):
        assert desk.act(public_id, "transition", {"to": "resolved"}).status_code == 200

    seen = client.get(f"/api/v1/track/{token_a}").json
    assert seen["public_id"] == a and seen["description"] == "Loch A"
    assert "bernd" not in str(seen) and "Loch B" not in str(seen)

    assert (
        client.post(f"/api/v1/track/{token_a}/reopen", json={"note": "A noch da"}).status_code
        == 200
    )
    assert client.post(f"/api/v1/track/{token_b}/confirm").status_code == 200
    statuses = {r: client.get(f"/api/v1/reports/{r}").json["status"] for r in (a, b)}
    assert statuses == {a: "acknowledged", b: "closed"}
    history_b = client.get(f"/api/v1/track/{token_b}").json["history"]
    assert all(entry["note"] != "A noch da" for entry in history_b)


def _variants(token: str) -> dict[str, str]:
    flipped = chr(ord(token[5]) ^ 1) if token[5].isalnum() else "A"
    variants = {
        "swapped case": token.swapcase(),
        "upper case": token.upper(),
        "one character changed": token[:5] + flipped + token[6:],
        "last character dropped": token[:-1],
        "a character added": token + "A",
        "base64 padding": token + "=",
        "double padding": token + "==",
        "encoded padding": token + "%3D",
        "leading space": "%20" + token,
        "trailing space": token + "%20",
        "trailing NUL": token + "%00",
        "encoded slash inside": token[:8] + "%2F" + token[8:],
        "standard base64 alphabet": token.replace("-", "+").replace("_", "/").replace("/", "%2F"),
        "doubled": token + token,
    }
    return {name: v for name, v in variants.items() if v != token}  # the alphabet may not differ


def test_near_miss_tokens_answer_exactly_like_a_wrong_token(app, client, desk):
    public_id, token = _file(client, "anna@example.org", "Loch")
    assert desk.act(public_id, "transition", {"to": "resolved"}).status_code == 200
    wrong = client.get("/api/v1/track/" + "x" * len(token))
    assert wrong.status_code == 404
    page_wrong = client.get("/track/" + "x" * len(token))
    before = snapshot(app)
    variants = _variants(token)
    assert len(variants) >= 13
    for name, variant in variants.items():
        # A slash is in no token (base64url): such a path is no tracking URL at all (a 404 too).
        same = "%2F" not in variant
        read = client.get(f"/api/v1/track/{variant}")
        assert read.status_code == 404, name
        assert read.get_json() == wrong.get_json() or not same, name
        for action, body in (("reopen", {"note": "nicht behoben"}), ("confirm", None)):
            resp = client.post(f"/api/v1/track/{variant}/{action}", json=body)
            assert resp.status_code == 404, (name, action)
            assert resp.get_json() == wrong.get_json() or not same, (name, action)
        page = client.get(f"/track/{variant}")
        assert page.status_code == 404, name
        assert page.data == page_wrong.data or not same, name
    assert changed_tables(before, snapshot(app)) == []
    # Percent-encoding a letter of the token spells the same URL (RFC 3986, 2.3): same report.
    encoded = "".join(f"%{ord(c):02X}" if c.isalpha() else c for c in token)
    assert client.get(f"/api/v1/track/{encoded}").json["public_id"] == public_id


# --------------------------------------------------------------------------- public ids


def test_missing_held_and_malformed_public_ids_answer_alike(app, client, admin_headers):
    resp = client.post(
        "/api/v1/admin/blocklist", json={"pattern": "@spam.example"}, headers=admin_headers
    )
    assert resp.status_code == 201
    held, _ = _file(client, "x@spam.example", "Werbung")
    missing = "2026-999999"
    answers = {}
    for public_id in (held, missing, "2026-00000A", "2026-1", "x" * 300):
        ref = quote(public_id, safe="")
        answers[public_id] = [
            (r.status_code, r.data)
            for r in (
                client.get(f"/api/v1/reports/{ref}"),
                client.post(f"/api/v1/reports/{ref}/support", json={}),
                client.get(f"/reports/{ref}"),
            )
        ]
        open311 = client.get(f"/open311/v2/requests/{ref}.json")
        assert open311.status_code == 404
    first = answers[held]
    assert [status for status, _ in first] == [404, 404, 404]
    assert all(found == first for found in answers.values()), answers


def test_an_unpublished_report_shows_no_personal_data_or_citizen_text(app, client):
    secret = "Herr Nachbar Krause parkt hier immer"
    created = post_multipart(
        client,
        report_json(email="anna.privat@example.org", description=secret),
        [images.phone_jpeg(320, 240)],
    )
    assert created.status_code == 201
    public_id, token = created.json["report"]["public_id"], created.json["tracking_token"]
    one = client.get(f"/api/v1/reports/{public_id}").json
    assert one["description"] is None and one["photos"] == [] and one["published"] is False
    bodies = [
        client.get(path).get_data(as_text=True)
        for path in (
            f"/api/v1/reports/{public_id}",
            "/api/v1/reports",
            "/api/v1/reports?format=geojson",
            "/api/v1/reports/nearby?lat=50.1005&lon=8.7655",
            f"/reports/{public_id}",
            f"/open311/v2/requests/{public_id}.json?extensions=true",
            f"/open311/v2/requests/{public_id}.xml?extensions=true",
            "/api/v1/export/reports.csv",
            "/api/v1/export/reports.geojson",
        )
    ]
    for body in bodies:
        for leak in ("anna.privat", "example.org", secret, "Krause", token):
            assert leak not in body


def test_sequential_public_ids_leak_no_e_mail_anywhere(app, client, desk):
    emails = [f"person{n}@mail{n}.example" for n in range(6)]
    ids = []
    for n, email in enumerate(emails):
        category = "strassenlaterne" if n % 2 else "schlagloch"  # some auto-published
        ids.append(file_ticket(client, category, email=email)["report"]["public_id"])
    assert ids == [f"2026-{n:06d}" for n in range(1, 7)]
    assert client.post(f"/api/v1/reports/{ids[0]}/support", json={"email": "fan@fans.example"})
    assert desk.act(ids[0], "publication", {"action": "publish"}).status_code == 200
    resolved = desk.act(ids[2], "transition", {"to": "resolved", "public_note": "Erledigt"})
    assert resolved.status_code == 200
    paths = [
        "/api/v1/reports",
        "/api/v1/reports?format=geojson",
        "/api/v1/reports/nearby?lat=50.1005&lon=8.7655",
        "/api/v1/export/reports.csv",
        "/api/v1/export/reports.geojson",
        "/api/v1/sla/transparency",
        "/open311/v2/requests.json?extensions=true",
        "/open311/v2/requests.xml?extensions=true",
    ]
    for n in range(0, 9):  # one before the first and beyond the last, too
        public_id = f"2026-{n:06d}"
        paths += [
            f"/api/v1/reports/{public_id}",
            f"/reports/{public_id}",
            f"/open311/v2/requests/{public_id}.json?extensions=true",
            f"/open311/v2/requests.json?service_request_id={public_id}",
        ]
    for path in paths:
        body = client.get(path).get_data(as_text=True)
        assert "@" not in body.replace("@context", ""), (path, body[:300])
        for email in [*emails, "fan@fans.example"]:
            assert email.split("@")[0] not in body, path


# --------------------------------------------------------------------------- foreign tickets


def test_crew_of_another_department_cannot_reach_a_ticket_by_its_id(app, client, staff):
    tiefbau = post_multipart(
        client, report_json(email="anna@example.org", description="Geheim?"), [images.png_bytes()]
    )
    public_id = tiefbau.json["report"]["public_id"]
    own = Desk(client, staff.token("supervisor", "tiefbau"))
    photo_id = client.get(f"/api/v1/tickets/{public_id}", headers=own.headers).json["photos"][0][
        "id"
    ]
    stranger = staff.client("crew", "gruen")
    version = {"If-Match": own.etag(public_id)}
    before = snapshot(app)
    calls = [
        stranger.get(f"/api/v1/tickets/{public_id}"),
        stranger.post(f"/api/v1/tickets/{public_id}/notes", json={"internal_note": "x"}),
        stranger.post(
            f"/api/v1/tickets/{public_id}/transition", json={"to": "resolved"}, headers=version
        ),
        stranger.post(
            f"/api/v1/tickets/{public_id}/assign", json={"assignee_id": None}, headers=version
        ),
        stranger.post(
            f"/api/v1/tickets/{public_id}/forward",
            json={"department": "gruen", "reason": "meins"},
            headers=version,
        ),
        stranger.post(
            f"/api/v1/tickets/{public_id}/publication", json={"action": "publish"}, headers=version
        ),
        stranger.post(
            f"/api/v1/tickets/{public_id}/photos/{photo_id}/redact", json={"rects": [[0, 0, 5, 5]]}
        ),
        stranger.post(
            f"/api/v1/tickets/{public_id}/photos",
            data={"photos": (__import__("io").BytesIO(images.png_bytes()), "a.png")},
        ),
    ]
    for resp in calls:
        assert resp.status_code == 403, (resp.request.path, resp.status_code)
        assert resp.json["error"]["code"] == "ticket_forbidden"
        for leak in ("anna@example.org", "Geheim", "history", "photos"):
            assert leak not in resp.get_data(as_text=True)
    assert changed_tables(before, snapshot(app)) == []
    listed = stranger.get("/api/v1/tickets?department=tiefbau&format=csv").get_data(as_text=True)
    assert public_id not in listed
    assert public_id not in stranger.get("/api/v1/tickets?department=tiefbau").get_data(
        as_text=True
    )


def test_a_photo_id_of_another_ticket_is_not_reachable_through_ones_own(app, client, staff):
    mine = post_multipart(client, report_json(), [images.png_bytes()]).json["report"]["public_id"]
    foreign = post_multipart(client, report_json(category="baum"), [images.png_bytes()])
    foreign_id = foreign.json["report"]["public_id"]
    admin = Desk(client, staff.token("admin"))
    [photo] = client.get(f"/api/v1/tickets/{foreign_id}", headers=admin.headers).json["photos"]
    crew = Desk(client, staff.token("crew", "tiefbau"))
    before = snapshot(app)
    resp = client.post(
        f"/api/v1/tickets/{mine}/photos/{photo['id']}/redact",
        json={"rects": [[0, 0, 5, 5]]},
        headers=crew.headers,
    )
    assert resp.status_code == 404 and resp.json["error"]["code"] == "photo_not_found"
    resp = crew.act(mine, "publication", {"action": "publish", "photo_ids": [photo["id"]]})
    assert resp.status_code == 422 and "photo_ids" in resp.json["error"]["fields"]
    assert changed_tables(before, snapshot(app)) == []


# --------------------------------------------------------------------------- API tokens


def test_only_admins_revoke_tokens_and_a_revoked_token_is_dead_at_once(app, client, staff):
    integration = staff.token("crew", "tiefbau")
    tokens = client.get(
        "/api/v1/admin/tokens", headers={"Authorization": f"Bearer {staff.token('admin')}"}
    )
    token_id = tokens.json[0]["id"]
    assert tokens.json[0]["prefix"] == integration[:10] and "token" not in tokens.json[0]
    callers = [
        {"Authorization": f"Bearer {integration}"},  # a token revoking itself
        {"Authorization": f"Bearer {staff.token('supervisor', citywide=True)}"},
        {"Authorization": f"Bearer {staff.token('crew', 'gruen')}"},
    ]
    supervisor = staff.client("supervisor", "tiefbau")
    before = snapshot(app)
    for caller in callers:
        resp = client.delete(f"/api/v1/admin/tokens/{token_id}", headers=caller)
        assert resp.status_code == 403, resp.json
    assert supervisor.delete(f"/api/v1/admin/tokens/{token_id}").status_code == 403
    assert changed_tables(before, snapshot(app)) == []
    assert client.get("/api/v1/tickets", headers=callers[0]).status_code == 200  # still valid

    # Tokens belong to the city: another admin's session revokes one an admin token made.
    made = client.post(
        "/api/v1/admin/tokens",
        json={"name": "GIS", "role": "crew", "departments": ["tiefbau"]},
        headers={"Authorization": f"Bearer {staff.token('admin')}"},
    ).json
    other_admin = staff.client("admin")
    assert other_admin.delete(f"/api/v1/admin/tokens/{made['id']}").status_code == 200
    dead = {"Authorization": f"Bearer {made['token']}"}
    assert client.get("/api/v1/tickets", headers=dead).status_code == 401
    open311 = client.post(
        "/open311/v2/requests.json",
        data={
            "api_key": made["token"],
            "service_code": "schlagloch",
            "lat": "50.1",
            "long": "8.76",
        },
    )
    assert open311.status_code == 403


def test_a_password_change_touches_only_ones_own_account(app, staff):
    from tests.conftest import PASSWORD

    _, other = staff.user("crew", "tiefbau")
    me = staff.client("crew", "tiefbau")
    resp = me.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": "mein neues langes Passwort"},
    )
    assert resp.status_code == 200
    login = app.test_client().post(
        "/api/v1/auth/login", json={"email": other, "password": PASSWORD}
    )
    assert login.status_code == 200  # the other account is untouched
