"""The REST API's tables: API tokens, answered idempotent requests, webhook subscriptions; events name the token
that acted.

Revision ID: 0006_api
Revises: 0005_outbox_channel
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from admission_flow.store.types import BigId, Json, UTCDateTime

revision = "0006_api"
down_revision = "0005_outbox_channel"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("events", sa.Column("token_id", sa.Integer()))
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("org_id", sa.String(64), sa.ForeignKey("orgs.id", name="fk_api_tokens_org_id_orgs"), nullable=False),
        sa.Column("roles", Json, nullable=False),
        sa.Column("read_only", sa.Boolean(), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime()),
        sa.Column("revoked_at", UTCDateTime()),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.UniqueConstraint("secret_hash", name="uq_api_tokens_secret_hash"),
    )
    op.create_table(
        "idempotent_requests",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer()),
        sa.Column("headers", Json),
        sa.Column("body", sa.Text()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_idempotent_requests"),
        sa.UniqueConstraint("token_id", "key", name="uq_idempotent_requests_token_id_key"),
    )
    op.create_table(
        "webhooks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.String(64), sa.ForeignKey("orgs.id", name="fk_webhooks_org_id_orgs"), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("event_types", Json, nullable=False),
        sa.Column("secret", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_webhooks"),
    )


def downgrade() -> None:
    op.drop_table("webhooks")
    op.drop_table("idempotent_requests")
    op.drop_table("api_tokens")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("token_id")
