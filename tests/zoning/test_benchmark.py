"""Smoke test: the routing benchmark runs and all methods agree."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "routing.py"


def test_benchmark_quick_run_agrees():
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all methods agree" in result.stdout
    assert "MISMATCH" not in result.stdout
    for method in ("naive loop", "route()", "route_many_dep."):
        assert method in result.stdout
