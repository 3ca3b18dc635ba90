"""Files no photo refers to (left by a process that died before removing them) are swept, a
bounded slice a run, once they are an hour old; a file a photo refers to, as its public files
or its unblurred original, is never removed, on the folder and in the bucket."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from maengelmelder.app import create_app
from maengelmelder.extensions import db
from maengelmelder.storage import storage
from maengelmelder.storage.sweep import media_orphans
from tests import images
from tests.media import BOTH_MEDIA
from tests.passes import run_privacy_passes
from tests.reports.helpers import media_files, post_multipart, report_json

BATCH = 2


def _names(media_dir) -> set[str]:
    return {item.name for item in media_files(media_dir)}


def _orphans(app, count: int) -> set[str]:
    """Files written as a request does, whose row never came (the process died)."""
    names = set()
    with app.app_context():
        for _ in range(count):
            name = f"{uuid.uuid4().hex}-web.jpg"
            storage().write(name, images.phone_jpeg(64, 48))
            names.add(name)
    return names


def _foreign(media_dir) -> None:
    """A file that is not one of ours, where ours lie: never touched."""
    if isinstance(media_dir, Path):
        (media_dir / "ab").mkdir(parents=True, exist_ok=True)
        (media_dir / "ab" / "notes.txt").write_text("kept")
    else:
        key = media_dir.prefix + "ab/notes.txt"
        media_dir.server.client().put_object(Bucket="media", Key=key, Body=b"kept")


def _sweep_round(app) -> list[dict]:
    """Runs of the job until its listing reached the end once; what each did."""
    runs = []
    while not runs or not runs[-1]["wrapped"]:
        with app.app_context():
            try:
                runs.append(media_orphans())
            finally:
                db.session.remove()
        assert len(runs) < 50, runs
    return runs


def _file_two_reports(client, staff) -> tuple:
    """One report whose photo's privacy pass ran (public files and original), and one whose
    pass has not run yet; each photo as its department's staff see it."""
    crew = staff.client("crew", "tiefbau")
    first = post_multipart(client, report_json(), [images.phone_jpeg(640, 480)])
    assert first.status_code == 201, first.json
    run_privacy_passes(client.application)
    second = post_multipart(client, report_json(), [images.phone_jpeg(640, 480)])
    assert second.status_code == 201, second.json
    photos = []
    for resp in (first, second):
        ticket = crew.get(f"/api/v1/tickets/{resp.json['report']['public_id']}").json
        photos.extend(ticket["photos"])
    assert photos[0]["original_url"] and photos[1]["original_url"] is None
    return crew, photos


@BOTH_MEDIA
def test_old_unreferenced_files_go_and_referenced_ones_stay(app, client, staff, clock, media_dir):
    app.config["MEDIA_SWEEP_BATCH"] = BATCH
    crew, photos = _file_two_reports(client, staff)
    referenced = _names(media_dir)
    assert len(referenced) == 6  # web and thumbnail: blurred, original, and the pending one
    orphans = _orphans(app, 3)
    _foreign(media_dir)
    listed = len(referenced) + len(orphans)

    # Half an hour after they were written: a transaction may still be under way.
    clock.now = datetime.now(UTC) + timedelta(minutes=30)
    runs = _sweep_round(app)
    assert sum(run["removed"] for run in runs) == 0
    assert _names(media_dir) == referenced | orphans | {"notes.txt"}

    # Two hours on: the orphans go, a bounded slice a run, the cursor carried between runs.
    clock.now = datetime.now(UTC) + timedelta(hours=2)
    runs = _sweep_round(app)
    assert all(run["listed"] <= BATCH for run in runs), runs
    assert sum(run["listed"] for run in runs) == listed
    assert len(runs) in (math.ceil(listed / BATCH), math.ceil(listed / BATCH) + 1)
    assert sum(run["removed"] for run in runs) == len(orphans)
    assert _names(media_dir) == referenced | {"notes.txt"}

    # Every photo still loads, for staff, and the original too.
    for photo in photos:
        for url in filter(None, (photo["url"], photo["thumbnail_url"], photo["original_url"])):
            assert crew.get(url).status_code == 200, url
    assert sum(run["removed"] for run in _sweep_round(app)) == 0


@pytest.mark.parametrize("media_backend", ["local"])
def test_the_cursor_is_shared_by_the_hosts_through_redis(
    app, client, staff, clock, media_dir, redis_url, tmp_path
):
    """Two hosts take turns running the job: with the cursor in Redis, together they look at
    each file once a round (a cursor per process would list the same files again)."""
    settings = {"REDIS_URL": redis_url, "MEDIA_SWEEP_BATCH": BATCH}
    app.config.update(settings)
    other = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "MEDIA_DIR": str(media_dir),
            "SECRET_KEY": "test-secret",
            "CLOCK": clock,
            "INSTANCE_PATH": str(tmp_path / "other"),
            "INPROCESS_JOBS": False,
            **settings,
        }
    )
    _file_two_reports(client, staff)
    referenced = _names(media_dir)
    orphans = _orphans(app, 5)
    clock.now = datetime.now(UTC) + timedelta(hours=2)

    runs = []
    while not runs or not runs[-1]["wrapped"]:
        host = (app, other)[len(runs) % 2]
        with host.app_context():
            try:
                runs.append(media_orphans())
            finally:
                db.session.remove()
        assert len(runs) < 50, runs
    with other.app_context():
        db.engine.dispose()
    listed = len(referenced) + len(orphans)
    assert sum(run["listed"] for run in runs) == listed
    assert sum(run["removed"] for run in runs) == len(orphans)
    assert _names(media_dir) == referenced
