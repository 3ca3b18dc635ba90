"""Every model, imported in one place for Alembic and create_all."""

from .catalog.models import Category, Department
from .reports.models import Photo, PublicIdCounter, Report
from .tickets.models import TicketEvent
from .zoning.models import RuleSetVersion, Zone

__all__ = [
    "Category",
    "Department",
    "Photo",
    "PublicIdCounter",
    "Report",
    "RuleSetVersion",
    "TicketEvent",
    "Zone",
]
