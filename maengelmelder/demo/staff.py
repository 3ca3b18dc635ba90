"""Staff accounts for a newcomer's first `make run`: a crew member, a supervisor, an admin.

Only for the demo city, and only while it has no staff yet: the passwords are random and
shown once, so anyone who can read the terminal can log in. A real city's database never gets
them (`create_demo_staff` refuses it).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.models import User
from ..accounts.service import create_user
from ..core.catalog import Department
from . import demo_catalog


@dataclass(frozen=True)
class Account:
    """A created account with its password in plain text (to be printed once, never stored)."""

    role: str
    email: str
    password: str
    label: dict[str, str]  # what the account is for, "de" and "en"


# (role, e-mail, name, departments, citywide, label de, label en)
DEMO_STAFF = (
    (
        *("crew", "kolonne@musterstadt.example", "Kolonne Tiefbau", ("tiefbau",), False),
        *("Kolonne (Tiefbauamt)", "crew (civil engineering)"),
    ),
    (
        *("supervisor", "aufsicht@musterstadt.example", "Aufsicht", (), True),
        *("Aufsicht (ganze Stadt)", "supervisor (citywide)"),
    ),
    (
        *("admin", "admin@musterstadt.example", "Verwaltung", (), False),
        *("Verwaltung", "admin"),
    ),
)


class NotTheDemoCity(Exception):
    """The database is not the demo city as loaded, or it has staff already."""


def create_demo_staff(session: Session, *, now: datetime, hash_method: str) -> list[Account]:
    """Create the demo city's three accounts with random passwords; caller commits and prints."""
    codes = set(session.scalars(select(Department.code)))
    if codes != {d["code"] for d in demo_catalog()["departments"]}:
        raise NotTheDemoCity("the departments are not the demo city's")
    if session.scalar(select(User.id).where(User.active).limit(1)) is not None:
        raise NotTheDemoCity("the database has staff accounts already")
    accounts = []
    for role, email, name, departments, citywide, label_de, label_en in DEMO_STAFF:
        password = secrets.token_urlsafe(12)
        create_user(
            session,
            email=email,
            name=name,
            role=role,
            password=password,
            departments=departments,
            citywide=citywide,
            now=now,
            hash_method=hash_method,
        )
        accounts.append(Account(role, email, password, {"de": label_de, "en": label_en}))
    return accounts


def account_lines(accounts: list[Account], staff_url: str) -> list[str]:
    """The accounts as `make run` prints them, next to where the staff app is."""
    width = max(len(f"{a.label['de']} / {a.label['en']}") for a in accounts)
    lines = [
        "Zugänge zur Mitarbeiter-App, nur jetzt angezeigt / staff app accounts, shown only now:",
        f"  {staff_url}",
    ]
    for a in accounts:
        label = f"{a.label['de']} / {a.label['en']}"
        lines.append(f"  {label:<{width}}  {a.email:<30}  {a.password}")
    return lines
