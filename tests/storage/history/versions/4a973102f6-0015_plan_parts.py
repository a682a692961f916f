"""Cards telling people their part in a plan: the part's hash sent and when, the hash acknowledged and when

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'plan_parts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('plan_key', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('part_hash', sa.String(length=64), nullable=False),
        sa.Column('generation', sa.Integer(), nullable=False),
        sa.Column('plan_version_id', sa.Integer(), nullable=False),
        sa.Column('owed_at', UtcDateTime(timezone=True), nullable=False),
        sa.Column('sent_at', UtcDateTime(timezone=True), nullable=True),
        sa.Column('dm_channel', sa.String(length=32), nullable=True),
        sa.Column('dm_ts', sa.String(length=32), nullable=True),
        sa.Column('delivery_code', sa.String(length=48), nullable=True),
        sa.Column('acked_hash', sa.String(length=64), nullable=True),
        sa.Column('acked_at', UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['plan_version_id'], ['plan_versions.id'],
                                name=op.f('fk_plan_parts_plan_version_id_plan_versions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_parts')),
        sa.UniqueConstraint('plan_key', 'user_id', name=op.f('uq_plan_parts_plan_key_user_id')),
    )
    op.create_index(op.f('ix_plan_parts_plan_key'), 'plan_parts', ['plan_key'], unique=False)
    op.create_index(op.f('ix_plan_parts_user_id'), 'plan_parts', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_plan_parts_user_id'), table_name='plan_parts')
    op.drop_index(op.f('ix_plan_parts_plan_key'), table_name='plan_parts')
    op.drop_table('plan_parts')
