"""Repair what edited and renumbered migrations left out of databases made at earlier commits of main

Revision ID: 0007
Revises: 0006

Three migrations changed after databases had been made with them:

- 0001 gained `slack_tasks.claimed_until` (deaa7a6). Nothing to do: 0006 carries slack_tasks over to the
  outbox without that column and drops the table.
- 0003 gained `plan_governance.{review,test}_reminded_{for,stage}` (fa86a0f). A database made before that is
  stamped 0003 or 0004 without them, and every reminder sweep failed on it: added here when missing. NULL
  means "no reminder dealt with yet": the sweep then reads the claims, whose unique key sends nothing twice.
- The work-in-progress 0005 (4f255ad) made intents, outbox and the decision counter, released as 0005
  (counter) and 0006 (intents, outbox). `storage.migrate` restamps such a database 0006 before Alembic runs;
  its outbox's unique constraint is named `uq_outbox_subject`, renamed here to the released name.

Every step looks at the live schema first, so it does nothing on a database made by the released files.
What this adds is written out here, not read from storage.models: a migration must do tomorrow what it does
today, whatever the models become.
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_REMINDED = (
    ('review_reminded_for', sa.Date()),
    ('review_reminded_stage', sa.Integer()),
    ('test_reminded_for', sa.Date()),
    ('test_reminded_stage', sa.Integer()),
)


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    have = {c['name'] for c in inspector.get_columns('plan_governance')}
    missing = [(name, type_) for name, type_ in _REMINDED if name not in have]
    if missing:
        with op.batch_alter_table('plan_governance', schema=None) as batch_op:
            for name, type_ in missing:
                batch_op.add_column(sa.Column(name, type_, nullable=True))
    if 'uq_outbox_subject' in {c['name'] for c in inspector.get_unique_constraints('outbox')}:
        if op.get_bind().dialect.name == 'postgresql':
            op.execute('ALTER TABLE outbox RENAME CONSTRAINT uq_outbox_subject TO uq_outbox_subject_name')
        else:
            with op.batch_alter_table('outbox', schema=None) as batch_op:
                batch_op.drop_constraint('uq_outbox_subject', type_='unique')
                batch_op.create_unique_constraint('uq_outbox_subject_name', ['subject', 'name'])


def downgrade() -> None:
    # What 0007 adds belongs to 0003 and 0006 as released: their downgrades remove it.
    pass
