"""The plan version each plan is served at, so a plan file that breaks or goes keeps its last valid version

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'plan_served',
        sa.Column('plan_key', sa.String(length=64), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('file', sa.Text(), nullable=False),
        sa.Column('broken_hash', sa.String(length=64), nullable=True),
        sa.Column('broken_problem', sa.Text(), nullable=True),
        sa.Column('broken_since', UtcDateTime(timezone=True), nullable=True),
        sa.Column('updated_at', UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['version_id'], ['plan_versions.id'],
                                name=op.f('fk_plan_served_version_id_plan_versions')),
        sa.PrimaryKeyConstraint('plan_key', name=op.f('pk_plan_served')),
    )


def downgrade() -> None:
    op.drop_table('plan_served')
