"""privacy pass: each photo's state, reason, boxes and unblurred original

Revision ID: 0015
Revises: 0014

`photos` gains the privacy pass's columns (maengelmelder/core/photo_privacy.py). Photos stored
before stay NULL: public by the rule they had, until `maengelmelder privacy scan --all` runs
the pass over them. Two partial indexes cover the rare states (failed: the moderation list;
pending: the sweep), so neither grows with the years of photos that passed.

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
import maengelmelder.types


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

INDEXES = (
    ('ix_photos_privacy_failed', ['report_id'], "privacy_state = 'failed'"),
    ('ix_photos_privacy_pending', ['privacy_at'], "privacy_state = 'pending'"),
)


def upgrade():
    json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.add_column(sa.Column('privacy_state', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('privacy_reason', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('privacy_boxes', json, nullable=True))
        batch_op.add_column(sa.Column('original_key', sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column('privacy_at', maengelmelder.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column('privacy_tries', sa.Integer(), server_default='0', nullable=False)
        )
        batch_op.create_unique_constraint(batch_op.f('uq_photos_original_key'), ['original_key'])
    for name, columns, where in INDEXES:
        op.create_index(
            name,
            'photos',
            columns,
            unique=False,
            postgresql_where=sa.text(where),
            sqlite_where=sa.text(where),
        )


def downgrade():
    for name, _, _ in reversed(INDEXES):
        op.drop_index(name, table_name='photos')
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_photos_original_key'), type_='unique')
        for column in (
            'privacy_tries',
            'privacy_at',
            'original_key',
            'privacy_boxes',
            'privacy_reason',
            'privacy_state',
        ):
            batch_op.drop_column(column)
