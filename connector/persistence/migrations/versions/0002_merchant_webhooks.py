"""merchant webhooks: endpoints of merchants' own systems and the delivery log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa
import connector.persistence.tables


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('merchant_webhook_endpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('secret', sa.Text(), nullable=False),
    sa.Column('events', sa.JSON(), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('created_at', connector.persistence.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', connector.persistence.tables.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_merchant_webhook_endpoints_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_merchant_webhook_endpoints'))
    )
    with op.batch_alter_table('merchant_webhook_endpoints', schema=None) as batch_op:
        batch_op.create_index('ix_merchant_webhook_endpoints_shop', ['shop_id', 'id'], unique=False)

    op.create_table('merchant_webhook_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shop_id', sa.Integer(), nullable=False),
    sa.Column('endpoint_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('event', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', connector.persistence.tables.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('last_response', sa.Text(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('created_at', connector.persistence.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', connector.persistence.tables.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['endpoint_id'], ['merchant_webhook_endpoints.id'], name='fk_merchant_webhook_deliveries_endpoint', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_merchant_webhook_deliveries_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_merchant_webhook_deliveries'))
    )
    with op.batch_alter_table('merchant_webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_merchant_webhook_deliveries_endpoint', ['endpoint_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_merchant_webhook_deliveries_shop_id'), ['shop_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('merchant_webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_merchant_webhook_deliveries_shop_id'))
        batch_op.drop_index('ix_merchant_webhook_deliveries_endpoint')

    op.drop_table('merchant_webhook_deliveries')
    with op.batch_alter_table('merchant_webhook_endpoints', schema=None) as batch_op:
        batch_op.drop_index('ix_merchant_webhook_endpoints_shop')

    op.drop_table('merchant_webhook_endpoints')
