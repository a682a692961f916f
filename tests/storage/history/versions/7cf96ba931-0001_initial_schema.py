"""initial schema

Revision ID: 0001
Revises: 
"""
from alembic import op
import sqlalchemy as sa
import storage.models


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('plan_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_key', sa.String(length=64), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('snapshot', sa.Text(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('created_at', storage.models.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_versions')),
    sa.UniqueConstraint('plan_key', 'content_hash', name=op.f('uq_plan_versions_plan_key_content_hash'))
    )
    with op.batch_alter_table('plan_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_versions_plan_key'), ['plan_key'], unique=False)

    op.create_table('processed_events',
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('received_at', storage.models.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_processed_events'))
    )
    op.create_table('activation_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('view_id', sa.String(length=64), nullable=True),
    sa.Column('plan_version_id', sa.Integer(), nullable=False),
    sa.Column('requested_by', sa.String(length=32), nullable=False),
    sa.Column('circumstance', sa.String(length=300), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('services', sa.JSON(), nullable=False),
    sa.Column('lead_user_id', sa.String(length=32), nullable=False),
    sa.Column('is_exercise', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_by', sa.String(length=32), nullable=True),
    sa.Column('decided_at', storage.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('approval_messages', sa.JSON(), nullable=False),
    sa.Column('created_at', storage.models.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['plan_version_id'], ['plan_versions.id'], name=op.f('fk_activation_requests_plan_version_id_plan_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activation_requests')),
    sa.UniqueConstraint('view_id', name=op.f('uq_activation_requests_view_id'))
    )
    op.create_table('incidents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_version_id', sa.Integer(), nullable=False),
    sa.Column('activation_request_id', sa.Integer(), nullable=False),
    sa.Column('plan_key', sa.String(length=64), nullable=False),
    sa.Column('is_exercise', sa.Boolean(), nullable=False),
    sa.Column('circumstance', sa.String(length=300), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('services', sa.JSON(), nullable=False),
    sa.Column('lead_user_id', sa.String(length=32), nullable=False),
    sa.Column('activated_by', sa.String(length=32), nullable=False),
    sa.Column('approved_by', sa.String(length=32), nullable=True),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('channel_id', sa.String(length=32), nullable=True),
    sa.Column('channel_name', sa.String(length=80), nullable=True),
    sa.Column('header_ts', sa.String(length=32), nullable=True),
    sa.Column('announce_ts', sa.String(length=32), nullable=True),
    sa.Column('activated_at', storage.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('phase_started_at', storage.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('stood_down_at', storage.models.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['activation_request_id'], ['activation_requests.id'], name=op.f('fk_incidents_activation_request_id_activation_requests')),
    sa.ForeignKeyConstraint(['plan_version_id'], ['plan_versions.id'], name=op.f('fk_incidents_plan_version_id_plan_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents')),
    sa.UniqueConstraint('activation_request_id', name=op.f('uq_incidents_activation_request_id'))
    )
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index('ix_incidents_state_activated_at', ['state', 'activated_at'], unique=False)

    op.create_table('checklist_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('phase', sa.String(length=32), nullable=False),
    sa.Column('page', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.String(length=32), nullable=False),
    sa.Column('ts', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_checklist_messages_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_messages')),
    sa.UniqueConstraint('incident_id', 'phase', 'page', name=op.f('uq_checklist_messages_incident_id_phase_page'))
    )
    op.create_table('checklist_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('phase', sa.String(length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('owner_role', sa.String(length=80), nullable=True),
    sa.Column('due_within_minutes', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('changed_by', sa.String(length=32), nullable=True),
    sa.Column('changed_at', storage.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('assignee', sa.String(length=32), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('na_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_checklist_steps_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_steps')),
    sa.UniqueConstraint('incident_id', 'phase', 'position', name=op.f('uq_checklist_steps_incident_id_phase_position'))
    )
    op.create_table('incident_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('at', storage.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=32), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_incident_log_incident_id_incidents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_log'))
    )
    with op.batch_alter_table('incident_log', schema=None) as batch_op:
        batch_op.create_index('ix_incident_log_incident_id_id', ['incident_id', 'id'], unique=False)

    op.create_table('slack_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('task', sa.String(length=64), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('created_at', storage.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('done_at', storage.models.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_slack_tasks_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_slack_tasks')),
    sa.UniqueConstraint('incident_id', 'task', name=op.f('uq_slack_tasks_incident_id_task'))
    )
    with op.batch_alter_table('slack_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_slack_tasks_done_at', ['done_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('slack_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_slack_tasks_done_at')

    op.drop_table('slack_tasks')
    with op.batch_alter_table('incident_log', schema=None) as batch_op:
        batch_op.drop_index('ix_incident_log_incident_id_id')

    op.drop_table('incident_log')
    op.drop_table('checklist_steps')
    op.drop_table('checklist_messages')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index('ix_incidents_state_activated_at')

    op.drop_table('incidents')
    op.drop_table('activation_requests')
    op.drop_table('processed_events')
    with op.batch_alter_table('plan_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_versions_plan_key'))

    op.drop_table('plan_versions')
