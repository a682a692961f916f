"""Outbox tasks held when Slack refuses them for good, and the person's action each serves

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

_MAX_ATTEMPTS_BEFORE = 20  # until this revision, a task that failed this often was given up


def upgrade() -> None:
    with op.batch_alter_table('outbox') as batch:
        batch.add_column(sa.Column('intent_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('actor', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('held', sa.String(length=48), nullable=True))
        batch.add_column(sa.Column('held_channel', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('held_since', UtcDateTime(timezone=True), nullable=True))
    # Tasks given up by the old attempt limit stay given up (they would be stale now), listed by the doctor.
    outbox = sa.table('outbox', sa.column('done_at', UtcDateTime(timezone=True)), sa.column('attempts', sa.Integer()),
                      sa.column('held', sa.String()))
    op.execute(outbox.update().where(outbox.c.done_at.is_(None), outbox.c.attempts >= _MAX_ATTEMPTS_BEFORE)
               .values(held='error'))


def downgrade() -> None:
    with op.batch_alter_table('outbox') as batch:
        for column in ('held_since', 'held_channel', 'held', 'actor', 'intent_id'):
            batch.drop_column(column)
