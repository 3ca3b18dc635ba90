"""Tests through a PgBouncer in transaction mode (MAENGELMELDER_DATABASE_POOLER=pgbouncer).

Database tests marked `pgbouncer`, and those of the modules below, run a third time: on
PostgreSQL through a private PgBouncer (server.py) in transaction mode, with the `app`
fixture's DATABASE_POOLER set. The modules cover what a pooled connection could break: intake
(public ids, photos, idempotency keys, racing retries), the tickets' workflow, the SLA jobs,
staff sessions and rate limits.
"""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]

MODULES = {
    "reports/test_intake.py",
    "reports/test_concurrency.py",
    "tickets/test_workflow.py",
    "sla/test_escalation.py",
    "accounts/test_sessions.py",
    "test_rate_limits.py",
}


def runs_through_pgbouncer(definition: pytest.Function) -> bool:
    """Whether a test also runs through the PgBouncer: marked, or in one of MODULES."""
    if definition.get_closest_marker("pgbouncer") is not None:
        return True
    path = Path(definition.path).resolve()
    return TESTS in path.parents and path.relative_to(TESTS).as_posix() in MODULES


def start_pgbouncer(aliases: dict[str, str], **options):
    """A started PgBouncer (server.py) for `aliases`; in CI one that cannot start fails."""
    from tests.conftest import unavailable
    from tests.faults.services import Unavailable

    from .server import PgBouncer

    try:
        bouncer = PgBouncer(aliases, **options)
        bouncer.start()
    except Unavailable as exc:
        unavailable("a private PgBouncer", exc)
    return bouncer
