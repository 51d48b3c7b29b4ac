"""Outbox messages name their channel (``email`` today; webhooks next), so one outbox serves every way out.

Revision ID: 0005_outbox_channel
Revises: 0004_timer_occurrence
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_outbox_channel"
down_revision = "0004_timer_occurrence"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("channel", sa.String(16), nullable=False, server_default="email"))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("channel")
