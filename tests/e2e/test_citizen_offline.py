"""The citizen app's outbox in the browser: no report is lost, each is filed exactly once.

Reports wait on the phone through a rate limit, a lost answer, a server error and a cold start
without a connection, and are sent again (with their Idempotency-Key) without a reload; a
report the server refuses for good stays on the phone with the server's message until the
citizen edits and resends it or discards it.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, Route, expect

from maengelmelder.app import create_app
from maengelmelder.extensions import db, limiter

from .test_citizen_app import (
    button,
    category_step,
    details_step,
    heading,
    location_step,
    open_app,
    reports,
)

REPORTS = "/api/v1/reports"
QUEUED = "Meldung gespeichert"
SENT = re.compile(r"^\s*Gesendet\b")
NEXT_TRY = re.compile(r"nächster Sendeversuch um \d{2}:\d{2}:\d{2}")
# The app's own backoff (1–2 s at first) and a Retry-After of at most ten seconds.
RETRIED = 25_000


@pytest.fixture
def intake_limit() -> str | None:
    """The per-device intake limit to serve with (a test parametrizes it); None: no limits."""
    return None


@pytest.fixture
def app(app, intake_limit):
    """The test's app, or with `intake_limit` the same app (database, clock) with limits on."""
    if intake_limit is None:
        yield app
        return
    limited = create_app(
        {
            **app.config,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STRATEGY": "moving-window",
            "RATELIMIT_STORAGE_URI": "memory://",
            "INTAKE_LIMIT_DEVICE": intake_limit,
        }
    )
    yield limited
    with limited.app_context():
        db.engine.dispose()
    limiter.reset()


def status(page: Page):
    return page.locator("#outbox-status")


def post_statuses(page: Page) -> list[int]:
    """The status of every answer to a report's POST, as the page received them."""
    seen: list[int] = []

    def record(response) -> None:
        if response.request.method == "POST" and response.url.endswith(REPORTS):
            seen.append(response.status)

    page.on("response", record)
    return seen


def fill_report(page: Page, description: str, category: str = "Schlagloch") -> None:
    """From the start screen to the filled-in details step."""
    location_step(page)
    assert not category_step(page, category)
    assert not details_step(page, description)


def file_offline(page: Page, description: str) -> None:
    """File one report without a connection and go back to the map."""
    fill_report(page, description)
    button(page, "Absenden").click()
    expect(heading(page, QUEUED)).to_be_visible()
    expect(page.get_by_text("Sie sind offline")).to_be_visible()
    button(page, "Zur Karte").click()
    expect(button(page, "Mangel melden")).to_be_visible()


def keys_of(server_log) -> list[str]:
    return [hit.headers["idempotency-key"] for hit in server_log.of("POST", REPORTS)]


