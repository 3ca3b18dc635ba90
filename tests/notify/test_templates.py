"""The bilingual mail templates: every one renders, citizen mails end alike, nothing is missing."""

from __future__ import annotations

import pytest
from jinja2 import UndefinedError

from maengelmelder.notify.service import TEMPLATE_DIR, render

CITIZEN = ("acknowledged", "resolved", "rejected", "followup")
FOOTER = {
    "de": "Sie erhalten diese E-Mail, weil Sie zu dieser Meldung benachrichtigt werden möchten.",
    "en": "You are receiving this e-mail because you asked to be notified about this report.",
}
NO_REPLY = {"de": "Bitte antworten Sie nicht", "en": "Please do not reply"}


def staff_context() -> dict:
    return {
        "public_id": "2026-000042",
        "category": "Schlagloch",
        "department": "Tiefbauamt",
        "deadline_local": "12.03.2026 17:00",
        "staff_url": "http://maengel.test/staff/tickets/2026-000042",
        "city_name": "Musterstadt (Demo)",
    }


def test_every_template_exists_in_german_and_english():
    names = {p.name for p in TEMPLATE_DIR.glob("*.txt")}
    for template in (*CITIZEN, "escalation", "digest", "confirm_email", "confirm_follow"):
        assert {f"{template}.de.txt", f"{template}.en.txt"} <= names
    assert len(names) == 16


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize("template", CITIZEN)
def test_citizen_mails_end_with_tracking_link_and_why(template, lang, citizen_context):
    subject, body = render(template, citizen_context(), lang)
    assert "2026-000042" in subject
    assert "\n" not in subject
    lines = [line for line in body.splitlines() if line.strip()]
    # The tracking link, then the line saying why they get the mail and that replies go nowhere.
    assert lines[-2] == "http://maengel.test/track/Tok3n-abc_XYZ"
    assert lines[-1].startswith(FOOTER[lang])
    assert NO_REPLY[lang] in lines[-1]
    assert "Straßenschäden / Schlagloch" in body
    assert body.endswith("\n")


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize("template", ["acknowledged", "resolved"])
def test_public_note_only_when_there_is_one(template, lang, citizen_context):
    _, with_note = render(template, citizen_context(), lang)
    _, without = render(template, citizen_context(note=None), lang)
    assert "Wir prüfen das bis Ende der Woche." in with_note
    assert "Wir prüfen" not in without
    assert "None" not in without
    assert "\n\n\n" not in with_note and "\n\n\n" not in without


def test_german_wording_is_polite_sie_form(citizen_context):
    subject, body = render("followup", citizen_context(status_label="Erledigt"), "de")
    assert subject == "Ist es behoben? Ihre Meldung 2026-000042"
    assert "Guten Tag," in body
    assert "öffnen Sie die Meldung bitte über den Link unten wieder" in body
    assert " du " not in body.lower()


def test_english_followup_asks_whether_it_is_fixed(citizen_context):
    subject, body = render("followup", citizen_context(status_label="Resolved"), "en")
    assert subject == "Is it fixed? Your report 2026-000042"
    assert "reopen" in body


@pytest.mark.parametrize(
    ("lang", "fallback"), [("de", "keine Begründung"), ("en", "did not give a reason")]
)
def test_rejected_mail_gives_the_reason(lang, fallback, citizen_context):
    _, body = render("rejected", citizen_context(note="Privatgrundstück, bitte Eigentümer."), lang)
    assert "Privatgrundstück, bitte Eigentümer." in body
    _, body = render("rejected", citizen_context(note=None), lang)
    assert fallback in body


@pytest.mark.parametrize("lang", ["de", "en"])
def test_escalation_names_ticket_department_deadline_and_staff_link(lang):
    subject, body = render("escalation", staff_context(), lang)
    assert "2026-000042" in subject and "12.03.2026 17:00" in subject
    for text in ("Schlagloch", "Tiefbauamt", "12.03.2026 17:00", "/staff/tickets/2026-000042"):
        assert text in body
    assert ("überschritten" if lang == "de" else "has passed") in body
    _, at_risk = render("escalation", {**staff_context(), "sla_state": "at_risk"}, lang)
    assert ("bald abläuft" if lang == "de" else "is close") in at_risk


@pytest.mark.parametrize("lang", ["de", "en"])
def test_digest_lists_breached_and_at_risk_tickets(lang):
    context = {
        "city_name": "Musterstadt (Demo)",
        "department": "Grünflächenamt",
        "breached": [
            {"public_id": "2026-000001", "category": "Müll", "deadline_local": "01.03.2026 12:00"},
            {"public_id": "2026-000002", "category": "Äste", "deadline_local": "02.03.2026 12:00"},
        ],
        "at_risk": [],
        "staff_url": "http://maengel.test/staff",
    }
    subject, body = render("digest", context, lang)
    assert subject == (
        "Fristen-Übersicht Grünflächenamt: 2 überschritten, 0 gefährdet"
        if lang == "de"
        else "Deadline summary Grünflächenamt: 2 overdue, 0 at risk"
    )
    assert "- 2026-000001  Müll  (" in body and "01.03.2026 12:00" in body
    assert "- 2026-000002  Äste  (" in body
    assert ("- keine" if lang == "de" else "- none") in body
    assert "http://maengel.test/staff" in body
    # department and staff_url are optional.
    del context["department"], context["staff_url"]
    subject, body = render("digest", context, lang)
    assert "Grünflächenamt" not in subject and "http://" not in body


def test_unknown_language_falls_back_to_german(citizen_context):
    context = citizen_context()
    assert render("resolved", context, "fr") == render("resolved", context)
    assert render("resolved", context, "EN") == render("resolved", context, "en")


def test_a_missing_variable_fails_loudly(citizen_context):
    context = citizen_context()
    del context["tracking_url"]
    with pytest.raises(UndefinedError):
        render("acknowledged", context, "de")


def test_a_line_break_in_a_value_stays_out_of_the_subject(citizen_context):
    context = citizen_context(public_id="2026-1\r\nBcc: evil@example.org\u2028X-Evil: 1")
    subject, body = render("acknowledged", context, "de")
    assert subject == "Ihre Meldung 2026-1 Bcc: evil@example.org X-Evil: 1 wurde angenommen"
    assert body.startswith("Guten Tag,\n")


@pytest.mark.parametrize("name", ["../secret", "Acknowledged", "a.de", ""])
def test_template_names_are_checked(name, citizen_context):
    with pytest.raises(ValueError):
        render(name, citizen_context(), "de")
