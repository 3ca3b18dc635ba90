"""XSS: hostile text in every field both apps show, in Chromium against the live server.

Every text a citizen, an Open311 client or a staff member can store carries the same payload
(an ``<img onerror>``, a ``<script>``, an attribute breakout into ``<svg onload>`` and a
``javascript:`` URL) behind a tag that names the field. Each view that shows the field must
show the payload as literal text; no element of the payload may appear in the page, no link
may point at ``javascript:``, ``window.__xss`` stays undefined and no dialog opens. The
strict Content-Security-Policy would stop the inline handlers anyway; the DOM checks are
what prove the views escape.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests import images
from tests.e2e.test_staff_app import heading, log_in, nav_link

pytestmark = pytest.mark.usefixtures("staff_requirements")

TAIL = (
    '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>'
    '"><svg onload=window.__xss=1>javascript:window.__xss=1'
)
INJECTED = 'img[src="x"], svg[onload], iframe, script:not([src]), a[href^="javascript:"]'
CENTRE = {"lat": 50.1005, "lon": 8.7655}
FAR_AWAY = [{"lat": 50.0880, "lon": 8.7300}, {"lat": 50.1120, "lon": 8.8000}]
SQUARE = [[8.764, 50.099], [8.767, 50.099], [8.767, 50.102], [8.764, 50.102], [8.764, 50.099]]


def P(tag: str) -> str:
    """The payload, marked with the field it was stored in."""
    return f"{tag}: {TAIL}"


def assert_inert(page: Page, *tags: str, dialogs: list[str]) -> None:
    """The tagged payloads show as text, and nothing of them became markup or ran."""
    for tag in tags:
        expect(page.get_by_text(P(tag)).filter(visible=True).first).to_be_visible()
    assert page.locator(INJECTED).count() == 0, page.locator(INJECTED).first.evaluate(
        "e => e.outerHTML"
    )
    assert page.evaluate("() => window.__xss") is None
    assert dialogs == []


def _dialogs(page: Page) -> list[str]:
    seen: list[str] = []
    page.on("dialog", lambda d: (seen.append(d.message), d.dismiss()))
    return seen


class Seeded:
    """Every field holding the payload, filed through the API of the app under test."""

    def __init__(self, app, staff, clock) -> None:
        api = app.test_client()
        admin = {"Authorization": "Bearer " + staff.token("admin")}

        def call(method: str, path: str, body=None, status=(200, 201), **kwargs):
            resp = api.open(path, method=method, json=body, headers=admin, **kwargs)
            assert resp.status_code in status, (path, resp.get_data(as_text=True))
            return resp

        def act(public_id: str, action: str, body: dict):
            etag = call("GET", f"/api/v1/tickets/{public_id}").headers["ETag"]
            resp = api.post(
                f"/api/v1/tickets/{public_id}/{action}",
                json=body,
                headers={**admin, "If-Match": etag},
            )
            assert resp.status_code in (200, 201), resp.get_data(as_text=True)

        call(
            "POST",
            "/api/v1/admin/departments",
            {"code": "xss", "name_de": P("dept"), "name_en": P("dept")},
        )
        call(
            "PATCH",
            "/api/v1/admin/categories/schlagloch",
            {"name_de": P("cat"), "name_en": P("cat")},
        )
        user = {
            "email": "xss@stadt.example",
            "name": P("user"),
            "role": "crew",
            "password": "lang genug, wirklich",
            "departments": ["tiefbau", "xss"],
        }
        self.user_id = call("POST", "/api/v1/admin/users", user).json["id"]
        call("POST", "/api/v1/admin/tokens", {"name": P("token"), "role": "crew"})
        call("POST", "/api/v1/admin/blocklist", {"pattern": "@xss.example", "reason": P("block")})
        zone = {
            "type": "Feature",
            "id": "xss-zone",
            "properties": {"name": P("zone")},
            "geometry": {"type": "Polygon", "coordinates": [SQUARE]},
        }
        call(
            "POST",
            "/api/v1/admin/zones/import?kind=xss",
            {"type": "FeatureCollection", "features": [zone]},
        )

        # The public report: the citizen's text, address and photo, published and worked on.
        data = {
            "category": "schlagloch",
            "description": P("desc"),
            "address": P("addr"),
            **{k: str(v) for k, v in CENTRE.items()},
            "photos": (io.BytesIO(images.phone_jpeg(320, 240)), "foto.jpg"),
        }
        created = api.post("/api/v1/reports", data=data, content_type="multipart/form-data")
        assert created.status_code == 201, created.json
        self.public_id = created.json["report"]["public_id"]
        self.token = created.json["tracking_token"]
        act(self.public_id, "publication", {"action": "publish"})
        act(self.public_id, "forward", {"department": "xss", "reason": P("forward")})
        act(self.public_id, "assign", {"assignee_id": self.user_id})
        resp = api.post(
            f"/api/v1/tickets/{self.public_id}/notes",
            json={"public_note": P("public"), "internal_note": P("internal")},
            headers=admin,
        )
        assert resp.status_code == 201
        resp = api.post(
            f"/api/v1/reports/{self.public_id}/abuse",
            json={"reason": "other", "comment": P("flag")},
        )
        assert resp.status_code == 202, resp.get_data(as_text=True)

        # Waiting for moderation; and one from an Open311 client with a javascript: media_url.
        body = {"category": "schlagloch", "description": P("moderation"), **FAR_AWAY[0]}
        resp = api.post("/api/v1/reports", json=body)
        assert resp.status_code == 201, resp.json
        self.pending = resp.json["report"]["public_id"]
        resp = api.post(
            "/open311/v2/requests.json",
            data={
                "api_key": staff.token("crew", "tiefbau"),
                "service_code": "schlagloch",
                "lat": str(FAR_AWAY[1]["lat"]),
                "long": str(FAR_AWAY[1]["lon"]),
                "description": P("open311"),
                "address_string": P("open311-addr"),
                "media_url": "javascript:window.__xss=1",
            },
        )
        assert resp.status_code == 201, resp.get_data(as_text=True)
        clock.advance(hours=49)  # breached: the SLA board lists them


@pytest.fixture
def seeded(app, staff, clock, live_server) -> Seeded:
    return Seeded(app, staff, clock)


def test_hostile_text_is_inert_in_the_citizen_app(seeded, page):
    dialogs = _dialogs(page)
    # Three reports far apart: three markers. A popup pans the map (and the markers reload),
    # so each marker is tried on a fresh map until the popup is the public report's.
    markers = page.locator(".mm-marker")
    for index in range(3):
        page.goto("/")
        expect(markers).to_have_count(3)
        markers.nth(index).click()
        popup = page.locator(".leaflet-popup")
        expect(popup).to_be_visible()
        if seeded.public_id in popup.inner_text():
            break
    expect(page.locator(".leaflet-popup")).to_contain_text(seeded.public_id)
    assert_inert(page, "cat", dialogs=dialogs)

    page.goto(f"/reports/{seeded.public_id}")
    assert_inert(page, "cat", "dept", "addr", "desc", dialogs=dialogs)

    page.goto(f"/track/{seeded.token}")
    assert_inert(page, "cat", "dept", "desc", "public", dialogs=dialogs)
    for tag in ("internal", "forward", "user", "flag"):  # staff-only: not shown at all
        expect(page.get_by_text(P(tag))).to_have_count(0)


def test_hostile_text_is_inert_in_the_staff_app(seeded, staff, desktop_page, tmp_path: Path):
    page = desktop_page
    dialogs = _dialogs(page)
    _, email = staff.user("admin")
    log_in(page, email)

    nav_link(page, "Meine Liste").click()
    expect(page.get_by_role("link", name=seeded.public_id, exact=True)).to_be_visible()
    assert_inert(page, "addr", "open311-addr", dialogs=dialogs)

    page.goto(f"/staff#/ticket/{seeded.public_id}")
    expect(heading(page, f"Meldung {seeded.public_id}")).to_be_visible()
    assert_inert(
        page,
        "desc",
        "addr",
        "cat",
        "dept",
        "user",
        "public",
        "internal",
        "forward",
        "flag",
        dialogs=dialogs,
    )

    nav_link(page, "Moderation").click()
    expect(heading(page, "Moderation")).to_be_visible()
    # The compact list shows each report's text as text (edited in place on demand).
    expect(page.locator("article.mod-item").first).to_be_visible()
    assert_inert(page, "moderation", "open311", "cat", dialogs=dialogs)

    nav_link(page, "Fristen").click()
    expect(heading(page, "Fristen")).to_be_visible()
    breaches = page.get_by_role("table", name="Überschritten")
    expect(breaches.get_by_text(seeded.public_id, exact=True)).to_be_visible()
    assert_inert(page, "cat", "dept", "user", dialogs=dialogs)

    nav_link(page, "Verwaltung").click()
    expect(heading(page, "Verwaltung")).to_be_visible()
    assert_inert(page, "dept", "cat", "user", "token", "zone", dialogs=dialogs)

    # The zone preview draws the file's areas with their names as labels.
    upload = tmp_path / "zonen.geojson"
    preview = {
        "type": "Feature",
        "id": "vorschau",
        "properties": {"name": P("preview")},
        "geometry": {"type": "Polygon", "coordinates": [SQUARE]},
    }
    upload.write_text(json.dumps({"type": "FeatureCollection", "features": [preview]}))
    page.get_by_label("GeoJSON-Datei", exact=True).set_input_files(upload)
    # The zone map labels every area with its name, the file's over the existing ones.
    expect(page.locator("path.zone-preview")).to_have_count(1)
    label = page.locator(".leaflet-tooltip.zone-label-preview")
    expect(label).to_be_visible()
    assert label.inner_text() == P("preview")
    assert_inert(page, dialogs=dialogs)

    nav_link(page, "Sperrliste").click()
    assert_inert(page, "block", dialogs=dialogs)


def test_server_rendered_pages_escape_hostile_text(seeded, app, page, tmp_path: Path):
    """Without the built app, /track/<token> and /reports/<id> are Flask templates."""
    dialogs = _dialogs(page)
    app.config["FRONTEND_DIR"] = str(tmp_path / "no-frontend")
    page.goto(f"/track/{seeded.token}")
    assert_inert(page, "cat", "dept", "desc", "public", dialogs=dialogs)
    page.goto(f"/reports/{seeded.public_id}")
    assert_inert(page, "cat", "dept", "desc", "public", dialogs=dialogs)
