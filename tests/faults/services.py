"""Private, throw-away Redis and PostgreSQL servers for the fault tests.

The fault tests stop, restart and freeze servers. The shared PostgreSQL (5432) and Redis (6379)
serve the whole team and CI and must never be touched that way, so these tests start servers
of their own: a ``redis-server`` subprocess without persistence, and a PostgreSQL cluster made
with ``initdb`` and run with ``pg_ctl`` in a temporary directory, both on free loopback ports.
``initdb`` and ``postgres`` refuse to run as root; as root, their commands run as the
``postgres`` system user (``runuser``), which then owns the temporary directory.

Waiting for a server is polling with a deadline, never a fixed sleep.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


class Unavailable(RuntimeError):
    """A binary or system facility these servers need is missing on this machine."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check: Callable[[], T], *, timeout: float, what: str, every: float = 0.05) -> T:
    """Poll `check` until it returns something truthy; fail with `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout:g} s waiting for {what}")
        time.sleep(every)


def _accepts(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state, ppid, ...), or None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # the command itself may hold ") "


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) and int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        kids = children(todo.pop())
        found += kids
        todo += kids
    return found


def gone(pid: int) -> bool:
    fields = _stat(pid)
    return fields is None or fields[0] in ("Z", "X")  # exited (a zombie has exited)


def kill_tree(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> list[int]:
    """Send `sig` to a process, its process group and every descendant; reap it.

    rq's work horse puts itself into a process group of its own, so killing only the
    worker's group would leave the horse running; this kills what a container or systemd
    stop (KillMode=control-group) kills. Returns the pids that were signalled.
    """
    family = [proc.pid, *descendants(proc.pid)] if proc.poll() is None else []
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)
    for pid in family:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)
    if sig == signal.SIGKILL:
        wait_until(lambda: all(gone(pid) for pid in family), timeout=10, what="killed processes")
    return family


def tcp_unread(local_port: int, remote_port: int) -> int:
    """Bytes that arrived on a loopback TCP connection and its process has not read yet."""
    unread = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, queues = fields[1], fields[2], fields[4]
        if (
            int(local.split(":")[1], 16) == local_port
            and int(remote.split(":")[1], 16) == remote_port
        ):
            unread += int(queues.split(":")[1], 16)
    return unread


ROOT = Path(__file__).resolve().parents[2]


def start_app_process(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """`maengelmelder <args>` as a subprocess in a session of its own, output into `log`."""
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "maengelmelder", *args],
            env=env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_process(proc: subprocess.Popen) -> None:
    """SIGTERM and a few seconds for a clean exit, then SIGKILL to whatever is left."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
    kill_tree(proc)


# -- Redis -------------------------------------------------------------------------------------


class RedisServer:
    """A ``redis-server`` on a free port, without persistence: a restart comes back empty."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise Unavailable("redis-server is not installed")
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> None:
        """Start (again, on the same port) and wait until it answers PING."""
        import redis

        if self.running:
            return
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = open(self.workdir / "redis.log", "ab")  # noqa: SIM115  closed below
        try:
            self.proc = subprocess.Popen(
                [
                    self.binary,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.workdir),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()

        def answers() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited: {self.log_tail()}")
            try:
                client = redis.Redis(port=self.port, socket_connect_timeout=1)
                return bool(client.ping())
            except redis.RedisError:
                return False
            finally:
                client.close()

        wait_until(answers, timeout=20, what=f"redis-server on port {self.port}")

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections are accepted by the kernel, never answered."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.running:
            self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        """Stop the server (SIGTERM; it saves nothing) and wait until the port is closed."""
        if self.proc is None:
            return
        self.resume()
        proc, self.proc = self.proc, None
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        wait_until(lambda: not _accepts(self.port), timeout=10, what="redis port to close")

    def log_tail(self, lines: int = 20) -> str:
        path = self.workdir / "redis.log"
        return (
            "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
            if path.exists()
            else ""
        )


# -- PostgreSQL --------------------------------------------------------------------------------


def postgres_bindir() -> Path:
    """The newest PostgreSQL server binaries on this machine (Debian's layout)."""
    found = []
    for candidate in glob.glob("/usr/lib/postgresql/*/bin"):
        with contextlib.suppress(ValueError):
            found.append((int(Path(candidate).parent.name), Path(candidate)))
    found = [(version, path) for version, path in found if (path / "initdb").exists()]
    if not found:
        raise Unavailable(
            "no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql"
        )
    return max(found)[1]


class PostgresCluster:
    """A PostgreSQL cluster of its own in a temporary directory, on a free port, trust auth."""

    SUPERUSER = "postgres"

    def __init__(self) -> None:
        self.bindir = postgres_bindir()
        self.as_root = os.geteuid() == 0
        if self.as_root and shutil.which("runuser") is None:
            raise Unavailable("runuser is needed to run PostgreSQL as 'postgres' under root")
        self.root = Path(tempfile.mkdtemp(prefix="mm-faults-pg-"))
        self.data = self.root / "data"
        self.logfile = self.root / "postgres.log"
        self.port = free_port()
        self.paused = False
        if self.as_root:
            import pwd

            try:
                account = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise Unavailable("there is no 'postgres' system user to run PostgreSQL") from exc
            os.chown(self.root, account.pw_uid, account.pw_gid)

    def _run(self, *args: str, timeout: float = 60) -> str:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.root,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{' '.join(args[:2])} failed ({done.returncode}): {done.stderr.strip()}\n"
                f"{self.log_tail()}"
            )
        return done.stdout

    def init(self) -> None:
        """initdb (trust auth on loopback) and start."""
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            self.SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        self.start()

    def _options(self) -> str:
        return f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"

    def start(self) -> None:
        """pg_ctl start, waiting until the server accepts connections."""
        self._run(
            "pg_ctl", "start", "-D", str(self.data), "-l", str(self.logfile), "-w", "-t", "60",
            "-o", self._options(),
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """pg_ctl stop: `fast` ends every session (rolling back open transactions)."""
        self.resume()
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w", "-t", "60")

    def restart(self, mode: str = "fast") -> None:
        """pg_ctl restart: stop (ending every session) and start again, waiting for both."""
        self._run(
            "pg_ctl", "restart", "-D", str(self.data), "-l", str(self.logfile), "-m", mode,
            "-w", "-t", "60", "-o", self._options(),
        )  # fmt: skip

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().splitlines()[0])

    def pause(self) -> None:
        """Freeze the postmaster (SIGSTOP): new connections hang; open sessions still work."""
        os.kill(self.postmaster_pid(), signal.SIGSTOP)
        self.paused = True

    def freeze(self) -> None:
        """Freeze every process of the server (SIGSTOP): the postmaster first, so it forks no
        new backend meanwhile, then each backend and helper. The kernel still accepts
        connections and acknowledges what clients send; nothing is ever answered."""
        self.pause()
        for pid in descendants(self.postmaster_pid()):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)

    def resume(self) -> None:
        """Let a paused or frozen server run again (SIGCONT to all of its processes)."""
        if self.paused:
            postmaster = self.postmaster_pid()
            for pid in descendants(postmaster):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)
            os.kill(postmaster, signal.SIGCONT)
            self.paused = False

    @property
    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str) -> None:
        """Run one statement outside a transaction (CREATE DATABASE and the like)."""
        import sqlalchemy as sa

        engine = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql(sql)
        finally:
            engine.dispose()

    def log_tail(self, lines: int = 20) -> str:
        if not self.logfile.exists():
            return ""
        return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])

    def close(self) -> None:
        """Stop at once, whatever state the server is in, and remove every file."""
        try:
            self.resume()
            if self.running:
                self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
