"""Moving running candidates from one workflow version to another, on purpose, with a report first.

The mapping comes from the target workflow's ``migrations`` section. :func:`plan_item` computes, for one
candidate, the state mapping, the deadlines that move, appear or disappear, and the reminders that will be
cancelled, scheduled, skipped or sent again; the dry run returns those items, and the apply computes the very
same item inside the candidate's transaction before writing one audited ``migrate_workflow`` event.

Reminders already sent for a deadline whose date does not change are not sent again; a reminder is sent again
only when its deadline moved (the report lists those).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from admission_flow.domain.inputs import EventInput
from admission_flow.domain.records import MigrationItem
from admission_flow.domain.stored import DONE, PENDING, SKIPPED, Instance, TimerRow
from admission_flow.engine.effects import anchor_dates, event_row
from admission_flow.engine.machine import CompiledWorkflow
from admission_flow.engine.timing import Stay, plan_timers, projections
from admission_flow.errors import ConcurrentUpdate, InvalidInput
from admission_flow.ports import UnitOfWork
from admission_flow.services.deps import Deps
from admission_flow.services.migration_report import timer_changes
from admission_flow.workflow.spec import MigrationSpec

MIGRATE_TRIGGER = "migrate_workflow"


def migration_spec(old: CompiledWorkflow, new: CompiledWorkflow) -> MigrationSpec:
    for m in new.spec.migrations:
        if m.from_ == old.key:
            return m
    raise InvalidInput(f"{new.key} declares no migration from {old.key} (add it under 'migrations' in its file)")


def plan_item(
    deps: Deps,
    uow: UnitOfWork,
    inst: Instance,
    old: CompiledWorkflow,
    new: CompiledWorkflow,
    mapping: MigrationSpec,
    now: datetime,
) -> MigrationItem:
    base: dict[str, Any] = {
        "candidate_id": inst.candidate_id,
        "full_name": inst.candidate.full_name,
        "org_id": inst.org.id,
        "from_state": inst.state,
    }
    target = mapping.states.get(inst.state, inst.state)
    if target not in new.spec.states:
        return MigrationItem(
            **base,
            to_state=None,
            reason=f"state {inst.state!r} does not exist in {new.key} and the migration maps it nowhere",
        )
    dates = anchor_dates(inst.dates, inst)
    entered = inst.state_entered_on or now.date()
    rules = deps.rules()
    before = {
        (p.deadline_id, p.rung): p
        for p in projections(old, inst.state, dates, entered, inst.extensions, inst.flags, rules)
    }
    after = {
        (p.deadline_id, p.rung): p for p in projections(new, target, dates, entered, inst.extensions, inst.flags, rules)
    }
    current = {(r.deadline_id, r.rung): r for r in uow.timers.of_stay(inst.id, inst.state_epoch)}
    return MigrationItem(**base, to_state=target, reason=None, **timer_changes(before, after, current, now))


def migrate(
    deps: Deps,
    from_ref: str,
    to_ref: str,
    *,
    org_id: str | None = None,
    dry_run: bool = True,
    actor: str = "migration",
) -> list[MigrationItem]:
    old, new = deps.catalog.resolve(from_ref), deps.catalog.resolve(to_ref)
    mapping = migration_spec(old, new)
    now = deps.clock.now()
    with deps.db.transaction(readonly=True) as uow:
        ids = [i.candidate_id for i in _running(uow, old, org_id)]
    items = []
    for candidate_id in ids:
        with deps.db.transaction(readonly=dry_run) as uow:
            inst = uow.instances.load(candidate_id)
            if inst is None or (inst.workflow_id, inst.workflow_version) != (old.spec.id, old.spec.version):
                continue
            deps.pinned(inst)  # refuses if the old file changed under its version
            item = plan_item(deps, uow, inst, old, new, mapping, now)
            if not dry_run and item.mappable:
                _apply(deps, uow, inst, old, new, item, now, actor)
        items.append(item)
    return items


def _running(uow: UnitOfWork, wf: CompiledWorkflow, org_id: str | None) -> list[Instance]:
    org_ids = uow.orgs.subtree(org_id) if org_id is not None else None
    found = uow.instances.latest(uow.instances.candidate_ids(org_ids=org_ids))
    return [
        i
        for i in found
        if (i.workflow_id, i.workflow_version) == (wf.spec.id, wf.spec.version) and not wf.is_final(i.state)
    ]


def _apply(
    deps: Deps,
    uow: UnitOfWork,
    inst: Instance,
    old: CompiledWorkflow,
    new: CompiledWorkflow,
    item: MigrationItem,
    now: datetime,
    actor: str,
) -> None:
    assert item.to_state is not None
    epoch = inst.version + 1
    pinned = (new.spec.id, new.spec.version, new.content_hash)
    if not uow.instances.repin(inst.id, inst.version, workflow=pinned, state=item.to_state, epoch=epoch, now=now):
        raise ConcurrentUpdate(inst.id, inst.version)
    payload = {"from": old.key, "to": new.key, "from_hash": old.content_hash, "to_hash": new.content_hash}
    audit = event_row(
        new,
        instance_id=inst.id,
        seq=epoch,
        trigger=MIGRATE_TRIGGER,
        from_state=inst.state,
        to_state=item.to_state,
        event=EventInput(actor=actor, data=payload),
        org_id=inst.org.id,
        occurred_on=deps.today(),
        now=now,
    )
    uow.events.insert(audit)
    before = {(r.deadline_id, r.rung): r for r in uow.timers.of_stay(inst.id, inst.state_epoch)}
    entered = inst.state_entered_on or now.date()
    stay = Stay(inst.id, item.to_state, epoch, entered, anchor_dates(inst.dates, inst), inst.extensions, inst.flags)
    plan = plan_timers(new, stay, moved=True, left_pending=True, existing=(), now=now, rules=deps.rules())
    uow.timers.apply(inst.id, epoch, plan, now)
    # The new rows end exactly as the report said: pending if carried, scheduled or re-sent; skipped otherwise.
    live = {*item.timers_carried, *item.reminders_scheduled, *item.reminders_resent}
    for r in uow.timers.of_stay(inst.id, epoch):
        key = r.deadline_id if r.rung == 0 else f"{r.deadline_id}#{r.rung}"
        wanted = PENDING if key in live else SKIPPED
        if r.status != wanted:
            why = None if wanted == PENDING else _why_skipped(before.get((r.deadline_id, r.rung)), item, r.deadline_id)
            uow.timers.set_status(r.id, wanted, None if wanted == PENDING else now, why)


def _why_skipped(old: TimerRow | None, item: MigrationItem, deadline_id: str) -> str:
    if deadline_id in item.deadlines_satisfied:
        return "met before the migration (done_by)"
    if old is not None and old.status == DONE:
        return "already sent before the migration"
    return "reminder time had passed when the deadline was projected"


__all__ = ["MIGRATE_TRIGGER", "migrate", "migration_spec", "plan_item"]
