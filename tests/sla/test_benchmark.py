"""The sweep benchmark runs, and its query keeps using the partial index."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import create_postgres_schema, drop_postgres_schema

ROOT = Path(__file__).resolve().parents[2]


def test_sla_sweep_benchmark_quick_uses_the_partial_index():
    _, schema = create_postgres_schema()  # skips locally / fails in CI without PostgreSQL
    drop_postgres_schema(schema)
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "sla_sweep.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "partial index ix_reports_sweep_breach used: yes" in done.stdout
