"""Organisations over time, people's identifiers, targets, classes and imports (issue 10).

* ``org_periods``: what each organisation was, with effective dates; one open period per existing organisation
  is written from the ``orgs`` rows (since always, still so);
* ``org_changes``: the audit trail of the tree;
* ``candidates``: personal identification number, party card number, old card number (each unique when given)
  and whether the person is a leader or manager;
* ``targets`` (term targets, annual quotas), ``classes`` (awareness and new-member classes), ``imports``;
* an index on ``events (trigger, occurred_on)`` for the reports' period counts.

Revision ID: 0007_orgs_reports
Revises: 0006_api
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from admission_flow.store.types import BigId, Json, UTCDateTime

revision = "0007_orgs_reports"
down_revision = "0006_api"
branch_labels = None
depends_on = None


def _org_fk(table: str) -> sa.ForeignKey:
    return sa.ForeignKey("orgs.id", name=f"fk_{table}_org_id_orgs")


def upgrade() -> None:
    with op.batch_alter_table("candidates") as batch:
        batch.add_column(sa.Column("personal_id", sa.String(12)))
        batch.add_column(sa.Column("party_card_no", sa.String(32)))
        batch.add_column(sa.Column("old_card_no", sa.String(32)))
        batch.add_column(sa.Column("manager", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.create_unique_constraint("uq_candidates_personal_id", ["personal_id"])
        batch.create_unique_constraint("uq_candidates_party_card_no", ["party_card_no"])
        batch.create_unique_constraint("uq_candidates_old_card_no", ["old_card_no"])
    op.create_index("ix_events_trigger_occurred_on", "events", ["trigger", "occurred_on"])
    op.create_table(
        "org_periods",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("org_id", sa.String(64), _org_fk("org_periods"), nullable=False),
        sa.Column("valid_from", sa.Date()),
        sa.Column("valid_until", sa.Date()),
        sa.Column("parent_id", sa.String(64)),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("attributes", Json, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_org_periods"),
    )
    op.create_index("ix_org_periods_org_id_valid_from", "org_periods", ["org_id", "valid_from"])
    op.create_index("ix_org_periods_parent_id", "org_periods", ["parent_id"])
    op.execute(
        "INSERT INTO org_periods (org_id, valid_from, valid_until, parent_id, name, kind, attributes) "
        "SELECT id, NULL, NULL, parent_id, name, kind, attributes FROM orgs"
    )
    op.create_table(
        "org_changes",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("org_id", sa.String(64), _org_fk("org_changes"), nullable=False),
        sa.Column("change", sa.String(16), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("before", Json, nullable=False),
        sa.Column("after", Json, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_org_changes"),
    )
    op.create_index("ix_org_changes_org_id", "org_changes", ["org_id"])
    op.create_table(
        "targets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.String(64), _org_fk("targets"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("admissions", sa.Integer(), nullable=False),
        sa.Column("sourcing_plan", sa.Integer()),
        sa.Column("note", sa.Text()),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_targets"),
        sa.UniqueConstraint("org_id", "kind", "starts_on", name="uq_targets_org_id_kind_starts_on"),
    )
    op.create_table(
        "classes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.String(64), _org_fk("classes"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date()),
        sa.Column("attendees", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_classes"),
        sa.UniqueConstraint("org_id", "kind", "reference", name="uq_classes_org_id_kind_reference"),
    )
    op.create_index("ix_classes_starts_on", "classes", ["starts_on"])
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("file_name", sa.String(500), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_imports"),
        sa.UniqueConstraint("kind", "sha256", name="uq_imports_kind_sha256"),
    )


def downgrade() -> None:
    op.drop_table("imports")
    op.drop_index("ix_classes_starts_on", table_name="classes")
    op.drop_table("classes")
    op.drop_table("targets")
    op.drop_index("ix_org_changes_org_id", table_name="org_changes")
    op.drop_table("org_changes")
    op.drop_index("ix_org_periods_parent_id", table_name="org_periods")
    op.drop_index("ix_org_periods_org_id_valid_from", table_name="org_periods")
    op.drop_table("org_periods")
    op.drop_index("ix_events_trigger_occurred_on", table_name="events")
    with op.batch_alter_table("candidates") as batch:
        batch.drop_constraint("uq_candidates_old_card_no", type_="unique")
        batch.drop_constraint("uq_candidates_party_card_no", type_="unique")
        batch.drop_constraint("uq_candidates_personal_id", type_="unique")
        batch.drop_column("manager")
        batch.drop_column("old_card_no")
        batch.drop_column("party_card_no")
        batch.drop_column("personal_id")
