"""What each person was called, and from when, so that records name people as they were

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'person_names',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('source', sa.String(length=8), nullable=False),
        sa.Column('seen_at', UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_person_names')),
    )
    op.create_index('ix_person_names_user_id_seen_at', 'person_names', ['user_id', 'seen_at'])


def downgrade() -> None:
    op.drop_index('ix_person_names_user_id_seen_at', table_name='person_names')
    op.drop_table('person_names')
