"""forwarding: the digest of an e-mail delivery's secret link

Revision ID: 0017
Revises: 0016

A delivery to an e-mail destination carries a secret link (`/extern/<token>`) for the body's
answers; only the token's SHA-256 is stored, unique, to find the delivery by.

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("link_hash", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_deliveries_link_hash"), ["link_hash"], unique=True)


def downgrade():
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deliveries_link_hash"))
        batch_op.drop_column("link_hash")
