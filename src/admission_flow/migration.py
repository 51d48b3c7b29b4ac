"""Deprecated path, kept for one release: use ``AdmissionFlow.migrate`` (the use case is
:mod:`admission_flow.services.migration`)."""

from __future__ import annotations

from admission_flow.domain.records import MigrationItem
from admission_flow.flow import AdmissionFlow
from admission_flow.services.migration import MIGRATE_TRIGGER


def migrate(
    flow: AdmissionFlow,
    from_ref: str,
    to_ref: str,
    *,
    org_id: str | None = None,
    dry_run: bool = True,
    actor: str = "migration",
) -> list[MigrationItem]:
    return flow.migrate(from_ref, to_ref, org_id=org_id, dry_run=dry_run, actor=actor)


__all__ = ["MIGRATE_TRIGGER", "MigrationItem", "migrate"]
