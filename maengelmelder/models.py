"""Every model, imported in one place for Alembic and create_all."""

from .abuse.models import AbuseReport, BlockedSender, ConfirmedEmail
from .accounts.models import ApiToken, User
from .catalog.models import Category, Department
from .notify.models import OutboxMessage
from .reports.models import Follower, Photo, PublicIdCounter, Report
from .sla.models import Escalation
from .tickets.models import TicketEvent
from .zoning.models import RuleSetVersion, Zone

__all__ = [
    "AbuseReport",
    "ApiToken",
    "BlockedSender",
    "Category",
    "ConfirmedEmail",
    "Department",
    "Escalation",
    "Follower",
    "OutboxMessage",
    "Photo",
    "PublicIdCounter",
    "Report",
    "RuleSetVersion",
    "TicketEvent",
    "User",
    "Zone",
]
