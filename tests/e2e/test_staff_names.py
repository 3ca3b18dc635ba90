"""Every staff screen, in German and in English, shows names, never codes.

Crew on a phone, supervisor and admin on a laptop walk every screen their role opens: the
queue, a ticket whose history holds every event kind the API lets staff produce, the SLA
board, hotspots, moderation, every admin section, the block list, undeliverable mails and
sessions. On each, the visible text (inputs and `<code>` left out: there a code is what is
edited or listed as such) must not contain any catalogue code (departments, categories, groups,
zones, zone kinds, rule ids, event kinds, states) as a whole word, nor anything that looks like
an untranslated i18n key (`snake_case`, `dotted.key`, `camelCase`).
"""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Page, expect
from sqlalchemy import select

from maengelmelder.accounts.models import User
from maengelmelder.core.catalog import Category, Department
from maengelmelder.core.events import TicketEvent
from maengelmelder.extensions import db
from maengelmelder.zoning import service as zoning
from maengelmelder.zoning.models import Zone
from tests import images
from tests.e2e.test_staff_app import file_report_with_photo, log_in

pytestmark = pytest.mark.usefixtures("staff_requirements")

HARBOUR = {"lat": 50.1130, "lon": 8.7650}  # zone Hafen in district Nord

# Event kinds and states that are also everyday English or German words ("note", "photo",
# "new", "status"): looked for in the ticket's history only, where they would be a label.
HISTORY_ONLY = {"created", "status", "note", "photo", "published", "hidden", "confirmed"}
HISTORY_ONLY |= {"assigned", "forwarded", "deadline", "supported", "held", "new", "resolved"}
HISTORY_ONLY |= {"closed", "rejected", "duplicate", "acknowledged", "ok", "paused", "met"}
HISTORY_ONLY |= {"missed", "breached", "privacy", "escalation"}
HISTORY_ONLY |= {"area"}  # a zone kind, and the English word of the redaction's "2 areas selected"

STATES = {"new", "acknowledged", "in_progress", "waiting_external", "resolved", "closed"}
STATES |= {"rejected", "duplicate", "ok", "at_risk", "breached", "paused", "met", "missed"}

# The visible text of the page, inputs, <code>, scripts and hidden parts left out.
VISIBLE_TEXT = """
() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    if (!text) continue;
    let el = node.parentElement;
    if (!el || el.closest("code, script, style, textarea, [hidden]")) continue;
    if (el.closest("option")) el = el.closest("select") || el;
    if (!el.checkVisibility({ visibilityProperty: true, opacityProperty: false })) continue;
    out.push(text);
  }
  return out.join("\\n");
}
"""

KEY_LIKE = (
    re.compile(r"(?<![\w.-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w-])"),  # snake_case
    re.compile(r"(?<![\w.@/-])[a-z][a-z0-9]+(?:\.[a-z][a-zA-Z0-9]+)+(?![\w@/-])"),  # dotted.key
    re.compile(r"(?<![\w-])[a-z]{2,}[A-Z][a-zA-Z]*(?![\w-])"),  # camelCase
)
NOT_TEXT = re.compile(r"\S+@\S+|https?://\S+|\b\w+\.(?:jpg|jpeg|png|csv|geojson|yaml|json)\b")


def catalogue_codes(app) -> tuple[set[str], set[str]]:
    """(codes looked for everywhere, codes looked for in the history only)."""
    with app.app_context():
        codes = set(db.session.scalars(select(Department.code)))
        for cat in db.session.scalars(select(Category)):
            codes |= {cat.code, cat.group}
        for zone in db.session.scalars(select(Zone)):
            codes |= {zone.key, zone.kind}
        codes |= {rule.id for rule in zoning.current_rule_set(db.session).rules}
        kinds = set(db.session.scalars(select(TicketEvent.kind).distinct()))
    every = kinds | STATES
    return (codes | every) - HISTORY_ONLY, every


def problems(text: str, codes: set[str]) -> list[str]:
    """The codes and key-like words in a visible text."""
    text = NOT_TEXT.sub(" ", text)
    found = [m.group(0) for pattern in KEY_LIKE for m in pattern.finditer(text)]
    for code in codes:
        if re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text):
            found.append(code)
    return sorted(set(found))


def check_screen(page: Page, where: str, codes: set[str], history_codes: set[str]) -> None:
    """Fail naming the screen and what it shows instead of a name."""
    page.wait_for_load_state("networkidle")
    expect(page.get_by_text(re.compile(r"^(Wird geladen …|Loading …)$"))).to_have_count(0)
    text = page.evaluate(VISIBLE_TEXT)
    found = problems(text, codes)
    history = page.locator(".history")
    if history.count():
        found += problems(history.first.inner_text(), history_codes)
    lines = [
        line
        for line in text.splitlines()
        if any(re.search(rf"\b{re.escape(f)}\b", line) for f in found)
    ]
    assert not found, f"{where} shows codes instead of names: {found} in {lines[:12]}"


