"""Shared helpers for report tests."""

from __future__ import annotations

import io
import re
from pathlib import Path

from sqlalchemy import func, select

from maengelmelder.core.events import TicketEvent
from maengelmelder.core.models import Photo, Report
from maengelmelder.extensions import db
from maengelmelder.notify.models import OutboxMessage

# A point in the demo city's Innenstadt (lat, lon).
INSIDE = {"lat": 50.1005, "lon": 8.7655}


def report_json(**overrides) -> dict:
    body = {"category": "schlagloch", "description": "Tiefes Loch vor Hausnummer 12", **INSIDE}
    body.update(overrides)
    return body


def post_multipart(client, fields: dict, photos: list[bytes] = (), headers=None, names=None):
    data = {k: str(v) for k, v in fields.items()}
    files = [
        (io.BytesIO(blob), (names[i] if names else f"photo{i}.jpg"))
        for i, blob in enumerate(photos)
    ]
    if files:
        data["photos"] = files
    return client.post(
        "/api/v1/reports", data=data, content_type="multipart/form-data", headers=headers or {}
    )


def counts(app) -> dict[str, int]:
    """How many reports, photos and events are stored."""
    with app.app_context():
        return {
            model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Report, Photo, TicketEvent)
        }


def media_files(media_dir: Path) -> list[Path]:
    """The stored photo files: a folder's, or a bucket prefix's objects (tests/media)."""
    if not isinstance(media_dir, Path):
        return media_dir.files()
    return sorted(p for p in media_dir.rglob("*") if p.is_file()) if media_dir.exists() else []


_CONFIRM_LINK = re.compile(r"/confirm/(\S+)$", re.M)


def support_and_follow(app, client, public_id: str, email: str, **body) -> None:
    """Support a report with an e-mail address and follow the link of its confirmation mail,
    as the address's owner does: only then does the address hear about the report."""
    resp = client.post(f"/api/v1/reports/{public_id}/support", json={"email": email, **body})
    assert resp.status_code == 200, resp.json
    with app.app_context():
        mail = db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "confirm_follow", OutboxMessage.recipient == email.lower())
            .order_by(OutboxMessage.id.desc())
        ).first()
        assert mail is not None, email
        [token] = _CONFIRM_LINK.findall(mail.body)
        db.session.remove()
    confirmed = client.post("/api/v1/reports/confirm", json={"token": token})
    assert confirmed.status_code == 200 and confirmed.json["following"], confirmed.json
