"""The endpoints the history benchmark reads, and how their requests are made."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from maengelmelder.core import states

if TYPE_CHECKING:
    from history_servers import Side

# The demo city's bounding box (lon/lat, maengelmelder/demo/boundary.geojson) and a viewport
# of about a fifth of it around the centre (a district on a tablet).
CITY_BBOX = "8.715,50.08036,8.815,50.11964"
VIEWPORT_BBOX = "8.745,50.09,8.785,50.11"
OPEN = ",".join(sorted(states.OPEN))


# --------------------------------------------------------------------------- the endpoints

Paths = Callable[["Side"], list[str]]


@dataclass
class Endpoint:
    name: str
    group: str  # citizen, crew, supervisor, admin, public, Open311, open data
    paths: Paths  # the requests (rotated over the repetitions)
    user: str | None = None  # staff account whose session is sent
    bounded: bool | Callable[[dict], bool] = True  # or: decided from the large answer
    streamed: bool = False  # judged by the time to its first byte, not to its end

    def is_bounded(self, body: object) -> bool:
        if callable(self.bounded):
            return isinstance(body, dict) and self.bounded(body)
        return self.bounded


def fixed(path: str) -> Paths:
    return lambda _side: [path]


def paged(body: dict) -> bool:
    """A list answer counts as bounded once it is a page (it names a limit or a next page)."""
    return any(k in body for k in ("limit", "next_cursor", "next", "cursor"))


def next_page(first: str, user: str | None) -> Paths:
    """The second page of a list: its `next_cursor` when it has one, else offset = limit."""

    def paths(side: Side) -> list[str]:
        status, body = side.json(first, user)
        sep = "&" if "?" in first else "?"
        if status == 200 and isinstance(body, dict) and body.get("next_cursor"):
            return [f"{first}{sep}cursor={body['next_cursor']}"]
        limit = body.get("limit", 50) if isinstance(body, dict) else 50
        return [f"{first}{sep}offset={limit}"]

    return paths


def endpoints() -> list[Endpoint]:
    e = Endpoint
    return [
        # The citizen app: at start city and categories, then the map of where the phone is.
        e("city", "citizen", fixed("/api/v1/city")),
        e("categories", "citizen", fixed("/api/v1/categories")),
        e(
            "map, whole city (500)",
            "citizen",
            fixed(f"/api/v1/reports?format=geojson&view=map&limit=500&bbox={CITY_BBOX}"),
        ),
        e(
            "map, district viewport (500)",
            "citizen",
            fixed(f"/api/v1/reports?format=geojson&view=map&limit=500&bbox={VIEWPORT_BBOX}"),
        ),
        e(
            "map, open reports (500)",
            "citizen",
            fixed(
                f"/api/v1/reports?format=geojson&view=map&limit=500&bbox={CITY_BBOX}&status={OPEN}"
            ),
        ),
        e("list (50)", "citizen", fixed("/api/v1/reports?limit=50")),
        e(
            "list, mid-history page (50)",
            "citizen",
            lambda s: [f"/api/v1/reports?limit=50&cursor={s.samples.deep_cursor}"],
        ),
        e(
            "report by id",
            "citizen",
            lambda s: [f"/api/v1/reports/{pid}" for pid in s.samples.public_ids],
        ),
        e(
            "nearby (50 m, category)",
            "citizen",
            lambda s: [
                f"/api/v1/reports/nearby?lat={lat}&lon={lon}&category={cat}&radius=50"
                for lat, lon, cat in s.samples.nearby
            ],
            bounded=False,
        ),
        # Staff: the crew's queue of its department, soonest deadline first.
        e("queue (50)", "crew", fixed("/api/v1/tickets?limit=50"), "crew"),
        e("queue, page 2", "crew", next_page("/api/v1/tickets?limit=50", "crew"), "crew"),
        e(
            "ticket by id",
            "crew",
            lambda s: [f"/api/v1/tickets/{pid}" for pid in s.samples.crew_ids],
            "crew",
        ),
        e("queue as CSV (all open)", "crew", fixed("/api/v1/tickets?format=csv"), "crew"),
        # Supervisor: the board, the citywide queue, moderation.
        e("queue, citywide (50)", "supervisor", fixed("/api/v1/tickets?limit=50"), "supervisor"),
        e(
            "queue, breached (50)",
            "supervisor",
            fixed("/api/v1/tickets?limit=50&sla=breached"),
            "supervisor",
        ),
        e(
            "moderation, unpublished (100)",
            "supervisor",
            fixed("/api/v1/tickets?published=false&limit=100"),
            "supervisor",
        ),
        e(
            "moderation, flagged (100)",
            "supervisor",
            fixed("/api/v1/tickets?flagged=true&limit=100"),
            "supervisor",
        ),
        e("SLA summary", "supervisor", fixed("/api/v1/sla/summary"), "supervisor"),
        e(
            "SLA summary, one department",
            "supervisor",
            fixed("/api/v1/sla/summary?department=tiefbau"),
            "supervisor",
        ),
        e(
            "SLA breaches (50)",
            "supervisor",
            fixed("/api/v1/sla/breaches?limit=50"),
            "supervisor",
            bounded=paged,
        ),
        e("SLA trend, 30 days", "supervisor", fixed("/api/v1/sla/trend?days=30"), "supervisor"),
        # Admin lists: none of them grows with the reports.
        e("me", "admin", fixed("/api/v1/auth/me"), "admin"),
        e("users", "admin", fixed("/api/v1/admin/users"), "admin"),
        e("departments", "admin", fixed("/api/v1/admin/departments"), "admin"),
        e("categories (admin)", "admin", fixed("/api/v1/admin/categories"), "admin"),
        e("zones", "admin", fixed("/api/v1/admin/zones"), "admin"),
        e("rules", "admin", fixed("/api/v1/admin/rules"), "admin"),
        e("rule versions", "admin", fixed("/api/v1/admin/rules/versions"), "admin"),
        e("API tokens", "admin", fixed("/api/v1/admin/tokens"), "admin"),
        # Public figures and interfaces.
        # By month and category: one more month of history, a dozen more rows.
        e("SLA transparency", "public", fixed("/api/v1/sla/transparency"), bounded=False),
        e("discovery", "Open311", fixed("/open311/v2/discovery.json")),
        e("services", "Open311", fixed("/open311/v2/services.json")),
        e(
            "requests, open potholes (50)",
            "Open311",
            fixed("/open311/v2/requests.json?status=open&service_code=schlagloch&page_size=50"),
        ),
        e("requests, newest (50)", "Open311", fixed("/open311/v2/requests.json?page_size=50")),
        e("requests, default (90 days, <= 1000)", "Open311", fixed("/open311/v2/requests.json")),
        e(
            "request by id",
            "Open311",
            lambda s: [f"/open311/v2/requests/{pid}.json" for pid in s.samples.public_ids],
        ),
        # Open data: downloads in pages, oldest first. The default page (25,000 reports) is
        # judged by its first byte; pages of 1,000 by the whole answer, from the start and from
        # the middle of the history.
        *(
            e(
                f"reports.{kind}, first byte",
                "open data",
                fixed(f"/api/v1/export/reports.{kind}"),
                streamed=True,
            )
            for kind in ("csv", "geojson")
        ),
        *(
            e(
                f"reports.{kind}, page of 1,000",
                "open data",
                fixed(f"/api/v1/export/reports.{kind}?limit=1000"),
            )
            for kind in ("csv", "geojson")
        ),
        *(
            e(
                f"reports.{kind}, mid-history page of 1,000",
                "open data",
                lambda s, kind=kind: [
                    f"/api/v1/export/reports.{kind}?limit=1000&cursor={s.samples.export_cursor}"
                ],
            )
            for kind in ("csv", "geojson")
        ),
    ]
