"""e-mail lookup keys, undeliverable mails, recurring runs without Redis

Revision ID: 0013
Revises: 0012

- `reports.reporter_email_key`, `followers.email_key`, `outbox.recipient_key`: each address
  as a lookup key (trimmed, NFC, case-folded in Python; maengelmelder/emails.py), filled here
  for the rows there are. Erasure and confirmations compare keys: SQLite's lower() folds only
  ASCII, so `ÄNNE@example.org` was not found as `änne@example.org`. Block-list patterns are
  folded the same way.
- `outbox.failed_at`: when a mail failed for good (the admin's list, newest first); mails that
  failed before get the time of their last attempt.
- `recurring_runs`: when each recurring job last started without Redis; the lock that lets one
  serving process of several run it.

On PostgreSQL the new indexes are built CONCURRENTLY, outside the migration's transaction, so
intake goes on meanwhile.

"""
import unicodedata

from alembic import op
import sqlalchemy as sa
import maengelmelder.types


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

CHUNK = 10_000
KEYED = (
    # table, address column, key column
    ('reports', 'reporter_email', 'reporter_email_key'),
    ('followers', 'email', 'email_key'),
    ('outbox', 'recipient', 'recipient_key'),
)
INDEXES = (
    ('ix_reports_reporter_email_key', 'reports', ['reporter_email_key']),
    ('ix_followers_email_key', 'followers', ['email_key']),
    ('ix_outbox_recipient_key', 'outbox', ['recipient_key']),
    ('ix_outbox_status_failed_at', 'outbox', ['status', 'failed_at', 'id']),
)


def email_key(address):
    """The key as maengelmelder/emails.py made it when this migration was written."""
    if address is None:
        return None
    key = unicodedata.normalize('NFC', unicodedata.normalize('NFC', address.strip()).casefold())
    return key or None


def _fill(conn, table, column, key_column):
    last = 0
    while True:
        rows = conn.execute(
            sa.text(
                f'SELECT id, {column} FROM {table} WHERE id > :last AND {column} IS NOT NULL '
                f'ORDER BY id LIMIT {CHUNK}'
            ),
            {'last': last},
        ).all()
        if not rows:
            return
        conn.execute(
            sa.text(f'UPDATE {table} SET {key_column} = :key WHERE id = :id'),
            [{'id': row_id, 'key': email_key(address)} for row_id, address in rows],
        )
        last = rows[-1][0]


def _fold_blocklist(conn):
    rows = conn.execute(sa.text('SELECT id, pattern FROM blocked_senders')).all()
    taken = {pattern for _, pattern in rows}
    for entry_id, pattern in rows:
        local, _, domain = pattern.rpartition('@')
        folded = f"{email_key(local) or ''}@{domain}"
        if folded == pattern:
            continue
        if folded in taken:  # the same entry typed twice: keep one
            conn.execute(sa.text('DELETE FROM blocked_senders WHERE id = :id'), {'id': entry_id})
        else:
            conn.execute(
                sa.text('UPDATE blocked_senders SET pattern = :p WHERE id = :id'),
                {'p': folded, 'id': entry_id},
            )
            taken.add(folded)


def upgrade():
    op.create_table('recurring_runs',
    sa.Column('job_id', sa.String(length=64), nullable=False),
    sa.Column('last_run_at', maengelmelder.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('job_id', name=op.f('pk_recurring_runs'))
    )
    # Plain ALTER TABLE ADD COLUMN, no batch copy: SQLite would rebuild `reports` and lose
    # its triggers.
    op.add_column('followers', sa.Column('email_key', sa.Text(), nullable=True))
    op.add_column('outbox', sa.Column('recipient_key', sa.Text(), nullable=True))
    op.add_column('outbox', sa.Column('failed_at', maengelmelder.types.UTCDateTime(timezone=True), nullable=True))
    op.add_column('reports', sa.Column('reporter_email_key', sa.Text(), nullable=True))

    conn = op.get_bind()
    for table, column, key_column in KEYED:
        _fill(conn, table, column, key_column)
    conn.execute(sa.text("UPDATE outbox SET failed_at = next_attempt_at WHERE status = 'failed'"))
    _fold_blocklist(conn)

    with op.get_context().autocommit_block():
        for name, table, columns in INDEXES:
            op.create_index(name, table, columns, unique=False, postgresql_concurrently=True)


def downgrade():
    with op.get_context().autocommit_block():
        for name, table, _ in reversed(INDEXES):
            op.drop_index(name, table_name=table, postgresql_concurrently=True)
    op.drop_column('reports', 'reporter_email_key')
    op.drop_column('outbox', 'failed_at')
    op.drop_column('outbox', 'recipient_key')
    op.drop_column('followers', 'email_key')
    op.drop_table('recurring_runs')
