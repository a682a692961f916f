"""The roles of an incident: who holds each role its steps name, and who is asked to cover

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'incident_roles',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('plan_holder', sa.String(length=32), nullable=True),
        sa.Column('holder', sa.String(length=32), nullable=True),
        sa.Column('holder_since', UtcDateTime(timezone=True), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('asking', sa.String(length=32), nullable=True),
        sa.Column('asking_since', UtcDateTime(timezone=True), nullable=True),
        sa.Column('asked', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_incident_roles_incident_id_incidents'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_roles')),
        sa.UniqueConstraint('incident_id', 'name', name=op.f('uq_incident_roles_incident_id_name')),
    )
    op.create_index(op.f('ix_incident_roles_incident_id'), 'incident_roles', ['incident_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_incident_roles_incident_id'), table_name='incident_roles')
    op.drop_table('incident_roles')
