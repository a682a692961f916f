"""Intents recorded before the ack; the outbox keyed by subject, leased and re-armable

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# The old outbox's phase tasks were named `phase:<phase>:<step>`; set-up tasks by their kind.
_PHASE_KINDS = {"notice": "phase_notice", "checklist": "post_checklist", "refresh": "render_incident"}


def upgrade() -> None:
    op.create_table(
        'intents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=48), nullable=False),
        sa.Column('actor', sa.String(length=32), nullable=True),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('dedupe_key', sa.String(length=200), nullable=False),
        sa.Column('tell', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('claimed_until', UtcDateTime(timezone=True), nullable=True),
        sa.Column('outcome', sa.Text(), nullable=True),
        sa.Column('created_at', UtcDateTime(timezone=True), nullable=False),
        sa.Column('done_at', UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_intents')),
        sa.UniqueConstraint('dedupe_key', name=op.f('uq_intents_dedupe_key')),
    )
    op.create_index('ix_intents_status_created_at', 'intents', ['status', 'created_at'], unique=False)
    outbox = op.create_table(
        'outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subject', sa.String(length=80), nullable=False),
        sa.Column('name', sa.String(length=160), nullable=False),
        sa.Column('kind', sa.String(length=48), nullable=False),
        sa.Column('args', sa.JSON(), nullable=False),
        sa.Column('depends_on', sa.String(length=160), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('armed', sa.Integer(), nullable=False),
        sa.Column('claimed_by', sa.String(length=64), nullable=True),
        sa.Column('claimed_version', sa.Integer(), nullable=True),
        sa.Column('claimed_until', UtcDateTime(timezone=True), nullable=True),
        sa.Column('not_before', UtcDateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('result', sa.JSON(), nullable=False),
        sa.Column('created_at', UtcDateTime(timezone=True), nullable=False),
        sa.Column('done_at', UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
        sa.UniqueConstraint('subject', 'name', name=op.f('uq_outbox_subject_name')),
    )
    op.create_index('ix_outbox_done_at_not_before', 'outbox', ['done_at', 'not_before'], unique=False)
    _carry_over_slack_tasks(outbox)
    op.drop_table('slack_tasks')


def _carry_over_slack_tasks(outbox) -> None:
    """Pending set-up and phase work of the old outbox carries on in the new one (its history too)."""
    old = sa.table('slack_tasks', sa.column('incident_id', sa.Integer()), sa.column('task', sa.String()),
                   sa.column('attempts', sa.Integer()), sa.column('last_error', sa.Text()), sa.column('result', sa.JSON()),
                   sa.column('created_at', UtcDateTime(timezone=True)), sa.column('done_at', UtcDateTime(timezone=True)))
    rows = op.get_bind().execute(sa.select(old)).mappings()
    converted = []
    for row in rows:
        task, args, depends_on = row["task"], {}, None
        kind = task
        if task.startswith("phase:"):
            _, phase, step = (task.split(":") + ["", ""])[:3]
            kind, args = _PHASE_KINDS.get(step, step), {"phase": phase}
            depends_on = f"phase:{phase}:notice" if step == "checklist" else None
        elif task in ("pin_header", "post_checklist"):
            depends_on = "post_header"
        elif task != "create_channel":
            depends_on = "create_channel"
        converted.append({
            "subject": f"incident:{row['incident_id']}", "name": task, "kind": kind, "args": args,
            "depends_on": depends_on, "attempts": row["attempts"] or 0, "armed": 1, "last_error": row["last_error"],
            "result": row["result"] if isinstance(row["result"], dict) else {}, "created_at": row["created_at"],
            "done_at": row["done_at"]})
    if converted:
        op.bulk_insert(outbox, converted)


def downgrade() -> None:
    op.create_table(
        'slack_tasks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=False),
        sa.Column('task', sa.String(length=64), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('claimed_until', UtcDateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('result', sa.JSON(), nullable=False),
        sa.Column('created_at', UtcDateTime(timezone=True), nullable=False),
        sa.Column('done_at', UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_slack_tasks_incident_id_incidents'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_slack_tasks')),
        sa.UniqueConstraint('incident_id', 'task', name=op.f('uq_slack_tasks_incident_id')),
    )
    op.create_index('ix_slack_tasks_done_at', 'slack_tasks', ['done_at'], unique=False)
    op.drop_index('ix_outbox_done_at_not_before', table_name='outbox')
    op.drop_table('outbox')
    op.drop_index('ix_intents_status_created_at', table_name='intents')
    op.drop_table('intents')