@pytest.mark.parametrize("intake_limit", ["5 per 10 seconds"])
def test_six_reports_filed_offline_are_all_stored_once_despite_the_rate_limit(
    app, context, page, server_log
):
    answers = post_statuses(page)
    open_app(page)
    context.set_offline(True)
    texts = [f"Offline gemeldet Nr. {i}" for i in range(1, 7)]
    for text in texts:
        file_offline(page, text)
    expect(status(page)).to_contain_text("Wartet auf Verbindung (6 Meldungen)")
    assert reports(app) == []

    context.set_offline(False)
    # Five go through, the sixth is refused "not now" (429) and waits for its Retry-After,
    # on the phone, with the time of the next try — then it goes through too, no reload.
    expect(status(page)).to_contain_text(NEXT_TRY, timeout=RETRIED)
    expect(status(page).locator(".badge-wait")).to_have_count(0, timeout=RETRIED)
    expect(status(page).get_by_text(SENT)).to_be_visible()

    stored = reports(app)
    assert sorted(r["description"] for r in stored) == texts
    assert 429 in answers
    assert answers.count(201) == 6
    # Only the sixth was sent again (until it got through), always with its own key.
    keys = keys_of(server_log)
    assert len(set(keys)) == 6 and len(keys) == len(answers) > 6
    assert keys[:5] == list(dict.fromkeys(keys))[:5]
    assert set(keys[5:]) == {keys[5]}

    page.reload()
    expect(button(page, "Mangel melden")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert len(reports(app)) == 6
    assert len(server_log.of("POST", REPORTS)) == len(keys)


def test_a_lost_answer_is_sent_again_while_online_and_filed_once(app, page, server_log):
    lost: list[str] = []

    def lose_first_answer(route: Route) -> None:
        if route.request.method != "POST" or lost:
            route.fallback()
            return
        lost.append(route.request.url)
        route.fetch()  # the server stores the report …
        route.abort("connectionreset")  # … and its answer never arrives

    page.route(f"**{REPORTS}", lose_first_answer)
    open_app(page)
    fill_report(page, "Antwort ging verloren")
    button(page, "Absenden").click()

    expect(heading(page, QUEUED)).to_be_visible()
    expect(page.get_by_text("auf diesem Telefon gespeichert")).to_be_visible()
    expect(page.get_by_text("Sie sind offline")).to_have_count(0)
    assert page.evaluate("navigator.onLine") is True
    assert len(reports(app)) == 1  # stored, though the phone does not know yet

    expect(status(page).get_by_text(SENT)).to_be_visible(timeout=RETRIED)
    assert lost
    assert len(reports(app)) == 1
    keys = keys_of(server_log)
    assert len(keys) == 2 and keys[0] == keys[1]


def test_a_server_error_is_retried_after_its_retry_after(app, page, server_log):
    failed: list[int] = []

    def fail_once(route: Route) -> None:
        if route.request.method != "POST" or failed:
            route.fallback()
            return
        failed.append(503)
        route.fulfill(
            status=503,
            headers={"Retry-After": "2"},
            json={
                "error": {
                    "status": 503,
                    "code": "database_unavailable",
                    "message": {"de": "Gerade nicht erreichbar.", "en": "Unavailable just now."},
                }
            },
        )

    page.route(f"**{REPORTS}", fail_once)
    open_app(page)
    fill_report(page, "Server hatte einen Schluckauf")
    button(page, "Absenden").click()

    expect(heading(page, QUEUED)).to_be_visible()
    expect(page.get_by_text("Sie sind offline")).to_have_count(0)
    expect(status(page)).to_contain_text(NEXT_TRY)
    assert reports(app) == []

    expect(status(page).get_by_text(SENT)).to_be_visible(timeout=RETRIED)
    assert failed == [503]
    assert [r["description"] for r in reports(app)] == ["Server hatte einen Schluckauf"]
    assert len(server_log.of("POST", REPORTS)) == 1  # the 503 never reached the server


def test_a_refused_report_stays_on_the_phone_to_be_edited_and_resent(
    app, context, page, server_log, admin_headers
):
    open_app(page)
    context.set_offline(True)
    file_offline(page, "Tiefes Loch am Bordstein")
    # While the phone was offline, the city retired the category.
    retired = app.test_client().patch(
        "/api/v1/admin/categories/schlagloch", json={"active": False}, headers=admin_headers
    )
    assert retired.status_code == 200

    context.set_offline(False)
    refused = status(page).locator("li.refused")
    expect(refused).to_contain_text("Eine gespeicherte Meldung wurde abgelehnt")
    expect(refused).to_contain_text("Unbekannte Kategorie: schlagloch")
    expect(refused).to_contain_text("Tiefes Loch am Bordstein")
    assert reports(app) == []

    # Nothing is lost on a reload either, and nothing is sent again by itself.
    page.reload()
    expect(refused).to_contain_text("Unbekannte Kategorie: schlagloch")
    page.wait_for_load_state("networkidle")
    assert len(server_log.of("POST", REPORTS)) == 1

    refused.get_by_role("button", name="Bearbeiten").click()
    expect(heading(page, "Beschreibung und Kontakt")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("Unbekannte Kategorie")
    expect(page.get_by_label("Beschreibung", exact=True)).to_have_value("Tiefes Loch am Bordstein")
    button(page, "Zurück").click()
    expect(heading(page, "Fotos")).to_be_visible()
    button(page, "Zurück").click()
    expect(heading(page, "Was ist es?")).to_be_visible()
    button(page, "Wilder Müll").click()
    button(page, "Weiter").click()
    expect(heading(page, "Fotos")).to_be_visible()
    button(page, "Weiter").click()
    expect(heading(page, "Beschreibung und Kontakt")).to_be_visible()
    button(page, "Absenden").click()
    expect(heading(page, "Danke! Ihre Meldung ist eingegangen")).to_be_visible()

    stored = reports(app)
    assert [(r["category"], r["description"]) for r in stored] == [
        ("wilder_muell", "Tiefes Loch am Bordstein")
    ]
    # The refusal filed nothing under the key, so the edit went under the same one.
    keys = keys_of(server_log)
    assert len(keys) == 2 and keys[0] == keys[1]
    expect(status(page).locator("li.refused")).to_have_count(0)
    page.reload()
    expect(button(page, "Mangel melden")).to_be_visible()
    expect(status(page).locator("li.refused")).to_have_count(0)


def test_a_refused_report_can_be_discarded(app, context, page, admin_headers):
    open_app(page)
    context.set_offline(True)
    file_offline(page, "Doch nicht")
    retired = app.test_client().patch(
        "/api/v1/admin/categories/schlagloch", json={"active": False}, headers=admin_headers
    )
    assert retired.status_code == 200
    context.set_offline(False)
    refused = status(page).locator("li.refused")
    expect(refused).to_contain_text("Unbekannte Kategorie")
    refused.get_by_role("button", name="Verwerfen").click()
    expect(refused).to_have_count(0)
    page.reload()
    expect(button(page, "Mangel melden")).to_be_visible()
    page.wait_for_load_state("networkidle")
    expect(status(page).locator("li.refused")).to_have_count(0)
    assert reports(app) == []


def test_a_report_is_filed_offline_from_a_cold_start(app, context, page, server_log):
    open_app(page)
    expect(page.get_by_text("Meldungen auf der Karte")).to_be_visible()
    assert page.evaluate("() => navigator.serviceWorker.ready.then(r => !!r.active)")

    context.set_offline(True)
    page.reload()
    expect(button(page, "Mangel melden")).to_be_visible()
    # The map shows its last answer, and says so; no "could not be loaded".
    expect(page.get_by_text("Die Karte zeigt den zuletzt geladenen Stand")).to_be_visible()
    expect(page.get_by_text("konnten nicht geladen werden")).to_have_count(0)

    fill_report(page, "Gemeldet ohne Netz nach Neustart")
    button(page, "Absenden").click()
    expect(heading(page, QUEUED)).to_be_visible()
    expect(status(page)).to_contain_text("Wartet auf Verbindung")
    button(page, "Zur Karte").click()
    offline_hint = page.get_by_text("Die Karte zeigt den zuletzt geladenen Stand")
    expect(offline_hint).to_be_visible()
    assert reports(app) == []

    context.set_offline(False)
    expect(status(page).get_by_text(SENT)).to_be_visible(timeout=RETRIED)
    # The map loads again by itself: no reload.
    expect(offline_hint).to_have_count(0)
    expect(page.get_by_text("Meldungen auf der Karte")).to_be_visible()
    assert [r["description"] for r in reports(app)] == ["Gemeldet ohne Netz nach Neustart"]
    assert len(server_log.of("POST", REPORTS)) == 1


def test_the_start_screen_recovers_when_the_connection_returns(app, context, page):
    """A first screen that could not load anything (no answer kept yet) loads by itself."""
    open_app(page)
    assert page.evaluate("() => navigator.serviceWorker.ready.then(r => !!r.active)")
    # No answer kept yet (as if the last visit had stored none).
    page.evaluate("() => indexedDB.deleteDatabase('maengelmelder-offline')")
    context.set_offline(True)
    page.reload()
    expect(page.get_by_text("Die Daten konnten nicht geladen werden.")).to_be_visible()
    context.set_offline(False)
    expect(page.get_by_text("Meldungen auf der Karte")).to_be_visible()
    expect(page.get_by_text("Die Daten konnten nicht geladen werden.")).to_have_count(0)
