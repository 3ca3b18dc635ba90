"""Every model, imported in one place for Alembic and create_all."""

from .abuse.models import AbuseReport, BlockedSender, ConfirmedEmail
from .accounts.models import ApiToken, User
from .addresses.models import Address
from .catalog import generation  # noqa: F401  (the catalogue's triggers, with create_all)
from .core.catalog import CatalogState, Category, Department
from .core.events import TicketEvent
from .core.models import Follower, Photo, PublicIdCounter, Report, Support
from .forwarding.models import Delivery, Destination
from .jobs import RecurringRun
from .notify.models import OutboxMessage
from .sla import figures  # noqa: F401  (keeps the board's figures current on every flush)
from .sla.models import Escalation, SlaFigures
from .zoning.models import RuleSetVersion, Zone

__all__ = [
    "AbuseReport",
    "Address",
    "ApiToken",
    "BlockedSender",
    "CatalogState",
    "Category",
    "ConfirmedEmail",
    "Delivery",
    "Department",
    "Destination",
    "Escalation",
    "Follower",
    "OutboxMessage",
    "Photo",
    "PublicIdCounter",
    "RecurringRun",
    "Report",
    "RuleSetVersion",
    "SlaFigures",
    "Support",
    "TicketEvent",
    "User",
    "Zone",
]
