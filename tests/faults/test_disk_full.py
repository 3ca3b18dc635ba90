"""The photo disk fills up (ENOSPC) while a report's photos are being written.

tests/reports covers a media directory that cannot be written at all (EACCES / not a
directory). This is the other way disks fail: a real filesystem that runs out of space in the
middle of a request, after some of its photo files were written. The media directory is a
tmpfs of its own, 1 MiB small (mounting needs root; on CI, which runs as root, a missing
permission fails the run). The database is the usual test database (SQLite and PostgreSQL).

What a citizen would notice: "Die Fotos konnten nicht gespeichert werden ... / The photos could
not be stored ..." (507 with Retry-After); a report without photos is still filed. What an
operator would notice: a full disk, but no half-stored report and no stray files taking space;
once there is room again, the citizen's retry (same Idempotency-Key) files the report once.
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from maengelmelder.storage import MediaStorage
from tests import images
from tests.conftest import unavailable
from tests.reports.helpers import counts, media_files, post_multipart, report_json

SIZE = 1024 * 1024
NOTHING = {"reports": 0, "photos": 0, "ticket_events": 0}


@pytest.fixture
def media_dir(tmp_path: Path) -> Iterator[Path]:
    """The `app` fixture's media directory, on a 1 MiB tmpfs mounted for this test."""
    mount = tmp_path / "media"
    mount.mkdir()
    if os.geteuid() != 0:
        unavailable("a tmpfs to fill up", PermissionError("mounting a tmpfs needs root"))
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SIZE},mode=0755", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        unavailable("a tmpfs to fill up", OSError(done.stderr.strip()))
    try:
        yield mount
    finally:
        if subprocess.run(["umount", str(mount)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mount)], check=True)


def free_bytes(path: Path) -> int:
    stats = os.statvfs(path)
    return stats.f_bavail * stats.f_frsize


def fill(media_dir: Path, leave: int) -> Path:
    """A filler file that leaves `leave` bytes free (rounded to the filesystem's blocks)."""
    filler = media_dir / "filler"
    with open(filler, "wb") as out:
        out.write(b"\0" * (free_bytes(media_dir) - leave))
    return filler


def test_a_disk_that_fills_up_mid_request_stores_nothing_and_the_retry_files_once(
    app, client, media_dir, monkeypatch, caplog
):
    photo = images.phone_jpeg(width=800, height=600)  # about 112 KiB once stored
    filler = fill(media_dir, leave=200 * 1024)  # room for the first photo, not the second
    free_before = free_bytes(media_dir)
    key = {"Idempotency-Key": "disk-full-1"}
    written: list[str] = []
    put = MediaStorage.put

    def watched_put(self, session, name, data):  # observes only
        put(self, session, name, data)
        written.append(name)

    monkeypatch.setattr(MediaStorage, "put", watched_put)

    with caplog.at_level(logging.ERROR, logger="maengelmelder.storage"):
        resp = post_multipart(client, report_json(), [photo, photo, photo], headers=key)

    assert resp.status_code == 507
    assert "No space left on device" in caplog.text  # ENOSPC, not a permission problem
    assert len(written) >= 2  # the first photo's files were on disk when the space ran out
    error = resp.json["error"]
    assert error["code"] == "storage_failed" and set(error["message"]) == {"de", "en"}
    assert resp.headers["Retry-After"]
    assert counts(app) == NOTHING
    # The first photo's files were written and removed again; no temporary file is left.
    assert media_files(media_dir) == [filler]
    assert free_bytes(media_dir) == free_before

    # A report without photos does not need the disk: it is filed even now.
    fill(media_dir, leave=0)
    without_photo = client.post("/api/v1/reports", json=report_json())
    assert without_photo.status_code == 201
    assert post_multipart(client, report_json(), [photo]).status_code == 507

    # Room again: the citizen's app sends the same report with the same key.
    for path in media_files(media_dir):
        path.unlink()
    retried = post_multipart(client, report_json(), [photo, photo, photo], headers=key)
    assert retried.status_code == 201
    again = post_multipart(client, report_json(), [photo, photo, photo], headers=key)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json["report"]["public_id"] == retried.json["report"]["public_id"]
    assert counts(app) == {"reports": 2, "photos": 3, "ticket_events": 2}
    assert len(media_files(media_dir)) == 6  # web and thumbnail of each photo
