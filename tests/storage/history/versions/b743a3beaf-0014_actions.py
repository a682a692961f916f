"""Corrective actions (A-n) with their history, and management reviews (MR-n)

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'management_reviews',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('held_on', sa.Date(), nullable=False),
        sa.Column('plan_key', sa.String(length=64), nullable=True),
        sa.Column('attendees', sa.JSON(), nullable=False),
        sa.Column('decisions', sa.JSON(), nullable=False),
        sa.Column('recorded_by', sa.String(length=32), nullable=False),
        sa.Column('recorded_at', UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_management_reviews')),
    )
    op.create_table(
        'actions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title', sa.Text(), nullable=False),
        sa.Column('owner', sa.String(length=32), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('plan_key', sa.String(length=64), nullable=False),
        sa.Column('source_kind', sa.String(length=16), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=True),
        sa.Column('review_id', sa.Integer(), nullable=True),
        sa.Column('source_note', sa.Text(), nullable=True),
        sa.Column('created_at', UtcDateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.String(length=32), nullable=False),
        sa.Column('closed_at', UtcDateTime(timezone=True), nullable=True),
        sa.Column('closed_by', sa.String(length=32), nullable=True),
        sa.Column('closing_note', sa.Text(), nullable=True),
        sa.Column('card_channel', sa.String(length=32), nullable=True),
        sa.Column('card_ts', sa.String(length=32), nullable=True),
        sa.Column('reminded_for', sa.Date(), nullable=True),
        sa.Column('reminded_stage', sa.Integer(), nullable=True),
        sa.Column('late_told_for', sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_actions_incident_id_incidents')),
        sa.ForeignKeyConstraint(['review_id'], ['management_reviews.id'],
                                name=op.f('fk_actions_review_id_management_reviews')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_actions')),
    )
    op.create_index('ix_actions_status_due_on', 'actions', ['status', 'due_on'])
    op.create_index(op.f('ix_actions_owner'), 'actions', ['owner'])
    op.create_index(op.f('ix_actions_plan_key'), 'actions', ['plan_key'])
    op.create_index(op.f('ix_actions_incident_id'), 'actions', ['incident_id'])
    op.create_index(op.f('ix_actions_review_id'), 'actions', ['review_id'])
    op.create_table(
        'action_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('action_id', sa.Integer(), nullable=False),
        sa.Column('at', UtcDateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['action_id'], ['actions.id'], name=op.f('fk_action_events_action_id_actions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_action_events')),
    )
    op.create_index(op.f('ix_action_events_action_id'), 'action_events', ['action_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_action_events_action_id'), table_name='action_events')
    op.drop_table('action_events')
    for name in ('ix_actions_review_id', 'ix_actions_incident_id', 'ix_actions_plan_key', 'ix_actions_owner',
                 'ix_actions_status_due_on'):
        op.drop_index(name, table_name='actions')
    op.drop_table('actions')
    op.drop_table('management_reviews')
