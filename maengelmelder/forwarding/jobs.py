"""The delivery jobs: one hand-over right after its commit, and the recurring sweep."""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import sessionmaker

from ..clock import now
from ..core.events import Change
from ..core.links import base_url, links
from ..core.models import Report
from ..core.settings import mail_settings, sla_settings
from ..extensions import db
from ..notify.mailer import make_mailer
from ..reports.media import listed_photos
from ..storage import storage
from . import answers, channels
from .link import link_token
from .models import EMAIL, OPEN311, WEBHOOK, Delivery
from .sending import MAX_ATTEMPTS, deliver_due


def _public_photos(delivery: Delivery) -> list[str]:
    """The storage names of the report's public photos (after their privacy pass), now."""
    report = db.session.get(Report, delivery.report_id)
    names = [f"{p.storage_key}-web.jpg" for p in listed_photos(report)] if report else []
    db.session.remove()
    return names


def _timeout() -> tuple[float, float]:
    """Seconds to connect and to wait for the answer (`FORWARDING_TIMEOUT`: the latter)."""
    read = float(current_app.config.get("FORWARDING_TIMEOUT", channels.TIMEOUT[1]))
    return (min(channels.TIMEOUT[0], read), read)


def _link(delivery: Delivery) -> str | None:
    """The secret link of an e-mail delivery (made with it at the hand-over)."""
    if not delivery.link_hash:
        return None
    return f"{base_url()}/extern/{link_token(current_app.config['SECRET_KEY'], delivery.key)}"


def send(delivery: Delivery) -> channels.Answer:
    """Send one delivery by its destination's channel (no transaction left open)."""
    destination = delivery.destination
    names = _public_photos(delivery)
    urls = [f"{base_url()}/media/{name}" for name in names]
    if destination.channel == OPEN311:
        first = urls[0] if urls else None
        return channels.send_open311(destination, delivery, first, timeout=_timeout())
    if destination.channel == WEBHOOK:
        return channels.send_webhook(destination, delivery, urls, timeout=_timeout())
    if destination.channel == EMAIL:
        settings = mail_settings()
        media = storage()
        photos = [(name, media.read(name)) for name in names if media.exists(name)]
        mail = channels.build_mail(
            destination,
            delivery,
            photos,
            sender=settings.sender,
            city=current_app.config["CITY_NAME"],
            link=_link(delivery),
        )
        mailer = make_mailer(settings)
        try:
            mailer.send_email(mail, destination.email or "")
        except Exception as exc:
            text = f"{type(exc).__name__}: {exc}"[:500]
            code = getattr(exc, "smtp_code", 0) or 0
            if 500 <= code < 600:
                raise channels.Refused(text) from exc
            raise channels.Trouble(text) from exc
        finally:
            mailer.close()
        return channels.Answer()
    raise channels.Refused(f"unknown channel {destination.channel!r}")


def _run(only: int | None) -> dict[str, int]:
    factory = sessionmaker(bind=db.engine)
    attempts = current_app.config.get("FORWARDING_MAX_ATTEMPTS", MAX_ATTEMPTS)
    return deliver_due(factory, send, now, only=only, max_attempts=attempts)


def deliver(delivery_id: int) -> dict[str, int]:
    """Deliver one hand-over, if it is (still) due."""
    return _run(delivery_id)


def deliver_pending() -> dict[str, int]:
    """The sweep: every due delivery, also those whose enqueue was lost or whose sender died."""
    return _run(None)


def poll_answers() -> dict[str, int]:
    """Ask the Open311 bodies about what we filed there (a token first for its request id);
    their `closed` resolves the ticket."""

    def change() -> Change:
        return Change(principal=None, now=now(), links=links(), sla=sla_settings(), by_system=True)

    def fetch(destination, remote_id: str):
        return channels.open311_status(destination, remote_id, timeout=_timeout())

    def resolve(destination, token: str):
        return answers.open311_token(destination, token, timeout=_timeout())

    try:
        return answers.poll_open311(db.session, fetch, change, resolve=resolve)
    finally:
        db.session.remove()
