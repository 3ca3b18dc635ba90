"""The browser fixtures of tests/e2e (live server, Chromium, phone and desktop tabs), shared.

Imported rather than copied, so the hostile browser tests run on exactly the setup the other
browser tests use; they skip (or, with CI=true, fail) under the same conditions.
"""

from tests.e2e.conftest import (  # noqa: F401  pytest finds fixtures by their names here
    blocked,
    context,
    desktop_context,
    desktop_page,
    e2e_requirements,
    live_server,
    page,
    server_log,
    staff_requirements,
)
