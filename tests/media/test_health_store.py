"""`/healthz` asks the object store when photos live in a bucket: a frozen store (SIGSTOP:
connections accepted, nothing answered) is reported within the store's timeout as
"unavailable" with 503 and Retry-After, as a database or Redis that does not answer; once the
store answers again, so does the health check, without a restart."""

from __future__ import annotations

import pytest

from maengelmelder.storage import init_app

pytestmark = pytest.mark.parametrize("media_backend", ["s3"])


def test_healthz_reports_a_frozen_object_store_and_its_return(app, client, s3_server):
    app.config.update(S3_TIMEOUT_SECONDS=1, S3_ATTEMPTS=2)
    init_app(app)
    resp = client.get("/healthz")
    assert resp.status_code == 200, resp.json
    assert resp.json["checks"]["object_store"] == "ok"

    s3_server.pause()
    try:
        resp = client.get("/healthz")
        assert resp.status_code == 503, resp.json
        assert resp.json["status"] == "unavailable"
        assert resp.json["checks"] == {
            "database": "ok",
            "redis": "not_configured",
            "object_store": "unavailable",
        }
        assert int(resp.headers["Retry-After"]) > 0
    finally:
        s3_server.resume()

    resp = client.get("/healthz")
    assert resp.status_code == 200, resp.json
    assert resp.json["checks"]["object_store"] == "ok"
