"""E-mail confirmation. Reports (optional): reports from an address never confirmed wait until
its owner follows the link in a mail; then they, and later reports from that address, go the
usual way. Supporters (always): an address given with a "me too" gets a confirmation mail
and nothing else until its owner follows the link; only then does it hear about the report.

The link carries a signed, timed token (itsdangerous, the service's secret key, a salt of its
own) over the report id, or over the supporter's confirmation mail; the time comes from the
app's clock, so tests can let it expire.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..core.events import TicketEvent
from ..core.links import Links
from ..core.models import Follower, Report
from ..core.settings import AbuseSettings
from ..core.tokens import tracking_token
from ..emails import email_key
from ..errors import ApiError
from ..notify.models import OutboxMessage
from ..notify.service import queue_mail
from .models import ConfirmedEmail
from .service import BLOCKLIST, EMAIL_UNCONFIRMED, blocked_pattern, hold

SALT = "maengelmelder.confirm-email"


def email_hash(secret_key: str, email: str) -> str:
    """How a confirmed address is kept: HMAC-SHA256(secret key, the address's key)."""
    key = email_key(email) or ""
    return hmac.new(secret_key.encode(), key.encode(), hashlib.sha256).hexdigest()


def _serializer(secret_key: str, now: datetime) -> URLSafeTimedSerializer:
    stamp = int(now.timestamp())

    class _Signer(TimestampSigner):
        def get_timestamp(self) -> int:
            return stamp

    return URLSafeTimedSerializer(secret_key, salt=SALT, signer=_Signer)


def make_token(secret_key: str, report_id: int, now: datetime) -> str:
    return _serializer(secret_key, now).dumps(report_id)


def _payload(secret_key: str, token: str, *, now: datetime, days: int) -> object:
    """What a token was made for; 410 when it is older than `days`, 400 when bad."""
    try:
        return _serializer(secret_key, now).loads(token, max_age=days * 86400)
    except SignatureExpired as exc:
        raise ApiError(410, "confirmation_expired", days=days) from exc
    except BadSignature as exc:
        raise ApiError(400, "confirmation_invalid") from exc


def read_token(secret_key: str, token: str, *, now: datetime, days: int) -> int:
    """The report id a token was made for; 410 when it is older than `days`, 400 when bad."""
    report_id = _payload(secret_key, token, now=now, days=days)
    if type(report_id) is not int:
        raise ApiError(400, "confirmation_invalid")
    return report_id


# A supporter's token: [FOLLOW, the dedupe key of its confirmation mail].
FOLLOW = "follow"
FOLLOW_MAIL = "confirm_follow"


def _follow_mail_key(payload: object) -> str | None:
    if isinstance(payload, list) and len(payload) == 2 and payload[0] == FOLLOW:
        key = payload[1]
        return key if isinstance(key, str) else None
    return None


def is_confirmed(session: Session, secret_key: str, email: str) -> bool:
    return session.get(ConfirmedEmail, email_hash(secret_key, email)) is not None


def hold_unconfirmed(
    session: Session, report: Report, *, settings: AbuseSettings, links: Links, now: datetime
) -> bool:
    """With confirmation on, hold a report from an address never confirmed and queue the
    confirmation mail in the same transaction; returns whether it did."""
    email = report.reporter_email
    if not settings.confirm_unknown_emails or not email:
        return False
    if is_confirmed(session, links.secret_key, email):
        return False
    hold(report, EMAIL_UNCONFIRMED, now)
    session.flush()
    base = links.base_url.rstrip("/")
    lang = report.lang if report.lang in ("de", "en") else "de"
    queue_mail(
        session,
        kind="confirm_email",
        to=email,
        template="confirm_email",
        context={
            "public_id": report.public_id,
            "category": report.category.name_de if lang == "de" else report.category.name_en,
            "confirm_url": f"{base}/confirm/{make_token(links.secret_key, report.id, now)}",
            "tracking_url": f"{base}/track/"
            + tracking_token(links.secret_key, report.tracking_salt),
            "days": settings.confirm_email_days,
            "city_name": links.city_name,
        },
        now=now,
        lang=lang,
        report_id=report.id,
        dedupe_key=f"{report.id}:confirm_email",
    )
    return True


def ask_supporter(
    session: Session,
    report: Report,
    *,
    email: str,
    lang: str,
    links: Links,
    now: datetime,
    days: int,
) -> bool:
    """Queue the mail that asks a supporter's address whether it wants news about `report`;
    returns whether one was queued.

    Nothing else is sent to the address until its owner follows the link (`confirm`). The
    address is kept nowhere but in that mail: the link names the mail (its dedupe key), so an
    erasure or the retention of sent mails ends a subscription nobody confirmed. One mail per
    report and address within `days` (later supports of the same address add none), and none
    to a blocked address.
    """
    email = email.strip().lower()
    if blocked_pattern(session, email) is not None:
        return False
    period = int(now.timestamp()) // (max(days, 1) * 86400)
    key = f"{FOLLOW_MAIL}:{report.id}:{email_hash(links.secret_key, email)}:{period}"
    base = links.base_url.rstrip("/")
    lang = lang if lang in ("de", "en") else "de"
    token = _serializer(links.secret_key, now).dumps([FOLLOW, key])
    queued = queue_mail(
        session,
        kind=FOLLOW_MAIL,
        to=email,
        template=FOLLOW_MAIL,
        context={
            "public_id": report.public_id,
            "category": report.category.name_de if lang == "de" else report.category.name_en,
            "confirm_url": f"{base}/confirm/{token}",
            "report_url": f"{base}/reports/{report.public_id}",
            "days": days,
            "city_name": links.city_name,
        },
        now=now,
        lang=lang,
        report_id=report.id,
        dedupe_key=key,
    )
    return queued is not None


@dataclass
class Confirmed:
    """The outcome of following a confirmation link."""

    report: Report
    released: list[str]
    # A supporter's link: the address now hears about the report.
    following: bool = False


def confirm(
    session: Session, token: str, *, secret_key: str, now: datetime, days: int
) -> Confirmed:
    """Record the token's address as confirmed and release its reports held for that reason;
    for a supporter's token, let the address follow the report.

    Idempotent: confirming again changes nothing. The block list wins: reports from an
    address on it stay held (as "blocklist") whatever the confirmation.
    """
    payload = _payload(secret_key, token, now=now, days=days)
    mail_key = _follow_mail_key(payload)
    if mail_key is not None:
        return _follow(session, mail_key, now=now)
    if type(payload) is not int:
        raise ApiError(400, "confirmation_invalid")
    report_id = payload
    report = session.get(Report, report_id)
    if report is None or not report.reporter_email:
        raise ApiError(400, "confirmation_invalid")
    email = report.reporter_email.strip().lower()
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(ConfirmedEmail)
        .values(email_hash=email_hash(secret_key, email), confirmed_at=now)
        .on_conflict_do_nothing(index_elements=["email_hash"])
    )
    held = session.scalars(
        select(Report)
        .where(
            Report.reporter_email_key == email_key(email),
            Report.held_reason == EMAIL_UNCONFIRMED,
        )
        .order_by(Report.id)
    ).all()
    blocked = blocked_pattern(session, email) is not None
    released = []
    for each in held:
        if blocked:
            each.held_reason = None  # hold() sets it again, with its own event
            hold(each, BLOCKLIST, now)
            continue
        _release(each, now)
        released.append(each.public_id)
    session.flush()
    return Confirmed(report, released)


