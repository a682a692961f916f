"""Confidential incidents: a private channel, shown only to the people in it

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ('activation_requests', 'incidents'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('confidential', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    for table in ('incidents', 'activation_requests'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('confidential')
