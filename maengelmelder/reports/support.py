"""'Me too': citizens support an open report instead of filing a duplicate, once per device,
and may ask to hear about it by e-mail, which the address's owner confirms first."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..abuse.confirmation import ask_supporter
from ..core import states
from ..core.links import Links
from ..core.models import Report, Support
from ..errors import ApiError


def supporter_id(secret_key: str, device: str) -> str:
    """Who supports, as HMAC-SHA256(secret key, "support:" + device key): a device is
    recognised on a report without its id or address being kept (and without matching the
    same device's abuse flags, which are keyed apart)."""
    message = f"support:{device}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Supported:
    """The outcome of a support."""

    report: Report
    counted: bool  # False: this supporter had supported the report before
    asked: bool  # a confirmation mail went to the given address


def support(
    session: Session,
    report: Report,
    *,
    supporter: str,
    email: str | None,
    lang: str,
    now: datetime,
    links: Links,
    confirm_days: int,
) -> Supported:
    """Count a supporter once per report; with an e-mail address, ask its owner first whether
    they want news about the report (abuse/confirmation.py): a third party's address gets that
    one mail and nothing else."""
    if report.status not in states.OPEN:
        raise ApiError(409, "support_closed")
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    new_id = session.execute(
        insert(Support)
        .values(report_id=report.id, supporter=supporter, created_at=now)
        .on_conflict_do_nothing(index_elements=["report_id", "supporter"])
        .returning(Support.id)
    ).scalar()
    if new_id is not None:
        # One statement: supports arriving together each count, and none fails the ticket's
        # version check; the version still moves, as for any change of the ticket.
        session.execute(
            update(Report)
            .where(Report.id == report.id)
            .values(supporters=Report.supporters + 1, version=Report.version + 1)
            .execution_options(synchronize_session=False)
        )
        session.expire(report, ["supporters", "version"])
    email = (email or "").strip().lower() or None
    asked = False
    if email:
        known = {f.email.strip().lower() for f in report.followers}
        known.add((report.reporter_email or "").strip().lower())
        if email not in known:
            asked = ask_supporter(
                session, report, email=email, lang=lang, links=links, now=now, days=confirm_days
            )
    session.flush()
    return Supported(report, counted=new_id is not None, asked=asked)
