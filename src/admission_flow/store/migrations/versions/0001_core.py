"""Core tables: orgs, candidates, instances, events, documents.

Revision ID: 0001_core
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from admission_flow.store.types import BigId, Json, UTCDateTime

revision = "0001_core"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "orgs",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("parent_id", sa.String(64), sa.ForeignKey("orgs.id", name="fk_orgs_parent_id_orgs")),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("has_youth_union", sa.Boolean(), nullable=False),
        sa.Column("has_trade_union", sa.Boolean(), nullable=False),
        sa.Column("contacts", Json, nullable=False),
        sa.Column("attributes", Json, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_orgs"),
    )
    op.create_index("ix_orgs_parent_id", "orgs", ["parent_id"])
    op.create_table(
        "candidates",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("org_id", sa.String(64), sa.ForeignKey("orgs.id", name="fk_candidates_org_id_orgs"), nullable=False),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("birth_date", sa.Date()),
        sa.Column("sex", sa.String(16)),
        sa.Column("ethnicity", sa.String(64)),
        sa.Column("religion", sa.String(64)),
        sa.Column("education", sa.String(32)),
        sa.Column("remote_area", sa.Boolean(), nullable=False),
        sa.Column("occupation", sa.String(64)),
        sa.Column("youth_union_member", sa.Boolean(), nullable=False),
        sa.Column("trade_union_member", sa.Boolean(), nullable=False),
        sa.Column("email", sa.String(254)),
        sa.Column("attributes", Json, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_candidates"),
    )
    op.create_index("ix_candidates_org_id", "candidates", ["org_id"])
    op.create_table(
        "instances",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column(
            "candidate_id",
            sa.String(64),
            sa.ForeignKey("candidates.id", name="fk_instances_candidate_id_candidates"),
            nullable=False,
        ),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("workflow_id", sa.String(64), nullable=False),
        sa.Column("workflow_version", sa.String(32), nullable=False),
        sa.Column("workflow_hash", sa.String(64), nullable=False),
        sa.Column("state", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("dates", Json, nullable=False),
        sa.Column("flags", Json, nullable=False),
        sa.Column("documents", Json, nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_instances"),
        sa.UniqueConstraint("candidate_id", "attempt", name="uq_instances_candidate_id_attempt"),
    )
    op.create_index("ix_instances_workflow_id_state", "instances", ["workflow_id", "state"])
    op.create_table(
        "events",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column(
            "instance_id", BigId, sa.ForeignKey("instances.id", name="fk_events_instance_id_instances"), nullable=False
        ),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(64), nullable=False),
        sa.Column("from_state", sa.String(64)),
        sa.Column("to_state", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("role", sa.String(64)),
        sa.Column("org_id", sa.String(64)),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("payload", Json, nullable=False),
        sa.Column("documents", Json, nullable=False),
        sa.Column("votes", Json),
        sa.Column("workflow_id", sa.String(64), nullable=False),
        sa.Column("workflow_version", sa.String(32), nullable=False),
        sa.Column("workflow_hash", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(200)),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
        sa.UniqueConstraint("instance_id", "seq", name="uq_events_instance_id_seq"),
        sa.UniqueConstraint("idempotency_key", name="uq_events_idempotency_key"),
    )
    op.create_table(
        "documents",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column(
            "instance_id",
            BigId,
            sa.ForeignKey("instances.id", name="fk_documents_instance_id_instances"),
            nullable=False,
        ),
        sa.Column("event_id", BigId, sa.ForeignKey("events.id", name="fk_documents_event_id_events"), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("form", sa.String(32)),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("reference", sa.Text()),
        sa.Column("attributes", Json, nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_documents"),
    )
    op.create_index("ix_documents_instance_id", "documents", ["instance_id"])


def downgrade() -> None:
    op.drop_index("ix_documents_instance_id", table_name="documents")
    op.drop_table("documents")
    op.drop_table("events")
    op.drop_index("ix_instances_workflow_id_state", table_name="instances")
    op.drop_table("instances")
    op.drop_index("ix_candidates_org_id", table_name="candidates")
    op.drop_table("candidates")
    op.drop_index("ix_orgs_parent_id", table_name="orgs")
    op.drop_table("orgs")
