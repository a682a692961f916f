"""Decisions numbered from a per-incident counter taken under the incident row's lock

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decisions_count', sa.Integer(), server_default='0', nullable=False))
    op.execute("UPDATE incidents SET decisions_count = COALESCE("
               "(SELECT MAX(number) FROM decisions WHERE decisions.incident_id = incidents.id), 0)")


def downgrade() -> None:
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_column('decisions_count')
