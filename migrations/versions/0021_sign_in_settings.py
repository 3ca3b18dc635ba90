"""accounts: admins choose password sign-in for staff; sessions remember a provider sign-in
and its session id

Revision ID: 0021
Revises: 0020

"""

import sqlalchemy as sa
from alembic import op

import maengelmelder.types

# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sign_in_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("local_passwords", sa.Boolean(), nullable=False),
        sa.Column("changed_at", maengelmelder.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_by", sa.String(length=254), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by_id"],
            ["users.id"],
            name=op.f("fk_sign_in_settings_changed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_settings")),
    )
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("via_oidc", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("oidc_sid", sa.String(length=255), nullable=True))
        batch_op.create_index(batch_op.f("ix_staff_sessions_oidc_sid"), ["oidc_sid"], unique=False)


def downgrade():
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_sessions_oidc_sid"))
        batch_op.drop_column("oidc_sid")
        batch_op.drop_column("via_oidc")
    op.drop_table("sign_in_settings")
