"""A PostgreSQL server that stops answering costs a request at most DB_TIMEOUT_SECONDS.

A pooled connection has no read timeout of its own: libpq waits for the server's answer for
as long as the socket stays open. TCP keepalives and `tcp_user_timeout` (set here as well)
end a connection to a host that is gone, but not to one whose processes are frozen, swapped
out or stuck on a disk: the host's kernel acknowledges every byte and answers every
keepalive probe. And `statement_timeout` runs on the server's clock, which a frozen server
does not run either.

So each wait of a request for the server (a query, a commit, the pool's ping before it
hands out a connection) is watched: when it has lasted DB_TIMEOUT_SECONDS, a watchdog thread
shuts the connection's socket down. libpq reads end-of-file, psycopg raises
OperationalError, SQLAlchemy drops the connection and marks the pool's other connections
for renewal, and the request answers 503 `database_unavailable` with Retry-After
(errors.py). A request that met a silent server does not try to connect again (that would
cost the connect timeout on top); the next request connects anew, bounded by the connect
timeout, which for requests is at most DB_TIMEOUT_SECONDS as well.

Only requests (and the streamed answers they start) are bounded. The command line
(migrations, the demo history's bulk writes), the job runner and the rq worker may wait on a
busy server for as long as their work takes; a frozen server holds them until it answers
again, which delays work but loses none.

Behind PgBouncer in transaction mode (MAENGELMELDER_DATABASE_POOLER=pgbouncer), consecutive
transactions of one pooled connection may run on different server connections, so nothing
may outlive a transaction on the server. The service keeps no such state: it sets nothing
per connection (no `SET` without LOCAL), takes no advisory locks (row locks with FOR UPDATE
and conditional UPDATEs end with their transaction), uses neither LISTEN/NOTIFY nor
temporary tables. The one thing psycopg does by itself is preparing a statement on the
server after its fifth use (`_pg3_0`, `_pg3_1`, ...): on the next server connection that
name is unknown, or already taken by another client's statement, and the query fails. The
setting turns that off (`prepare_threshold=None`, POOLER_CONNECT_ARGS). It is a setting and
not a guess from the URL because nothing in a URL tells a PgBouncer from a PostgreSQL.

The bound on requests above is the client's own clock and works the same through the pooler
(the watchdog shuts the socket to PgBouncer, which closes the server connection the
transaction ran on, and PostgreSQL rolls the transaction back).
A server-side `statement_timeout` for the work that is not bounded belongs on the role
(`ALTER ROLE maengelmelder SET statement_timeout = '60s'`): PgBouncer refuses the `options`
startup parameter (`?options=-cstatement_timeout=...` in the URL), and a role setting is
applied by PostgreSQL on every server connection whichever client uses it.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import math
import os
import socket
import threading
import time

from flask import Flask, g, has_app_context, has_request_context
from sqlalchemy import event
from sqlalchemy.engine import Engine

# TCP settings for every PostgreSQL connection (libpq's names): a host that vanished (a
# network cut, a crashed machine) is noticed within about a minute even by the worker,
# whose waits are not bounded.
TCP_OPTIONS = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
    "tcp_user_timeout": 60_000,  # ms: data the peer has not acknowledged
}

# psycopg's connect arguments behind PgBouncer in transaction mode: never prepare on the server.
POOLER_CONNECT_ARGS = {"prepare_threshold": None}

# Set on `g` once a request has used the database: its app context's teardown (which ends
# the session's transaction, a round trip too) stays bounded after the request context is
# gone. Set when one of its waits ran out: it does not connect again.
_IN_REQUEST = "maengelmelder.database.in_request"
_TIMED_OUT = "maengelmelder.database.timed_out"


def _requests_bound(seconds: float) -> float | None:
    """`seconds` while serving a request, None (no bound) anywhere else."""
    if has_request_context():
        g.setdefault(_IN_REQUEST, True)
        return seconds
    if has_app_context() and g.get(_IN_REQUEST):
        return seconds
    return None


class _Watch:
    """One wait of a request: its socket, and whether it ended or was shut down."""

    __slots__ = ("done", "fd", "fired")

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.done = False
        self.fired = False


class Watchdog:
    """One daemon thread per process that shuts down the sockets of waits past their deadline.

    A watch costs a heap push and a flag; the thread sleeps until the earliest deadline and
    is woken only when a watch becomes the earliest. Every wait of a request passes through
    here (about eight per report), so the heap holds plain tuples that compare in C and the
    condition sits on a plain lock, not a re-entrant one.
    """

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, _Watch]] = []
        self._seq = itertools.count()
        self._changed = threading.Condition(threading.Lock())
        self._thread: threading.Thread | None = None

    def start(self, fd: int, seconds: float) -> _Watch:
        watch = _Watch(fd)
        entry = (time.monotonic() + seconds, next(self._seq), watch)
        with self._changed:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="maengelmelder-db-watchdog", daemon=True
                )
                self._thread.start()
            heapq.heappush(self._heap, entry)
            if self._heap[0] is entry:
                self._changed.notify()
        return watch

    def stop(self, watch: _Watch) -> bool:
        """End a watch; whether its deadline had passed (and the socket was shut down)."""
        with self._changed:
            watch.done = True
            return watch.fired

    def _loop(self) -> None:
        with self._changed:
            while True:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._changed.wait()
                    continue
                left = self._heap[0][0] - time.monotonic()
                if left > 0:
                    self._changed.wait(left)
                    continue
                # Under the lock: the wait cannot end (and its fd be closed) meanwhile.
                watch = heapq.heappop(self._heap)[2]
                watch.fired = True
                _shut_down(watch.fd)

    def _after_fork(self) -> None:
        # A forked child (a gunicorn worker) has none of the parent's threads or waits.
        self._heap = []
        self._changed = threading.Condition(threading.Lock())
        self._thread = None


def _shut_down(fd: int) -> None:
    """Shut a socket down for reading and writing; the descriptor stays its owner's."""
    with contextlib.suppress(OSError):
        sock = socket.socket(fileno=os.dup(fd))
        try:
            sock.shutdown(socket.SHUT_RDWR)
        finally:
            sock.close()


