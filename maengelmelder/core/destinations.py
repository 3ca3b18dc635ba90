"""External bodies a ticket can be handed to (destinations): shared domain data, like the
departments, because routing rules (zoning) name them and forwarding reaches them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..types import JSONType, UTCDateTime

OPEN311, EMAIL, WEBHOOK = "open311", "email", "webhook"
CHANNELS = (OPEN311, EMAIL, WEBHOOK)


class Destination(db.Model):
    """An external body (Stadtwerke, Autobahn GmbH, a contractor) and the one channel it
    is reached by."""

    __tablename__ = "destinations"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    name_de: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(16))
    # Open311: the endpoint's root (…/open311/v2); webhook: the URL posted to.
    url: Mapped[str | None] = mapped_column(String(2000))
    api_key: Mapped[str | None] = mapped_column(String(255))
    jurisdiction_id: Mapped[str | None] = mapped_column(String(255))
    # Open311: our category code -> their service_code.
    service_codes: Mapped[dict | None] = mapped_column(JSONType)
    email: Mapped[str | None] = mapped_column(String(254))
    # Webhook: the HMAC key. Shown once when made; kept, as the signature needs it.
    secret: Mapped[str | None] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