def _follow(session: Session, mail_key: str, *, now: datetime) -> Confirmed:
    """The supporter's address follows the report its confirmation mail was about."""
    mail = session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.dedupe_key == mail_key, OutboxMessage.kind == FOLLOW_MAIL
        )
    )
    report = session.get(Report, mail.report_id) if mail and mail.report_id else None
    if report is None:  # the mail was erased or retained away, or the report deleted
        raise ApiError(400, "confirmation_invalid")
    email = mail.recipient.strip().lower()
    known = {f.email.strip().lower() for f in report.followers}
    known.add((report.reporter_email or "").strip().lower())
    if email not in known and blocked_pattern(session, email) is None:
        # Through the ORM, so whatever the model keeps in step with an address is kept. The
        # same link followed twice at once: the unique (report, email) refuses the second at
        # the commit, and the caller confirms once more (then it finds the follower).
        report.followers.append(
            Follower(email=email, lang=mail.lang, source="support", created_at=now)
        )
    session.flush()
    return Confirmed(report, [], following=True)


def _release(report: Report, now: datetime) -> None:
    """Let a held report go the usual way: public now if its category publishes automatically."""
    auto = report.category.auto_publish
    report.held_reason = None
    report.published = auto
    for photo in report.photos:
        if photo.kind != "after":
            photo.approved = auto
    report.updated_at = now
    report.events.append(
        TicketEvent(
            created_at=now,
            actor="citizen",
            kind="email_confirmed",
            from_status=report.status,
            to_status=report.status,
            data={"published": auto},
        )
    )


def forget(session: Session, secret_key: str, emails: set[str]) -> int:
    """Remove the confirmations of these addresses (privacy); returns how many there were."""
    if not emails:
        return 0
    hashes = [email_hash(secret_key, e) for e in emails]
    result = session.execute(delete(ConfirmedEmail).where(ConfirmedEmail.email_hash.in_(hashes)))
    return result.rowcount or 0
