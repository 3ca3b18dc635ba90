"""addresses: the city's street addresses for reverse lookup and search

Revision ID: 0014
Revises: 0013

One row per house from the city's house coordinates or an OSM extract, unique by (street,
house number, addition, postcode) so an import can be repeated. `street_key` is the folded
street (maengelmelder/addresses/folding.py), compared bytewise on PostgreSQL (`COLLATE "C"`)
so a prefix is a range of its index; `lat_band` (floor(lat × 1000)) with `lon` (and `lat`, for
the distance) makes a reverse lookup a few index ranges on either database.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    key = sa.String(length=200).with_variant(sa.String(length=200, collation='C'), 'postgresql')
    op.create_table(
        'addresses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('street', sa.String(length=200), nullable=False),
        sa.Column('house_number', sa.String(length=20), nullable=False),
        sa.Column('addition', sa.String(length=20), nullable=False),
        sa.Column('postcode', sa.String(length=10), nullable=False),
        sa.Column('place', sa.String(length=120), nullable=False),
        sa.Column('lat', sa.Float(), nullable=False),
        sa.Column('lon', sa.Float(), nullable=False),
        sa.Column('street_key', key, nullable=False),
        sa.Column('number_value', sa.Integer(), nullable=False),
        sa.Column('lat_band', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint(
            'street', 'house_number', 'addition', 'postcode', name='uq_addresses_house'
        ),
    )
    with op.batch_alter_table('addresses', schema=None) as batch_op:
        batch_op.create_index(
            'ix_addresses_lat_band_lon_lat', ['lat_band', 'lon', 'lat'], unique=False
        )
        batch_op.create_index(
            'ix_addresses_search',
            ['street_key', 'place', 'number_value', 'house_number', 'addition'],
            unique=False,
        )


def downgrade():
    op.drop_table('addresses')
