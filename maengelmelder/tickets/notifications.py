"""Which mails a ticket change causes, queued in the outbox in the same transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ..clock import BERLIN
from ..core import states
from ..core.events import TicketEvent
from ..core.links import Links
from ..core.models import Report
from ..notify.service import queue_mail


def recipients(report: Report) -> list[tuple[str, str, bool]]:
    """(e-mail, language, is the reporter) of everyone who asked to hear about the report."""
    people = []
    if report.reporter_email and report.notify_reporter:
        people.append((report.reporter_email, report.lang, True))
    people += [(f.email, f.lang, False) for f in report.followers]
    return people


def notify_followers(
    session: Session, report: Report, kind: str, event: TicketEvent, now: datetime, links: Links
) -> int:
    """Queue one mail per recipient; the dedupe key makes a repeated call queue nothing."""
    queued = 0
    for email, lang, is_reporter in recipients(report):
        # Only the reporter gets the tracking link (it can reopen or close the ticket and shows
        # unpublished text); followers get the public page.
        link = links.tracking_url(report) if is_reporter else links.public_url(report)
        context = {
            "public_id": report.public_id,
            "category": report.category.name_de if lang == "de" else report.category.name_en,
            "status_label": states.LABELS[report.status][lang if lang in ("de", "en") else "de"],
            "tracking_url": link,
            "note": event.public_note,
            "city_name": links.city_name,
            "deadline_local": report.deadline.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M"),
        }
        message = queue_mail(
            session,
            kind=kind,
            to=email,
            template=kind,
            context=context,
            now=now,
            lang=lang,
            report_id=report.id,
            dedupe_key=f"{report.id}:{kind}:{event.id}:{email}",
        )
        queued += message is not None
    return queued
