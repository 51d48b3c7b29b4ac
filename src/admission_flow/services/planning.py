"""Targets, quotas and classes: set, replace, list and remove them within the caller's subtree, and check the
plan (the sourcing plan against the 2–3× rule, the children's quotas against the parent's) as warnings."""

from __future__ import annotations

from datetime import date
from typing import Any

from admission_flow.domain.planning import (
    AllocationRecord,
    ClassRecord,
    NewClass,
    NewTarget,
    PlanWarning,
    SourcingRule,
    TargetRecord,
    allocation_status,
    allocation_warning,
    sourcing_warning,
)
from admission_flow.errors import AlreadyExists, DuplicateKey, NotFound
from admission_flow.ports import UnitOfWork
from admission_flow.services.deps import Deps
from admission_flow.services.scope import require_org


def _target(row: dict[str, Any], rule: SourcingRule, extra: list[PlanWarning] | None = None) -> TargetRecord:
    found = sourcing_warning(row["org_id"], row["admissions"], row["sourcing_plan"], rule)
    return TargetRecord(**row, warnings=[w for w in [found, *(extra or [])] if w is not None])


def _allocation(row: dict[str, Any]) -> AllocationRecord:
    status = allocation_status(row["admissions"], row["allocated"], row["children_with_target"])
    found = allocation_warning(row["org_id"], row["admissions"], row["allocated"], status)
    return AllocationRecord(**row, status=status, warnings=[] if found is None else [found])


def set_target(deps: Deps, target: NewTarget, rule: SourcingRule, within: str | None = None) -> TargetRecord:
    """Set or replace a target; its warnings include the allocation of the organisation's own target to its
    children and of its parent's target, as they stand after the change."""
    values = {**target.model_dump(), "recorded_at": deps.clock.now()}
    with deps.db.transaction() as uow:
        require_org(uow, target.org_id, within)
        target_id, _ = uow.targets.put(values)
        parent = uow.org_history.parent_on(target.org_id, target.ends_on)  # the tree of the target's period
        around = _allocation_around(uow, target, parent)
    row = {k: v for k, v in values.items() if k != "recorded_at"}
    return _target({"id": target_id, **row}, rule, around)


def _allocation_around(uow: UnitOfWork, target: NewTarget, parent: str | None) -> list[PlanWarning]:
    rows = uow.targets.allocation(
        within=None, org_id=parent or target.org_id, kind=target.kind, starts=target.starts_on, ends=target.ends_on
    )
    mine = {target.org_id, parent}
    warnings: list[PlanWarning] = []
    for row in rows:
        if row["org_id"] in mine and (row["starts_on"], row["ends_on"]) == (target.starts_on, target.ends_on):
            warnings += _allocation(row).warnings
    return warnings


def list_targets(
    deps: Deps,
    rule: SourcingRule,
    *,
    within: str | None = None,
    org_id: str | None = None,
    kind: str | None = None,
    starts: date | None = None,
    ends: date | None = None,
) -> list[TargetRecord]:
    """Targets in scope, each with its sourcing-plan warning (allocation has its own listing)."""
    with deps.db.transaction(readonly=True) as uow:
        if org_id is not None:
            require_org(uow, org_id, within)
        rows = uow.targets.listing(within=within, org_id=org_id, kind=kind, starts=starts, ends=ends)
    return [_target(r, rule) for r in rows]


def remove_target(deps: Deps, org_id: str, kind: str, starts_on: date, within: str | None = None) -> None:
    with deps.db.transaction() as uow:
        require_org(uow, org_id, within)
        if not uow.targets.remove(org_id, kind, starts_on):
            raise NotFound("target", f"{org_id} {kind} from {starts_on.isoformat()}")


def allocation(
    deps: Deps,
    *,
    kind: str = "annual",
    within: str | None = None,
    org_id: str | None = None,
    starts: date | None = None,
    ends: date | None = None,
) -> list[AllocationRecord]:
    """Each target of an organisation with children (in scope, meeting the period) against its children's sum."""
    with deps.db.transaction(readonly=True) as uow:
        if org_id is not None:
            require_org(uow, org_id, within)
        rows = uow.targets.allocation(within=within, org_id=org_id, kind=kind, starts=starts, ends=ends)
    return [_allocation(r) for r in rows]


def add_class(deps: Deps, new: NewClass, within: str | None = None) -> ClassRecord:
    values = {**new.model_dump(), "recorded_at": deps.clock.now()}
    try:
        with deps.db.transaction() as uow:
            require_org(uow, new.org_id, within)
            class_id = uow.classes.insert(values)
    except DuplicateKey:
        raise AlreadyExists("class", f"{new.org_id} {new.kind} {new.reference}") from None
    return ClassRecord(id=class_id, **new.model_dump())


def list_classes(
    deps: Deps,
    *,
    within: str | None = None,
    org_id: str | None = None,
    kind: str | None = None,
    starts: date | None = None,
    ends: date | None = None,
) -> list[ClassRecord]:
    with deps.db.transaction(readonly=True) as uow:
        if org_id is not None:
            require_org(uow, org_id, within)
        rows = uow.classes.listing(within=within, org_id=org_id, kind=kind, starts=starts, ends=ends)
    return [ClassRecord(**r) for r in rows]


def remove_class(deps: Deps, org_id: str, kind: str, reference: str, within: str | None = None) -> None:
    with deps.db.transaction() as uow:
        require_org(uow, org_id, within)
        if not uow.classes.remove(org_id, kind, reference):
            raise NotFound("class", f"{org_id} {kind} {reference}")
