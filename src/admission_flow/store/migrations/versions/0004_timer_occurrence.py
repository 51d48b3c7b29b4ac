"""Timers get an occurrence number: a `while_flag` deadline that starts again in the same stay in a state
(a second transfer) gets new rows instead of being blocked by the cancelled rows of the first.

Revision ID: 0004_timer_occurrence
Revises: 0003_outbox_context
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_timer_occurrence"
down_revision = "0003_outbox_context"
branch_labels = None
depends_on = None

OLD = "uq_timers_instance_id_state_epoch_deadline_id_rung"
NEW = "uq_timers_instance_id_state_epoch_deadline_id_rung_occurrence"


def upgrade() -> None:
    with op.batch_alter_table("timers") as batch:
        batch.add_column(sa.Column("occurrence", sa.Integer(), nullable=False, server_default="1"))
        batch.drop_constraint(OLD, type_="unique")
        batch.create_unique_constraint(NEW, ["instance_id", "state_epoch", "deadline_id", "rung", "occurrence"])


def downgrade() -> None:
    # Later occurrences cannot keep their rows under the old key: only the first of each is kept (their messages
    # stay in the outbox, detached from the timer row).
    later = "SELECT id FROM timers WHERE occurrence > 1"
    op.execute(f"UPDATE outbox SET timer_id = NULL WHERE timer_id IN ({later})")
    op.execute("DELETE FROM timers WHERE occurrence > 1")
    with op.batch_alter_table("timers") as batch:
        batch.drop_constraint(NEW, type_="unique")
        batch.create_unique_constraint(OLD, ["instance_id", "state_epoch", "deadline_id", "rung"])
        batch.drop_column("occurrence")
