"""The rules form names an external body for a rule ("nur Kopie" too), and the token form
makes a trusted token, in Chromium on a laptop (intake through such a rule, and the trusted
token's reports: tests/forwarding)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from maengelmelder.accounts.models import ApiToken
from maengelmelder.clock import now
from maengelmelder.extensions import db
from maengelmelder.forwarding.service import create_destination
from maengelmelder.zoning.service import latest_version
from tests.e2e.test_staff_app import button, heading, is_api, log_in, nav_link
from tests.e2e.test_staff_axe import Scanner
from tests.e2e.test_staff_moderation_list import LAPTOP

pytestmark = pytest.mark.usefixtures("staff_requirements")


def _body(app) -> int:
    with app.app_context():
        made = create_destination(
            db.session,
            {
                "name_de": "Stadtwerke Licht",
                "name_en": "Public utility, lights",
                "channel": "email",
                "email": "leitstelle@stadtwerke.example",
            },
            now(),
        )
        db.session.commit()
        return made.id


def test_admin_names_a_body_in_a_rule_and_makes_a_trusted_token(
    app, staff, live_server, desktop_page
):
    page = desktop_page
    page.set_viewport_size(LAPTOP)
    body_id = _body(app)
    _, admin = staff.user("admin", citywide=True)
    scan = Scanner()

    log_in(page, admin)
    nav_link(page, "Verwaltung").click()
    expect(heading(page, "Regeln")).to_be_visible()
    first = page.get_by_role("group", name=re.compile(r"^Regel 1\b"))
    first.get_by_label("An externe Stelle übergeben").select_option(label="Stadtwerke Licht")
    first.get_by_label("nur Kopie").check()
    scan.check("admin, rules with a destination", page)

    button(page, "Regeln übernehmen").click()
    dialog = page.get_by_role("dialog", name="Regeln in Kraft setzen?")
    with page.expect_response(is_api("POST", "/api/v1/admin/rules")) as applied:
        button(dialog, "Ja, in Kraft setzen").click()
    assert applied.value.status == 201, applied.value.text()
    sent = applied.value.request.post_data_json["rules"][0]
    assert sent["destination"] == body_id and sent["copy_only"] is True
    expect(page.get_by_role("alert")).to_have_count(0)
    with app.app_context():
        stored = latest_version(db.session).data["rules"][0]
        db.session.remove()
    assert stored["destination"] == body_id and stored["copy_only"] is True
    # Drawn again from the answer: the row still names the body.
    first = page.get_by_role("group", name=re.compile(r"^Regel 1\b"))
    expect(first.get_by_label("An externe Stelle übergeben")).to_have_value(str(body_id))
    expect(first.get_by_label("nur Kopie")).to_be_checked()

    # A trusted token, shown as such in the list.
    form = page.get_by_role("form", name="Neuer API-Schlüssel")
    form.get_by_label("Name", exact=True).fill("Stadtwerke-App")
    form.get_by_label("vertrauenswürdig").check()
    with page.expect_response(is_api("POST", "/api/v1/admin/tokens")) as made:
        button(form, "Anlegen").click()
    assert made.value.status == 201, made.value.text()
    assert made.value.request.post_data_json["trusted"] is True
    row = (
        page.get_by_role("table", name="API-Schlüssel")
        .get_by_role("row")
        .filter(has_text="Stadtwerke-App")
    )
    expect(row).to_contain_text("vertrauenswürdig")
    with app.app_context():
        token = db.session.scalar(select(ApiToken).where(ApiToken.name == "Stadtwerke-App"))
        assert token.trusted is True
        db.session.remove()
    scan.check("admin, trusted token", page)
