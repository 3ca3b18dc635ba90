"""A private PgBouncer in transaction mode in front of the shared PostgreSQL.

Debian's ``pgbouncer`` runs as a subprocess on a free loopback port, with its own config in a
temporary directory; each alias database it offers points at the real server's `test`
database with one schema as its search path (PgBouncer sets it on every server connection
it opens, ``connect_query``; it refuses the ``options`` startup parameter the direct test URLs
use for that). Authentication is ``trust`` with an auth file naming the one user. PgBouncer
refuses to run as root; under root it drops to the ``postgres`` system user (``-u``).

``max_prepared_statements`` exists only from PgBouncer 1.21 on; Debian 12's 1.18 passes
prepared statements through unchanged, as a newer one does with the setting at 0, which is
what makes a client's server-side prepared statement fail there.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.faults.services import Unavailable, _accepts, free_port, wait_until

UPSTREAM_HOST = "127.0.0.1"
UPSTREAM_PORT = 5432
UPSTREAM_DATABASE = "test"
USER = "postgres"


class PgBouncer:
    """``pgbouncer`` on a free port; `aliases` maps a database name to its schema."""

    def __init__(self, aliases: dict[str, str], *, pool_size: int = 4) -> None:
        binary = shutil.which("pgbouncer") or (
            "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None
        )
        if binary is None:
            raise Unavailable("pgbouncer is not installed (apt-get install pgbouncer)")
        self.binary = binary
        self.aliases = dict(aliases)
        self.pool_size = pool_size
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="mm-pgbouncer-"))
        self.as_root = os.geteuid() == 0
        self.proc: subprocess.Popen | None = None

    def url(self, alias: str) -> str:
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{alias}"

    def _config(self) -> str:
        databases = "\n".join(
            f"{alias} = host={UPSTREAM_HOST} port={UPSTREAM_PORT} dbname={UPSTREAM_DATABASE} "
            f"connect_query='SET search_path TO {schema}'"
            for alias, schema in self.aliases.items()
        )
        return f"""[databases]
{databases}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {self.dir / "users.txt"}
pool_mode = transaction
default_pool_size = {self.pool_size}
max_client_conn = 500
ignore_startup_parameters = extra_float_digits
logfile = {self.dir / "pgbouncer.log"}
"""

    def start(self) -> None:
        (self.dir / "users.txt").write_text(f'"{USER}" ""\n')
        (self.dir / "pgbouncer.ini").write_text(self._config())
        command = [self.binary, "-q", str(self.dir / "pgbouncer.ini")]
        if self.as_root:
            account = pwd.getpwnam("postgres")
            for path in (self.dir, *self.dir.iterdir()):
                os.chown(path, account.pw_uid, account.pw_gid)
            command[1:1] = ["-u", "postgres"]
        with open(self.dir / "stderr.log", "wb") as stderr:
            self.proc = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
            )

        def listening() -> bool:
            if self.proc.poll() is not None:
                raise Unavailable(f"pgbouncer exited: {self.log_tail()}")
            return _accepts(self.port)

        wait_until(listening, timeout=20, what=f"pgbouncer on port {self.port}")

    def log_tail(self, lines: int = 20) -> str:
        text = []
        for name in ("stderr.log", "pgbouncer.log"):
            path = self.dir / name
            if path.exists():
                text += path.read_text(errors="replace").splitlines()[-lines:]
        return "\n".join(text)

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None
        with contextlib.suppress(OSError):
            shutil.rmtree(self.dir)
