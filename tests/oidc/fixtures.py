"""A real OpenID Provider for the tests: panva's oidc-provider (tests/oidc/provider), one
process per test run on a free loopback port, with the app as its client.

With CI=true a provider that cannot start fails the run; elsewhere its tests are skipped.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.conftest import unavailable

PROVIDER_DIR = Path(__file__).parent / "provider"
CLIENT_ID = "maengelmelder"
CLIENT_SECRET = "test-client-secret-of-the-app"
APP_BASE = "http://maengel.test"  # the app fixture's BASE_URL
START_SECONDS = 30
# The test users of provider.js and their groups at start.
USERS = {
    "anna": ("anna-pass", ["tiefbau-crew"]),
    "bernd": ("bernd-pass", ["leitung"]),
    "carla": ("carla-pass", ["kantine"]),
}
ROLE_MAP = "tiefbau-crew=crew:tiefbau; gruen-crew=crew:gruen; leitung=supervisor:*; it=admin:*"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Provider:
    issuer: str
    # Where the provider sends back-channel logouts (and may send browsers back to): a test
    # serves the app there.
    backchannel_port: int

    def set_groups(self, user: str, groups: list[str]) -> None:
        resp = requests.post(
            f"{self.issuer}/test/users/{user}", data=json.dumps({"groups": groups}), timeout=10
        )
        assert resp.status_code == 204, resp.text

    def app_config(self) -> dict:
        return {
            "OIDC_ISSUER": self.issuer,
            "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_SCOPES": "openid email profile groups",
            "OIDC_ROLE_MAP": ROLE_MAP,
        }


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory) -> Iterator[Provider]:
    node = shutil.which("node")
    if node is None:
        unavailable("node (for the test OpenID provider)", FileNotFoundError("node"))
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        unavailable(
            "The test OpenID provider", FileNotFoundError("run `make install` (npm ci there)")
        )
    port = free_port()
    # The app as the test client reaches it, and as served on `port` (back-channel logouts,
    # browser tests).
    bases = (APP_BASE, f"http://127.0.0.1:{port}")
    env = {
        **os.environ,
        "CLIENT_SECRET": CLIENT_SECRET,
        "REDIRECT_URIS": " ".join(base + "/api/v1/auth/oidc/callback" for base in bases),
        "POST_LOGOUT_REDIRECT_URIS": " ".join(base + "/staff" for base in bases),
        "BACKCHANNEL_LOGOUT_URI": f"{bases[1]}/api/v1/auth/oidc/backchannel-logout",
    }
    log = (tmp_path_factory.mktemp("oidc") / "provider.log").open("w")
    process = subprocess.Popen(
        [node, "provider.js"],
        cwd=PROVIDER_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        issuer = _wait_for_issuer(process)
        if issuer is None:
            log.flush()
            why = Path(log.name).read_text()[-2000:]
            unavailable("The test OpenID provider", RuntimeError(f"did not start: {why}"))
        yield Provider(issuer, port)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def _wait_for_issuer(process: subprocess.Popen) -> str | None:
    """The issuer the provider prints once it listens (None if it exits or stays silent)."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while selector.select(timeout=START_SECONDS):
            line = process.stdout.readline()
            if not line:
                return None
            if line.startswith("issuer "):
                return line.split()[1]
    return None


@pytest.fixture
def provider(oidc_provider: Provider) -> Iterator[Provider]:
    """The provider with its test users' groups as at start (tests change them)."""
    for user, (_, groups) in USERS.items():
        oidc_provider.set_groups(user, groups)
    yield oidc_provider
