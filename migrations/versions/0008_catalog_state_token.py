"""catalog state: a token renewed by triggers on every catalogue change

Revision ID: 0008
Revises: 0007

"""
from alembic import op
import sqlalchemy as sa

from maengelmelder.catalog.generation import WATCHED, install_triggers


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('catalog_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_state'))
    )
    install_triggers(op.get_bind())


def downgrade():
    bind = op.get_bind()
    for table in WATCHED:
        if bind.dialect.name == 'postgresql':
            op.execute(f'DROP TRIGGER IF EXISTS {table}_catalog_state ON {table}')
        else:
            for action in ('insert', 'update', 'delete'):
                op.execute(f'DROP TRIGGER IF EXISTS {table}_{action}_catalog_state')
    if bind.dialect.name == 'postgresql':
        op.execute('DROP FUNCTION IF EXISTS catalog_state_renew()')
    op.drop_table('catalog_state')
