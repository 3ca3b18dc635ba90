"""Redis in a request: one short wait at most, then the app leaves Redis alone for a while.

A request asks Redis for its rate limits (flask-limiter) and to enqueue its jobs. Each used to
wait for its own socket timeout, so a Redis that does not answer (frozen, or cut off by the
network: the connection stays open, nothing comes back) cost a report twice the timeout.

Now both go through one guard per Redis server and process. The first call that fails
(times out, or finds the port closed) marks the server as failed; for the next
REDIS_PAUSE_SECONDS every call made through the guard fails at once, without a byte sent: the
limiter counts in memory (its in-memory fallback), jobs are left to the recurring sweep
(jobs.py). So a request waits for Redis at most REDIS_TIMEOUT_SECONDS in all, and the next
requests not at all. After the pause, the next call asks Redis again; `/healthz` asks it
every time (and so ends the pause as soon as Redis answers).

The worker and the recurring schedule's clients are not guarded: they wait for Redis as
long as it takes.
"""

from __future__ import annotations

import threading
import time

from flask import Flask, current_app

_GUARDS = "maengelmelder.redis"
_lock = threading.Lock()


class RedisGuard:
    """The request-side client of one Redis server, and whether it failed just now."""

    def __init__(self, url: str, timeout: float, pause_seconds: float) -> None:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self.url = url
        self.timeout = timeout
        self.pause_seconds = pause_seconds
        # When the last call failed (monotonic), None after an answer.
        self.failed_at: float | None = None
        options = {
            "socket_connect_timeout": timeout,
            "socket_timeout": timeout,
            # redis-py retries failed calls by default: each retry would wait once more.
            "retry": Retry(NoBackoff(), 0),
        }
        base = redis.ConnectionPool.from_url(url).connection_class
        self.pool = redis.ConnectionPool.from_url(
            url, connection_class=_guarded(base, self), **options
        )
        self.client = redis.Redis(connection_pool=self.pool)
        # For /healthz: asks Redis even during the pause.
        self._probe = redis.Redis(connection_pool=redis.ConnectionPool.from_url(url, **options))

    def resting(self) -> bool:
        """Whether a call failed less than `pause_seconds` ago (so Redis is not asked now)."""
        failed_at = self.failed_at
        return failed_at is not None and time.monotonic() - failed_at < self.pause_seconds

    def failed(self) -> None:
        self.failed_at = time.monotonic()

    def answered(self) -> None:
        self.failed_at = None

    def probe(self) -> bool:
        """Ask Redis now, pause or not (one wait of at most the timeout); whether it answered."""
        import redis

        try:
            self._probe.ping()
        except redis.RedisError:
            self.failed()
            return False
        self.answered()
        return True


def _guarded(base: type, guard: RedisGuard) -> type:
    """`base` (redis-py's connection class for the URL), asking `guard` before each command."""
    from redis.exceptions import ConnectionError, TimeoutError

    class GuardedConnection(base):  # type: ignore[valid-type, misc]
        def connect_check_health(self, *args, **kwargs):
            if guard.resting():
                raise ConnectionError("Redis failed just now; not asked again yet")
            try:
                return super().connect_check_health(*args, **kwargs)
            except (ConnectionError, TimeoutError):
                guard.failed()
                raise

        def send_packed_command(self, *args, **kwargs):
            if guard.resting():
                self.disconnect()
                raise ConnectionError("Redis failed just now; not asked again yet")
            try:
                return super().send_packed_command(*args, **kwargs)
            except (ConnectionError, TimeoutError):
                guard.failed()
                raise

        def read_response(self, *args, **kwargs):
            try:
                response = super().read_response(*args, **kwargs)
            except (ConnectionError, TimeoutError):
                guard.failed()
                raise
            guard.answered()
            return response

    return GuardedConnection


def guard(app: Flask | None = None, url: str | None = None) -> RedisGuard:
    """The guard of `url` (the app's REDIS_URL by default), made once per app and URL."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    url = url or app.config["REDIS_URL"]
    guards = app.extensions.setdefault(_GUARDS, {})
    found = guards.get(url)
    if found is None:
        with _lock:
            found = guards.get(url)
            if found is None:
                found = guards[url] = RedisGuard(
                    url,
                    float(app.config.get("REDIS_TIMEOUT_SECONDS", 1.0)),
                    float(app.config.get("REDIS_PAUSE_SECONDS", 10.0)),
                )
    return found


def init_app(app: Flask) -> None:
    """Count rate limits in Redis through its guard (in memory while Redis rests)."""
    uri = str(app.config["RATELIMIT_STORAGE_URI"])
    if uri.startswith(("redis://", "rediss://")):
        app.config.setdefault(
            "RATELIMIT_STORAGE_OPTIONS", {"connection_pool": guard(app, uri).pool}
        )
