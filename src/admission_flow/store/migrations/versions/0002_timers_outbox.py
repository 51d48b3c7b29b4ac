"""Durable time: timers (deadlines and reminder rungs), the outbox, leases; instance state epoch.

Revision ID: 0002_timers_outbox
Revises: 0001_core
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from admission_flow.store.types import BigId, Json, UTCDateTime

revision = "0002_timers_outbox"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("instances") as batch:
        batch.add_column(sa.Column("state_epoch", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("state_entered_on", sa.Date()))
        batch.add_column(sa.Column("extensions", Json, nullable=False, server_default="{}"))
    op.create_table(
        "timers",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column(
            "instance_id", BigId, sa.ForeignKey("instances.id", name="fk_timers_instance_id_instances"), nullable=False
        ),
        sa.Column("state", sa.String(64), nullable=False),
        sa.Column("state_epoch", sa.Integer(), nullable=False),
        sa.Column("deadline_id", sa.String(64), nullable=False),
        sa.Column("rung", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("fire_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("outcome", sa.Text()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("processed_at", UTCDateTime()),
        sa.PrimaryKeyConstraint("id", name="pk_timers"),
        sa.UniqueConstraint(
            "instance_id",
            "state_epoch",
            "deadline_id",
            "rung",
            name="uq_timers_instance_id_state_epoch_deadline_id_rung",
        ),
    )
    op.create_index("ix_timers_instance_id", "timers", ["instance_id"])
    op.create_index("ix_timers_status_fire_at", "timers", ["status", "fire_at"])
    op.create_table(
        "outbox",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("timer_id", BigId, sa.ForeignKey("timers.id", name="fk_outbox_timer_id_timers")),
        sa.Column(
            "instance_id", BigId, sa.ForeignKey("instances.id", name="fk_outbox_instance_id_instances"), nullable=False
        ),
        sa.Column("template", sa.String(64), nullable=False),
        sa.Column("recipients", Json, nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("message_id", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("lease_until", UTCDateTime()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime()),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("timer_id", name="uq_outbox_timer_id"),
        sa.UniqueConstraint("message_id", name="uq_outbox_message_id"),
    )
    op.create_index("ix_outbox_instance_id", "outbox", ["instance_id"])
    op.create_index("ix_outbox_status_next_attempt_at", "outbox", ["status", "next_attempt_at"])
    op.create_table(
        "leases",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_leases"),
    )


def downgrade() -> None:
    op.drop_table("leases")
    op.drop_index("ix_outbox_status_next_attempt_at", table_name="outbox")
    op.drop_index("ix_outbox_instance_id", table_name="outbox")
    op.drop_table("outbox")
    op.drop_index("ix_timers_status_fire_at", table_name="timers")
    op.drop_index("ix_timers_instance_id", table_name="timers")
    op.drop_table("timers")
    with op.batch_alter_table("instances") as batch:
        batch.drop_column("extensions")
        batch.drop_column("state_entered_on")
        batch.drop_column("state_epoch")
