"""return labels: carrier accounts, one shipment per return, carrier tracking events

Revision ID: 0009
Revises: 0007
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0007'
branch_labels = None
depends_on = None

AMOUNT = sa.Numeric(20, 4, asdecimal=True)


def upgrade() -> None:
    op.create_table(
        'carrier_accounts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('shop_id', sa.Integer(), nullable=False),
        sa.Column('carrier', sa.String(32), nullable=False),
        sa.Column('credentials', sa.Text(), nullable=False),
        sa.Column('test_mode', sa.Boolean(), nullable=False),
        sa.Column('label_mode', sa.String(16), nullable=False),
        sa.Column('auto_receive', sa.Boolean(), nullable=False),
        sa.Column('label_price', AMOUNT, nullable=True),
        sa.Column('currency', sa.String(3), nullable=False),
        sa.Column('return_address', sa.JSON(), nullable=False),
        sa.Column('parcel', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name='fk_carrier_accounts_shop_id_shops', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_carrier_accounts'),
        sa.UniqueConstraint('shop_id', name='uq_carrier_accounts_shop_id'),
    )
    op.create_table(
        'shipments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('shop_id', sa.Integer(), nullable=False),
        sa.Column('return_id', sa.Integer(), nullable=False),
        sa.Column('reference', sa.String(40), nullable=False),
        sa.Column('carrier', sa.String(32), nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('sender', sa.JSON(), nullable=False),
        sa.Column('step', sa.String(16), nullable=False),
        sa.Column('tracking_number', sa.String(100), nullable=False),
        sa.Column('tracking_url', sa.String(500), nullable=False),
        sa.Column('price', AMOUNT, nullable=True),
        sa.Column('currency', sa.String(3), nullable=False),
        sa.Column('specimen', sa.Boolean(), nullable=False),
        sa.Column('label_pdf', sa.LargeBinary(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=False),
        sa.Column('bought_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('next_poll_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name='fk_shipments_shop_id_shops', ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['return_id'], ['return_requests.id'], name='fk_shipments_return_id_return_requests',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_shipments'),
        sa.UniqueConstraint('return_id', name='uq_shipments_return_id'),
        sa.UniqueConstraint('shop_id', 'reference', name='uq_shipments_shop_reference'),
    )
    op.create_index('ix_shipments_shop_step', 'shipments', ['shop_id', 'status', 'step'])
    op.create_table(
        'shipment_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('shipment_id', sa.Integer(), nullable=False),
        sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('code', sa.String(32), nullable=False),
        sa.Column('description', sa.String(500), nullable=False),
        sa.Column('location', sa.String(200), nullable=False),
        sa.Column('step', sa.String(16), nullable=False),
        sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name='fk_shipment_events_shipment_id_shipments',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_shipment_events'),
        sa.UniqueConstraint('shipment_id', 'occurred_at', 'code', name='uq_shipment_events_once'),
    )
    op.create_index('ix_shipment_events_shipment_id', 'shipment_events', ['shipment_id'])


def downgrade() -> None:
    op.drop_table('shipment_events')
    op.drop_table('shipments')
    op.drop_table('carrier_accounts')
