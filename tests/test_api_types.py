"""The frontend's generated API types (frontend/src/shared/api-types.ts) match the API.

The check builds the OpenAPI document and runs openapi-typescript (tools/api_types.py); when
the document changed, the file is stale and `make types` writes it again. Without
frontend/node_modules the check skips, except under CI=true (`make test` runs `npm ci` first).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "tools" / "api_types.py"
GENERATOR = ROOT / "frontend" / "node_modules" / ".bin" / "openapi-typescript"
IN_CI = os.environ.get("CI", "").lower() == "true"


def test_generated_api_types_are_current():
    if not GENERATOR.exists():
        message = f"{GENERATOR.relative_to(ROOT)} is missing: run `cd frontend && npm ci`"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    done = subprocess.run(
        [sys.executable, str(TOOL), "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(done.stderr.strip() or done.stdout.strip(), pytrace=False)
