"""The object store not answering during intake: 503 with Retry-After after the bounded
timeouts, nothing half-written; once it answers again, intake works without a restart.

The store is frozen (SIGSTOP) rather than stopped: connections are accepted and never
answered, the case only timeouts end (a refused connection fails at once).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from maengelmelder.core.models import Photo
from maengelmelder.extensions import db
from maengelmelder.storage import init_app
from tests import images
from tests.reports.helpers import counts, media_files, post_multipart, report_json

pytestmark = pytest.mark.parametrize("media_backend", ["s3"])


def test_intake_while_the_object_store_is_down_answers_503_and_keeps_nothing(
    app, client, media_dir, s3_server
):
    app.config.update(S3_TIMEOUT_SECONDS=1, S3_ATTEMPTS=2)
    init_app(app)
    photos = [images.phone_jpeg(width=800, height=600)] * 2
    before = counts(app)
    s3_server.pause()
    try:
        resp = post_multipart(client, report_json(), photos)
        assert resp.status_code == 503, resp.json
        error = resp.json["error"]
        assert error["code"] == "storage_unavailable"
        assert set(error["message"]) == {"de", "en"} and all(error["message"].values())
        assert int(resp.headers["Retry-After"]) > 0
        assert counts(app) == before
    finally:
        s3_server.resume()

    # The same app, not restarted: the store is back, so is intake. A write that timed out
    # may have landed when the store woke up; it is removed by the next upload.
    resp = post_multipart(client, report_json(), photos)
    assert resp.status_code == 201, resp.json
    with app.app_context():
        keys = {p.storage_key for p in db.session.scalars(select(Photo))}
    assert len(keys) == 2
    assert {item.name[:32] for item in media_files(media_dir)} == keys
    assert len(media_files(media_dir)) == 4
    assert client.get(resp.json["report"]["photos"][0]["url"]).status_code == 200
