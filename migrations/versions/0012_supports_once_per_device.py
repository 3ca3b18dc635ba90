"""supports: one per device and report

Revision ID: 0012
Revises: 0011

Each "me too" is kept as a row (report, keyed hash of the device id or address), unique per
report: a device supports a report once. Counts from before stay as they are; supports given
before have no row, so a device may add one more to an old report.

"""
from alembic import op
import sqlalchemy as sa
import maengelmelder.types


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('supports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('supporter', sa.String(length=64), nullable=False),
    sa.Column('created_at', maengelmelder.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_supports_report_id_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supports')),
    sa.UniqueConstraint('report_id', 'supporter', name='uq_supports_report_supporter')
    )
    with op.batch_alter_table('supports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supports_report_id'), ['report_id'], unique=False)


def downgrade():
    with op.batch_alter_table('supports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supports_report_id'))

    op.drop_table('supports')
