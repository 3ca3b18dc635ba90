"""sla figures: counts per day and month x department x category, kept current

Revision ID: 0009
Revises: 0008

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

COUNTS = ('created', 'resolved', 'met', 'resolved_on', 'met_on',
          'h1', 'h2', 'h4', 'h8', 'h12', 'h24', 'h36', 'h48', 'h72', 'h96', 'h168', 'h336',
          'h720', 'hmore')


def upgrade():
    op.create_table('sla_figures',
    sa.Column('period', sa.String(length=1), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    *[sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS],
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_sla_figures_category_id_categories')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_sla_figures_department_id_departments')),
    sa.PrimaryKeyConstraint('period', 'start', 'department_id', 'category_id', name=op.f('pk_sla_figures'))
    )
    # The history the service already holds, counted once.
    from maengelmelder.sla.figures import rebuild_with

    rebuild_with(op.get_bind())


def downgrade():
    op.drop_table('sla_figures')