def person(app, staff, role: str, *departments: str, citywide: bool = False) -> str:
    """A staff account with a person's name (the fixture's names say the department code)."""
    user_id, email = staff.user(role, *departments, citywide=citywide)
    with app.app_context():
        db.session.get(User, user_id).name = f"Erika Muster ({role})"
        db.session.commit()
    return email


def switch_to_english(page: Page) -> None:
    page.evaluate("localStorage.setItem('mm-lang', 'en')")
    page.reload()
    expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible()


def walk(page: Page, screens: list[str], codes, history_codes) -> None:
    for lang in ("de", "en"):
        if lang == "en":
            switch_to_english(page)
        for hash_ in screens:
            page.goto(f"/staff#/{hash_}")
            check_screen(page, f"{hash_} ({lang})", codes, history_codes)


def busy_ticket(live_server: str, staff, *, forward: bool) -> str:
    """A harbour ticket with as many kinds of history as staff can produce over the API."""
    public_id = file_report_with_photo(live_server, category="schlagloch", **HARBOUR)
    auth = {"Authorization": "Bearer " + staff.token("admin", citywide=True)}
    url = f"{live_server}/api/v1/tickets/{public_id}"

    def post(action: str, body: dict, versioned: bool = True, **kw) -> None:
        headers = dict(auth)
        if versioned:
            headers["If-Match"] = requests.get(url, headers=auth, timeout=10).headers["ETag"]
        resp = requests.post(f"{url}/{action}", json=body, headers=headers, timeout=30, **kw)
        assert resp.status_code in (200, 201), (action, resp.text)

    post("transition", {"to": "acknowledged", "public_note": "Wir sehen es uns an."})
    user_id, _ = staff.user("crew", "hafen")
    with staff.app.app_context():
        db.session.get(User, user_id).name = "Max Hafner"
        db.session.commit()
    post("assign", {"assignee_id": user_id})
    post("notes", {"public_note": None, "internal_note": "Bauhof informiert."}, versioned=False)
    post("publication", {"action": "publish"})
    headers = {**auth, "If-Match": requests.get(url, headers=auth, timeout=10).headers["ETag"]}
    files = [("photos", ("nachher.jpg", images.phone_jpeg(800, 600), "image/jpeg"))]
    resp = requests.post(f"{url}/photos", files=files, headers=headers, timeout=30)
    assert resp.status_code in (200, 201), resp.text
    post("transition", {"to": "in_progress"})
    if forward:
        post("forward", {"department": "tiefbau", "reason": "Straßenschaden, kein Hafengelände."})
    return public_id


def test_crew_sees_names_on_the_phone(app, staff, live_server, page):
    public_id = busy_ticket(live_server, staff, forward=True)
    codes, history_codes = catalogue_codes(app)
    log_in(page, person(app, staff, "crew", "tiefbau"))
    walk(page, ["queue", f"ticket/{public_id}", "moderation", "sessions"], codes, history_codes)


def test_supervisor_sees_names_on_a_laptop(app, staff, clock, live_server, desktop_page):
    public_id = busy_ticket(live_server, staff, forward=False)
    clock.advance(hours=49)  # breached: the board lists it, by department "hafen"
    codes, history_codes = catalogue_codes(app)
    log_in(desktop_page, person(app, staff, "supervisor", citywide=True))
    screens = ["queue", f"ticket/{public_id}", "board", "hotspots", "moderation", "sessions"]
    walk(desktop_page, screens, codes, history_codes)


def test_admin_sees_names_on_a_laptop(app, staff, live_server, desktop_page):
    public_id = busy_ticket(live_server, staff, forward=True)
    staff.token("crew", "hafen")  # the token table has a row
    codes, history_codes = catalogue_codes(app)
    log_in(desktop_page, person(app, staff, "admin", citywide=True))
    screens = ["queue", f"ticket/{public_id}", "board", "hotspots", "moderation", "admin"]
    screens += ["blocklist", "mails", "sessions"]
    walk(desktop_page, screens, codes, history_codes)
    # The rules' dry run lists the moves with names.
    desktop_page.goto("/staff#/admin")
    dry = desktop_page.get_by_role("button", name=re.compile("^(Probelauf|Dry run)"))
    if dry.count():
        dry.first.click()
        desktop_page.wait_for_load_state("networkidle")
        check_screen(desktop_page, "rules dry run (en)", codes, history_codes)
