"""the wanted variant's title on return items, as the shopper saw it

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('return_items') as batch:
        batch.add_column(sa.Column('exchange_variant_title', sa.String(length=255), nullable=False,
                                   server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('return_items') as batch:
        batch.drop_column('exchange_variant_title')