WATCHDOG = Watchdog()
os.register_at_fork(after_in_child=WATCHDOG._after_fork)


def _connection_class(seconds: float):
    import psycopg

    class BoundedConnection(psycopg.Connection):
        """psycopg's connection, each wait for the server watched while serving a request."""

        def wait(self, gen, *args, **kwargs):
            bound = _requests_bound(seconds)
            if bound is None:
                return super().wait(gen, *args, **kwargs)
            watch = WATCHDOG.start(self.fileno(), bound)
            try:
                return super().wait(gen, *args, **kwargs)
            except psycopg.OperationalError as exc:
                if WATCHDOG.stop(watch):
                    g.setdefault(_TIMED_OUT, True)
                    raise psycopg.OperationalError(
                        f"the database did not answer within {bound:g} s"
                    ) from exc
                raise
            finally:
                WATCHDOG.stop(watch)

    return BoundedConnection


def bound_requests(engine: Engine, seconds: float) -> None:
    """Bound every wait of a request on `engine` (psycopg) to `seconds`, its connects too."""
    import psycopg

    connection_class = _connection_class(seconds)

    @event.listens_for(engine, "do_connect")
    def _connect(dialect, connection_record, cargs, cparams):
        bound = _requests_bound(seconds)
        if bound is not None:
            if g.get(_TIMED_OUT):
                raise psycopg.OperationalError(
                    "the database did not answer within the request's time; not connecting"
                )
            # libpq counts whole seconds, and at least two.
            limit = max(2, math.ceil(bound))
            cparams["connect_timeout"] = min(int(cparams.get("connect_timeout", limit)), limit)
        return connection_class.connect(*cargs, **cparams)


def init_app(app: Flask) -> None:
    """Bound requests' waits on the app's PostgreSQL engines (psycopg) by DB_TIMEOUT_SECONDS."""
    from .extensions import db

    seconds = float(app.config.get("DB_TIMEOUT_SECONDS") or 0)
    if seconds <= 0:
        return
    with app.app_context():
        engines = list(db.engines.values())
    for engine in engines:
        if engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg":
            bound_requests(engine, seconds)
