"""forwarding: an index for the list of failed deliveries

Revision ID: 0019
Revises: 0018

The city-wide list of failed deliveries (`GET /api/v1/deliveries?status=failed`) reads them
newest first: `(status, failed_at, id)` starts it at the first row and walks a cursor.

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_deliveries_status_failed_at", ["status", "failed_at", "id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_status_failed_at")
