"""orders.customer_locale (the shopper's language, for their emails); resolutions.coupon_percent (percent coupons)

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('orders') as batch:
        batch.add_column(sa.Column('customer_locale', sa.String(length=16), nullable=False, server_default=''))
    with op.batch_alter_table('resolutions') as batch:
        batch.add_column(sa.Column('coupon_percent', sa.Numeric(precision=5, scale=2), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('resolutions') as batch:
        batch.drop_column('coupon_percent')
    with op.batch_alter_table('orders') as batch:
        batch.drop_column('customer_locale')
