"""The health check city IT points its monitoring and load balancer at."""

from __future__ import annotations


def test_healthy_without_redis(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "not_configured", "object_store": "not_configured"},
    }


def test_healthy_with_the_real_redis(app, client, redis_url):
    app.config["REDIS_URL"] = redis_url
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json["checks"]["redis"] == "ok"


def test_unhealthy_when_redis_does_not_answer(app, client):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    resp = client.get("/healthz")
    assert resp.status_code == 503
    assert resp.json["checks"] == {
        "database": "ok",
        "redis": "unavailable",
        "object_store": "not_configured",
    }
    assert resp.headers["Retry-After"] == "30"
