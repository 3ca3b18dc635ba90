"""list indexes: every filter and sort of the paged lists has its index

Revision ID: 0010
Revises: 0009

The staff lists (crew queue, moderation queue, every state), Open311, the public list and the
open data exports, and the flagged list's open flags. On PostgreSQL the indexes are built
CONCURRENTLY, outside the migration's transaction: a city's table of a million reports keeps
taking reports while they are built (a few seconds each).

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

OPEN = "status IN ('new', 'acknowledged', 'in_progress', 'waiting_external')"

REPORT_INDEXES = (
    ('ix_reports_department_status_deadline', ['department_id', 'status', 'deadline', 'id'], None),
    ('ix_reports_open_deadline', ['deadline', 'id'], OPEN),
    ('ix_reports_deadline_id', ['deadline', 'id'], None),
    ('ix_reports_published_status_deadline', ['published', 'status', 'deadline', 'id'], None),
    ('ix_reports_status_category_created', ['status', 'category_id', 'created_at'], None),
)
FLAG_INDEX = ('ix_abuse_reports_open', ['report_id'], 'resolved_at IS NULL')


def _create(table, name, columns, where):
    partial = {} if where is None else {
        'postgresql_where': sa.text(where),
        'sqlite_where': sa.text(where),
    }
    op.create_index(name, table, columns, unique=False, postgresql_concurrently=True, **partial)


def upgrade():
    with op.get_context().autocommit_block():
        for name, columns, where in REPORT_INDEXES:
            _create('reports', name, columns, where)
        _create('abuse_reports', *FLAG_INDEX)


def downgrade():
    with op.get_context().autocommit_block():
        op.drop_index(FLAG_INDEX[0], table_name='abuse_reports', postgresql_concurrently=True)
        for name, _, _ in reversed(REPORT_INDEXES):
            op.drop_index(name, table_name='reports', postgresql_concurrently=True)
