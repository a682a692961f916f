"""Roll calls: who was asked if they are safe, their answers, each DM's delivery; plan people resolved by email

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('activation_requests') as batch:
        batch.add_column(sa.Column('roll_call', sa.Boolean(), server_default='0', nullable=False))
    op.create_table(
        'roll_calls',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=True),
        sa.Column('plan_key', sa.String(length=64), nullable=False),
        sa.Column('plan_version_id', sa.Integer(), nullable=False),
        sa.Column('is_drill', sa.Boolean(), nullable=False),
        sa.Column('started_by', sa.String(length=32), nullable=False),
        sa.Column('lead_user_id', sa.String(length=32), nullable=False),
        sa.Column('started_at', UtcDateTime(timezone=True), nullable=False),
        sa.Column('remind_at', UtcDateTime(timezone=True), nullable=False),
        sa.Column('escalate_at', UtcDateTime(timezone=True), nullable=False),
        sa.Column('tally_channel', sa.String(length=32), nullable=True),
        sa.Column('tally_ts', sa.String(length=32), nullable=True),
        sa.Column('rendered_at', UtcDateTime(timezone=True), nullable=True),
        sa.Column('reminded_at', UtcDateTime(timezone=True), nullable=True),
        sa.Column('escalated_at', UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_roll_calls_incident_id_incidents')),
        sa.ForeignKeyConstraint(['plan_version_id'], ['plan_versions.id'],
                                name=op.f('fk_roll_calls_plan_version_id_plan_versions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_roll_calls')),
        sa.UniqueConstraint('incident_id', name=op.f('uq_roll_calls_incident_id')),
    )
    op.create_table(
        'roll_call_people',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('roll_call_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('answer', sa.String(length=16), nullable=True),
        sa.Column('answered_at', UtcDateTime(timezone=True), nullable=True),
        sa.Column('recorded_by', sa.String(length=32), nullable=True),
        sa.Column('delivery', sa.String(length=16), nullable=False),
        sa.Column('delivery_code', sa.String(length=48), nullable=True),
        sa.Column('sent_at', UtcDateTime(timezone=True), nullable=True),
        sa.Column('dm_channel', sa.String(length=32), nullable=True),
        sa.Column('dm_ts', sa.String(length=32), nullable=True),
        sa.Column('reminded_at', UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['roll_call_id'], ['roll_calls.id'],
                                name=op.f('fk_roll_call_people_roll_call_id_roll_calls')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_roll_call_people')),
        sa.UniqueConstraint('roll_call_id', 'user_id', name=op.f('uq_roll_call_people_roll_call_id_user_id')),
    )
    op.create_index(op.f('ix_roll_call_people_roll_call_id'), 'roll_call_people', ['roll_call_id'])
    op.create_table(
        'roll_call_answers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('roll_call_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.String(length=32), nullable=False),
        sa.Column('answer', sa.String(length=16), nullable=False),
        sa.Column('at', UtcDateTime(timezone=True), nullable=False),
        sa.Column('recorded_by', sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(['roll_call_id'], ['roll_calls.id'],
                                name=op.f('fk_roll_call_answers_roll_call_id_roll_calls')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_roll_call_answers')),
    )
    op.create_index(op.f('ix_roll_call_answers_roll_call_id'), 'roll_call_answers', ['roll_call_id'])
    op.create_table(
        'slack_people',
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('user_id', sa.String(length=32), nullable=True),
        sa.Column('resolved_at', UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('email', name=op.f('pk_slack_people')),
    )


def downgrade() -> None:
    op.drop_table('slack_people')
    op.drop_index(op.f('ix_roll_call_answers_roll_call_id'), table_name='roll_call_answers')
    op.drop_table('roll_call_answers')
    op.drop_index(op.f('ix_roll_call_people_roll_call_id'), table_name='roll_call_people')
    op.drop_table('roll_call_people')
    op.drop_table('roll_calls')
    with op.batch_alter_table('activation_requests') as batch:
        batch.drop_column('roll_call')
