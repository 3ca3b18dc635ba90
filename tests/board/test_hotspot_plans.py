"""The hotspot reads count the open tickets through an index, never the years of done ones.

PostgreSQL's plan of each read's query over the miniature history of `test_list_indexes`
(30,000 reports, those of the last five days open), as that test reads the lists' plans.
"""

from __future__ import annotations

import pytest

from tests.test_list_indexes import _assert_reads, history, plan_of  # noqa: F401 (a fixture)

OPEN_TICKETS = (
    "ix_reports_status",
    "ix_reports_open_deadline",
    "ix_reports_status_category_created",
)


@pytest.mark.parametrize(
    ("url", "marker"),
    [
        ("/api/v1/board/hotspots", "GROUP BY reports.zone_keys"),
        ("/api/v1/board/hotspots?category=schlagloch", "GROUP BY reports.zone_keys"),
        ("/api/v1/board/hotspots/cells?bbox=8.70,50.07,8.83,50.13&zoom=13", "floor("),
        ("/api/v1/board/hotspots/cells?bbox=-180,-90,180,90&zoom=2", "floor("),
    ],
)
def test_hotspot_reads_count_open_tickets_by_index(history, url, marker):  # noqa: F811
    app, _, headers = history
    _assert_reads(plan_of(app, url, headers["admin"], marker), OPEN_TICKETS, url)
