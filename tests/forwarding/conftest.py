"""Fixtures for the forwarding tests: the external body's server (one for the run)."""

from __future__ import annotations

import pytest

from .counterparts import external_body


@pytest.fixture(scope="session")
def external(tmp_path_factory):
    with external_body(tmp_path_factory.mktemp("external")) as body:
        yield body
