"""The block list of sender addresses and domains."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..types import UTCDateTime


class BlockedSender(db.Model):
    """An e-mail address (`name@example.org`) or a domain (`@example.org`, with subdomains)
    whose reports are accepted but held back from the public until staff look at them."""

    __tablename__ = "blocked_senders"

    id: Mapped[int] = mapped_column(primary_key=True)
    pattern: Mapped[str] = mapped_column(String(254), unique=True)
    reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(128))
