"""incident running: decisions, updates, stand-down

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
import storage.models


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('decision', sa.Text(), nullable=False),
    sa.Column('rationale', sa.Text(), nullable=True),
    sa.Column('options', sa.Text(), nullable=True),
    sa.Column('decided_by', sa.String(length=32), nullable=False),
    sa.Column('logged_by', sa.String(length=32), nullable=False),
    sa.Column('corrects', sa.Integer(), nullable=True),
    sa.Column('source_link', sa.Text(), nullable=True),
    sa.Column('at', storage.models.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_decisions_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decisions')),
    sa.UniqueConstraint('incident_id', 'number', name=op.f('uq_decisions_incident_id_number'))
    )
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closing_summary', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('next_update_due', storage.models.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('nudged_for', storage.models.UtcDateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_column('nudged_for')
        batch_op.drop_column('next_update_due')
        batch_op.drop_column('closing_summary')

    op.drop_table('decisions')
