"""Personal data is kept only as long as needed, and erased on request."""

from __future__ import annotations

from sqlalchemy import func, select

from maengelmelder.core.models import Follower, Photo, Report
from maengelmelder.extensions import db
from maengelmelder.notify.jobs import send_pending
from maengelmelder.notify.models import OutboxMessage
from maengelmelder.privacy.jobs import retention
from tests import images
from tests.media import BOTH_MEDIA
from tests.reports.helpers import media_files, post_multipart, report_json, support_and_follow
from tests.tickets.helpers import version_of


def _move(crew, public_id: str, to: str, **fields):
    resp = crew.post(
        f"/api/v1/tickets/{public_id}/transition",
        json={"to": to, **fields},
        headers={"If-Match": version_of(crew, public_id)},
    )
    assert resp.status_code == 200, resp.json
    return resp


def _report(app, public_id: str) -> Report:
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.public_id == public_id))
        db.session.expunge(report)
        return report


@BOTH_MEDIA
def test_retention_forgets_contacts_and_unpublished_photos_90_days_after_closing(
    app, client, staff, clock, media_dir
):
    crew = staff.client("crew", "tiefbau")
    photo = images.phone_jpeg(width=640, height=480)
    done = post_multipart(client, report_json(email="anna@example.org"), [photo]).json
    done_id = done["report"]["public_id"]
    support_and_follow(app, client, done_id, "ben@example.org")
    still_open = client.post("/api/v1/reports", json=report_json(email="carl@example.org"))
    open_id = still_open.json["report"]["public_id"]
    _move(crew, done_id, "resolved", public_note="Verfüllt")
    _move(crew, done_id, "closed")
    assert len(media_files(media_dir)) == 2
    with app.app_context():
        # "resolved" to the reporter and the supporter, and the supporter's confirmation.
        assert send_pending()["sent"] == 3

    clock.advance(days=89)
    with app.app_context():
        assert retention()["reports"] == 0
    clock.advance(days=2)
    with app.app_context():
        summary = retention()
        assert db.session.scalar(select(func.count()).select_from(Follower)) == 0
        assert db.session.scalar(select(func.count()).select_from(Photo)) == 0
    assert summary == {"reports": 1, "emails": 1, "followers": 1, "photos": 1, "mails": 3}
    assert media_files(media_dir) == []  # the files went with the rows
    assert _report(app, done_id).reporter_email is None
    assert _report(app, open_id).reporter_email == "carl@example.org"  # still open: kept
    history = crew.get(f"/api/v1/tickets/{done_id}").json["history"]
    assert history[-1]["kind"] == "privacy" and "anna" not in str(history)
    with app.app_context():
        assert retention()["reports"] == 0  # nothing left to do


@BOTH_MEDIA
def test_erasure_on_request_removes_the_address_everywhere(app, client, staff):
    crew = staff.client("crew", "tiefbau")
    mine = client.post("/api/v1/reports", json=report_json(email="Anna@Example.org")).json
    other = client.post("/api/v1/reports", json=report_json(email="ben@example.org")).json
    support_and_follow(app, client, other["report"]["public_id"], "anna@example.org")
    _move(crew, mine["report"]["public_id"], "acknowledged")  # queues a mail to Anna
    result = app.test_cli_runner().invoke(args=["privacy", "erase", "ANNA@example.org"])
    assert result.exit_code == 0, result.output
    # The mails: the acknowledgement and the supporter's confirmation.
    assert (
        "1 report: address removed; 1 follower entry: removed; 2 mails to the address: deleted"
        in result.output
    )
    assert mine["report"]["public_id"] in result.output
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).select_from(Report).where(Report.reporter_email.is_not(None))
            )
            == 1
        )  # only Ben's
        assert db.session.scalar(select(func.count()).select_from(Follower)) == 0
        recipients = db.session.scalars(select(OutboxMessage.recipient)).all()
    assert all("anna" not in r.lower() for r in recipients)
