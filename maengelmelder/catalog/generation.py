"""A token that changes with every change to what intake reads from the catalogue.

Intake routes each report with the categories, departments, zones and rule sets; reading
them for every report cost more than the rest of the intake's queries together. Each process
keeps them in memory instead, under the token of `catalog_state`, and one cheap read per report
tells whether they are still current. Triggers set a new random token on any insert, update,
delete (or truncate) of the watched tables, whoever writes them: the admin pages, the CLI, an
import, or someone at the SQL prompt. The token is random, not a counter, so a restored or
emptied database can never bring back a token an earlier catalogue had.
"""

from __future__ import annotations

from sqlalchemy import Connection, event, text

from ..extensions import db

WATCHED = ("categories", "departments", "zones", "rule_set_versions")

# A new random token, in each database's SQL.
_NEW_TOKEN = {
    "postgresql": "md5(random()::text || clock_timestamp()::text)",
    "sqlite": "lower(hex(randomblob(16)))",
}
_RENEW = (
    "INSERT INTO catalog_state (id, token) VALUES (1, {new}) "
    "ON CONFLICT (id) DO UPDATE SET token = excluded.token"
)

_POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION catalog_state_renew() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_RENEW.format(new=_NEW_TOKEN["postgresql"])};
    RETURN NULL;
END $$
"""


def install_triggers(conn: Connection) -> None:
    """Create the triggers (idempotent) on PostgreSQL or SQLite, and the first token."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(_POSTGRES_FUNCTION)
        for table in WATCHED:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_catalog_state ON {table}")
            conn.exec_driver_sql(
                f"CREATE TRIGGER {table}_catalog_state "
                f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION catalog_state_renew()"
            )
    else:
        for table in WATCHED:
            for action in ("INSERT", "UPDATE", "DELETE"):
                conn.exec_driver_sql(
                    f"CREATE TRIGGER IF NOT EXISTS {table}_{action.lower()}_catalog_state "
                    f"AFTER {action} ON {table} BEGIN "
                    f"{_RENEW.format(new=_NEW_TOKEN['sqlite'])}; END"
                )
    renew(conn)


def renew(conn: Connection) -> None:
    """A new token, as the triggers set it (the first one, after installing them)."""
    conn.exec_driver_sql(_RENEW.format(new=_NEW_TOKEN[conn.dialect.name]))


_TOKEN = text("SELECT token FROM catalog_state WHERE id = 1")


def token(conn: Connection) -> str | None:
    """The current token; None when the row is missing (then nothing may be cached)."""
    return conn.execute(_TOKEN).scalar()


@event.listens_for(db.metadata, "after_create")
def _after_create(target, connection: Connection, **_kw) -> None:
    install_triggers(connection)
