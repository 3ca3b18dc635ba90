"""The load benchmark's processes (started in their own process groups, stopped together)
and the sampling of their CPU use."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- processes


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log: Path


@dataclass
class Stack:
    """Everything the run starts, so one finally can take it all down again."""

    tmp: Path
    procs: list[Proc] = field(default_factory=list)

    def start(self, name: str, args: list[str], env: dict[str, str]) -> Proc:
        log = self.tmp / f"{name}.log"
        with open(log, "wb") as out:
            popen = subprocess.Popen(
                args,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: Ctrl-C reaches us, we stop them
            )
        proc = Proc(name, popen, log)
        self.procs.append(proc)
        return proc

    def stop(self, proc: Proc, timeout: float = 30) -> None:
        if proc.popen.poll() is None:
            _signal_group(proc.popen.pid, signal.SIGTERM)
            try:
                proc.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(proc.popen.pid, signal.SIGKILL)
                proc.popen.wait(10)
        # gunicorn workers may outlive a killed master for a moment; end the group for sure.
        _signal_group(proc.popen.pid, signal.SIGKILL)
        if proc in self.procs:
            self.procs.remove(proc)

    def stop_all(self) -> None:
        for proc in reversed(list(self.procs)):
            try:
                self.stop(proc)
            except Exception as exc:  # keep cleaning up the rest
                print(f"warning: could not stop {proc.name}: {exc}", file=sys.stderr)


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(proc: Proc, url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"{proc.name} exited:\n{tail(proc.log)}")
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{proc.name} did not answer {url} within {timeout:.0f} s")


# --------------------------------------------------------------------------- CPU sampling


class CpuMonitor:
    """Samples CPU seconds of process groups and of the whole machine, once a second."""

    def __init__(self, groups: dict[str, Callable[[], list[int]]]) -> None:
        self.groups = groups  # label -> function returning the current pids of that group
        self._cpu: dict[int, float] = {}  # pid -> CPU seconds when last seen (kept after exit)
        self._label: dict[int, str] = {}
        self._samples: list[tuple[float, dict[int, float], float]] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.sample()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(1.0):
            self.sample()

    def sample(self) -> None:
        seen: dict[int, float] = {}
        for label, pids_of in self.groups.items():
            for pid in pids_of():
                try:
                    times = psutil.Process(pid).cpu_times()
                except psutil.Error:
                    continue
                seen[pid] = times.user + times.system
                self._label[pid] = label
        machine = psutil.cpu_times()
        busy = machine.user + machine.nice + machine.system + machine.irq + machine.softirq
        busy += getattr(machine, "steal", 0.0)
        with self._lock:
            self._cpu.update(seen)
            self._samples.append((time.time(), dict(self._cpu), busy))

    def usage(self, since: float, until: float) -> dict[str, float]:
        """Cores used per group from epoch second `since` to `until` (nearest samples)."""
        self.sample()
        with self._lock:
            samples = list(self._samples)
        first = min(samples, key=lambda s: abs(s[0] - since))
        last = min(samples, key=lambda s: abs(s[0] - until))
        (t0, cpu0, busy0), (t1, cpu1, busy1) = first, last
        span = max(t1 - t0, 1e-9)
        out: dict[str, float] = {label: 0.0 for label in self.groups}
        for pid, seconds in cpu1.items():
            out[self._label[pid]] += (seconds - cpu0.get(pid, 0.0)) / span
        out["machine"] = (busy1 - busy0) / span
        out["others"] = max(0.0, out["machine"] - sum(out[g] for g in self.groups))
        return out

    def close(self) -> None:
        self._stop.set()


def tree(proc: Proc | None) -> list[int]:
    if proc is None or proc.popen.poll() is not None:
        return []
    try:
        root = psutil.Process(proc.popen.pid)
        return [root.pid] + [child.pid for child in root.children(recursive=True)]
    except psutil.Error:
        return []


def postgres_backends(dbname: str) -> list[int]:
    """PostgreSQL backends serving the benchmark's database (their title names it)."""
    pids = []
    for process in psutil.process_iter(["name", "cmdline"]):
        cmdline = process.info.get("cmdline") or []
        if cmdline and cmdline[0].startswith("postgres:") and f" {dbname} " in cmdline[0]:
            pids.append(process.pid)
    return pids
