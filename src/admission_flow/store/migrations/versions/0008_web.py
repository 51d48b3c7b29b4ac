"""The web dashboard's people and sign-ins: ``web_users`` (organisation subtree, roles, argon2id password hash,
disabled flag, failed sign-in count and lock) and ``web_sessions`` (server-side sessions: the SHA-256 of the
cookie's secret, the form token, expiry, sign-out).

Revision ID: 0008_web
Revises: 0007_orgs_reports
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from admission_flow.store.types import BigId, Json, UTCDateTime

revision = "0008_web"
down_revision = "0007_orgs_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("org_id", sa.String(64), sa.ForeignKey("orgs.id", name="fk_web_users_org_id_orgs"), nullable=False),
        sa.Column("roles", Json, nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("failed_sign_ins", sa.Integer(), nullable=False),
        sa.Column("locked_until", UTCDateTime()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_web_users"),
        sa.UniqueConstraint("login", name="uq_web_users_login"),
    )
    op.create_table(
        "web_sessions",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("web_users.id", name="fk_web_sessions_user_id_web_users"),
            nullable=False,
        ),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime()),
        sa.PrimaryKeyConstraint("id", name="pk_web_sessions"),
        sa.UniqueConstraint("secret_hash", name="uq_web_sessions_secret_hash"),
    )
    op.create_index("ix_web_sessions_user_id", "web_sessions", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_web_sessions_user_id", table_name="web_sessions")
    op.drop_table("web_sessions")
    op.drop_table("web_users")
