"""Recovery time objectives: when the disruption started, and each affected service's clock

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ('activation_requests', 'incidents'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('disrupted_at', UtcDateTime(timezone=True), nullable=True))
    op.create_table(
        'incident_services',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=75), nullable=False),
        sa.Column('priority', sa.Integer(), nullable=True),
        sa.Column('rto_minutes', sa.Integer(), nullable=True),
        sa.Column('mtpd_minutes', sa.Integer(), nullable=True),
        sa.Column('disrupted_at', UtcDateTime(timezone=True), nullable=False),
        sa.Column('warn_at', UtcDateTime(timezone=True), nullable=True),
        sa.Column('rto_due_at', UtcDateTime(timezone=True), nullable=True),
        sa.Column('mtpd_due_at', UtcDateTime(timezone=True), nullable=True),
        sa.Column('added_at', UtcDateTime(timezone=True), nullable=False),
        sa.Column('added_by', sa.String(length=32), nullable=True),
        sa.Column('removed_at', UtcDateTime(timezone=True), nullable=True),
        sa.Column('recovered_at', UtcDateTime(timezone=True), nullable=True),
        sa.Column('recovered_by', sa.String(length=32), nullable=True),
        sa.Column('warned_at', UtcDateTime(timezone=True), nullable=True),
        sa.Column('rto_told_at', UtcDateTime(timezone=True), nullable=True),
        sa.Column('mtpd_told_at', UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'],
                                name=op.f('fk_incident_services_incident_id_incidents'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_services')),
        sa.UniqueConstraint('incident_id', 'name', name=op.f('uq_incident_services_incident_id_name')),
    )
    op.create_index(op.f('ix_incident_services_incident_id'), 'incident_services', ['incident_id'], unique=False)
    # The sweep looks for clocks still running past a mark: open services by their next mark.
    op.create_index('ix_incident_services_running', 'incident_services', ['recovered_at', 'removed_at', 'warn_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_incident_services_running', table_name='incident_services')
    op.drop_index(op.f('ix_incident_services_incident_id'), table_name='incident_services')
    op.drop_table('incident_services')
    for table in ('incidents', 'activation_requests'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('disrupted_at')
