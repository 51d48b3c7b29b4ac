"""Outbox messages keep their template context; the text is rendered once, at delivery.

Revision ID: 0003_outbox_context
Revises: 0002_timers_outbox
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from admission_flow.store.types import Json

revision = "0003_outbox_context"
down_revision = "0002_timers_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("context", Json, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("context")
