"""dashboard rollups: daily sums of sales and returns, line copies on return items

Creates analytics_daily, sales_daily and returns_daily and fills them from the orders and
returns already stored (INSERT ... SELECT ... GROUP BY, connector.persistence.rollups.backfill),
so an existing database shows the same figures right after `returns-connector db upgrade`.
Adds the line_* copies on return_items (the admin list's product filter) and fills them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""
from alembic import op
import sqlalchemy as sa

from connector.persistence import rollups


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def _keys() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column('shop_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
    ]


def upgrade() -> None:
    amount = sa.Numeric(asdecimal=True)
    op.create_table('analytics_daily',
    *_keys(),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('orders', sa.Integer(), nullable=False),
    sa.Column('sold_lines', sa.Integer(), nullable=False),
    sa.Column('units_sold', sa.Integer(), nullable=False),
    sa.Column('value_sold', amount, nullable=False),
    sa.Column('returns', sa.Integer(), nullable=False),
    sa.Column('returned_items', sa.Integer(), nullable=False),
    sa.Column('units_returned', sa.Integer(), nullable=False),
    sa.Column('value_returned', amount, nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_analytics_daily_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('shop_id', 'day', 'currency', name=op.f('pk_analytics_daily'))
    )
    op.create_table('sales_daily',
    *_keys(),
    sa.Column('product_key', sa.String(length=500), nullable=False),
    sa.Column('variant_key', sa.String(length=64), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('lines', sa.Integer(), nullable=False),
    sa.Column('units_sold', sa.Integer(), nullable=False),
    sa.Column('value_sold', amount, nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_sales_daily_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('shop_id', 'day', 'product_key', 'variant_key', 'currency', name=op.f('pk_sales_daily'))
    )
    op.create_table('returns_daily',
    *_keys(),
    sa.Column('product_key', sa.String(length=500), nullable=False),
    sa.Column('variant_key', sa.String(length=64), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('variant_title', sa.String(length=255), nullable=False),
    sa.Column('items', sa.Integer(), nullable=False),
    sa.Column('units_returned', sa.Integer(), nullable=False),
    sa.Column('value_returned', amount, nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_returns_daily_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('shop_id', 'day', 'product_key', 'variant_key', 'currency', 'title', 'variant_title',
                            name=op.f('pk_returns_daily'))
    )
    with op.batch_alter_table('return_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('line_product_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('line_variant_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('line_sku', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('line_title', sa.String(length=500), nullable=True))

    rollups.backfill(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table('return_items', schema=None) as batch_op:
        batch_op.drop_column('line_title')
        batch_op.drop_column('line_sku')
        batch_op.drop_column('line_variant_id')
        batch_op.drop_column('line_product_id')
    op.drop_table('returns_daily')
    op.drop_table('sales_daily')
    op.drop_table('analytics_daily')
