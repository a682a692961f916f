"""plan governance: review and test dates, reminder claims, reviews and tests

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa
import storage.models


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('plan_governance',
    sa.Column('plan_key', sa.String(length=64), nullable=False),
    sa.Column('next_review', sa.Date(), nullable=False),
    sa.Column('next_test', sa.Date(), nullable=False),
    sa.Column('file_review_next', sa.Date(), nullable=False),
    sa.Column('file_test_next', sa.Date(), nullable=False),
    sa.Column('last_review_at', storage.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('last_review_by', sa.String(length=32), nullable=True),
    sa.Column('last_test_on', sa.Date(), nullable=True),
    sa.Column('last_test_by', sa.String(length=32), nullable=True),
    sa.Column('last_test_type', sa.String(length=16), nullable=True),
    sa.Column('last_test_notes', sa.Text(), nullable=True),
    sa.Column('last_test_incident_id', sa.Integer(), nullable=True),
    sa.Column('review_snoozed_until', storage.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('test_snoozed_until', storage.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('review_flagged_after_incident', sa.Integer(), nullable=True),
    sa.Column('review_reminded_for', sa.Date(), nullable=True),
    sa.Column('review_reminded_stage', sa.Integer(), nullable=True),
    sa.Column('test_reminded_for', sa.Date(), nullable=True),
    sa.Column('test_reminded_stage', sa.Integer(), nullable=True),
    sa.Column('unresolved_owners', sa.JSON(), nullable=False),
    sa.Column('unresolved_checked_at', storage.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', storage.models.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('plan_key', name=op.f('pk_plan_governance'))
    )
    with op.batch_alter_table('plan_governance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_governance_next_review'), ['next_review'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_governance_next_test'), ['next_test'], unique=False)

    op.create_table('plan_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_key', sa.String(length=64), nullable=False),
    sa.Column('reviewed_at', storage.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('reviewed_by', sa.String(length=32), nullable=False),
    sa.Column('was_due_on', sa.Date(), nullable=False),
    sa.Column('next_review', sa.Date(), nullable=False),
    sa.Column('after_incident', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_reviews'))
    )
    with op.batch_alter_table('plan_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_reviews_plan_key'), ['plan_key'], unique=False)

    op.create_table('reminder_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_key', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('stage', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_at', storage.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', storage.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('channel_id', sa.String(length=32), nullable=True),
    sa.Column('ts', sa.String(length=32), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_claims')),
    sa.UniqueConstraint('plan_key', 'kind', 'due_on', 'stage', 'recipient', name=op.f('uq_reminder_claims_plan_key_kind_due_on_stage_recipient'))
    )
    with op.batch_alter_table('reminder_claims', schema=None) as batch_op:
        batch_op.create_index(op.f('ix_reminder_claims_status_kind'), ['status', 'kind'], unique=False)

    op.create_table('plan_tests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_key', sa.String(length=64), nullable=False),
    sa.Column('test_type', sa.String(length=16), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('recorded_by', sa.String(length=32), nullable=True),
    sa.Column('recorded_at', storage.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('report', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_plan_tests_incident_id_incidents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_tests')),
    sa.UniqueConstraint('incident_id', name=op.f('uq_plan_tests_incident_id'))
    )
    with op.batch_alter_table('plan_tests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_tests_plan_key'), ['plan_key'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('plan_tests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_tests_plan_key'))

    op.drop_table('plan_tests')
    with op.batch_alter_table('reminder_claims', schema=None) as batch_op:
        batch_op.drop_index(op.f('ix_reminder_claims_status_kind'))

    op.drop_table('reminder_claims')
    with op.batch_alter_table('plan_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_reviews_plan_key'))

    op.drop_table('plan_reviews')
    with op.batch_alter_table('plan_governance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_governance_next_test'))
        batch_op.drop_index(batch_op.f('ix_plan_governance_next_review'))

    op.drop_table('plan_governance')
