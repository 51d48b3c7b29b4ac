"""The dashboard's indexes at 100,000 candidates (issue 11): no table changes.

* ``instances (candidate_id, attempt)`` including the id, stay, workflow and state on PostgreSQL: the newest-attempt
  check and the pipeline board's counts are index-only scans instead of passes over the wide rows;
* ``instances (candidate_id, attempt)`` over attempts above 1 only: the superseding attempts, the few rows the
  newest-attempt check needs (an attempt is superseded only by a later one, and attempts count from 1);
* ``timers (due_on, state, instance_id, state_epoch, id)`` over the open deadline rows only (rung 0, pending, done or
  failed), including ``fire_at`` on PostgreSQL: My work walks it in due order and stops at the page's end.

Revision ID: 0009_web_speed
Revises: 0008_web
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_web_speed"
down_revision = "0008_web"
branch_labels = None
depends_on = None

_OPEN_DEADLINE_ROW = sa.text("rung = 0 AND status IN ('pending', 'done', 'failed')")


def upgrade() -> None:
    op.create_index(
        "ix_instances_candidate_id_attempt",
        "instances",
        ["candidate_id", "attempt"],
        postgresql_include=["id", "state_epoch", "workflow_id", "workflow_version", "state"],
    )
    op.create_index(
        "ix_instances_later_attempts",
        "instances",
        ["candidate_id", "attempt"],
        postgresql_where=sa.text("attempt > 1"),
        sqlite_where=sa.text("attempt > 1"),
    )
    op.create_index(
        "ix_timers_due_on_state_instance_id_state_epoch_id",
        "timers",
        ["due_on", "state", "instance_id", "state_epoch", "id"],
        postgresql_where=_OPEN_DEADLINE_ROW,
        sqlite_where=_OPEN_DEADLINE_ROW,
        postgresql_include=["fire_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_timers_due_on_state_instance_id_state_epoch_id", table_name="timers")
    op.drop_index("ix_instances_later_attempts", table_name="instances")
    op.drop_index("ix_instances_candidate_id_attempt", table_name="instances")
