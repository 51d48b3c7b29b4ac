"""Moving running candidates from one workflow version to another, on purpose, with a report first.

The mapping comes from the target workflow's ``migrations`` section. :func:`plan_item` computes, for one
candidate, the state mapping, the deadlines that move, appear or disappear, and the reminders that will be
cancelled, scheduled, skipped or sent again; the dry run prints those items, and the apply computes the very
same item inside the candidate's transaction before writing one audited ``migrate_workflow`` event.

Reminders already sent for a deadline whose date does not change are not sent again; a reminder is sent again
only when its deadline moved (the report lists those).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from admission_flow.domain.records import MigrationItem
from admission_flow.engine.machine import CompiledWorkflow
from admission_flow.errors import ConcurrentUpdate, InvalidInput
from admission_flow.service import anchor_dates
from admission_flow.store import timers as t
from admission_flow.store.repository import InstanceRow, Tx
from admission_flow.workflow.deadlines import Projection
from admission_flow.workflow.spec import MigrationSpec

if TYPE_CHECKING:
    from admission_flow.flow import AdmissionFlow

MIGRATE_TRIGGER = "migrate_workflow"


def migration_spec(old: CompiledWorkflow, new: CompiledWorkflow) -> MigrationSpec:
    for m in new.spec.migrations:
        if m.from_ == old.key:
            return m
    raise InvalidInput(f"{new.key} declares no migration from {old.key} (add it under 'migrations' in its file)")


def plan_item(
    flow: AdmissionFlow,
    tx: Tx,
    row: InstanceRow,
    old: CompiledWorkflow,
    new: CompiledWorkflow,
    mapping: MigrationSpec,
    now: datetime,
) -> MigrationItem:
    base = {
        "candidate_id": row.candidate_id,
        "full_name": row.candidate.full_name,
        "org_id": row.org.id,
        "from_state": row.state,
    }
    target = mapping.states.get(row.state, row.state)
    if target not in new.spec.states:
        return MigrationItem(
            **base,
            to_state=None,
            reason=f"state {row.state!r} does not exist in {new.key} and the migration maps it nowhere",
        )
    dates = anchor_dates(row.dates, row.candidate.birth_date)
    entered = row.state_entered_on or now.date()
    keeper = flow.timekeeper
    before = {
        (p.deadline_id, p.rung): p
        for p in keeper.projections(old, row.state, dates, entered, row.extensions, row.flags)
    }
    after = {
        (p.deadline_id, p.rung): p for p in keeper.projections(new, target, dates, entered, row.extensions, row.flags)
    }
    current = {(r.deadline_id, r.rung): r for r in t.timers_of_epoch(tx.connection, row.id, row.state_epoch)}
    return MigrationItem(**base, to_state=target, reason=None, **_timer_changes(before, after, current, now))


def _timer_changes(
    before: dict[tuple[str, int], Projection],
    after: dict[tuple[str, int], Projection],
    current: dict[tuple[str, int], Any],
    now: datetime,
) -> dict[str, Any]:
    def name(key: tuple[str, int]) -> str:
        return key[0] if key[1] == 0 else f"{key[0]}#{key[1]}"

    dues_before = {k[0]: p.due_on for k, p in before.items() if k[1] == 0}
    dues_after = {k[0]: p.due_on for k, p in after.items() if k[1] == 0}
    changes: dict[str, Any] = {
        "deadlines_moved": [
            {"deadline": d, "from": dues_before[d].isoformat(), "to": dues_after[d].isoformat()}
            for d in dues_before
            if d in dues_after and dues_before[d] != dues_after[d]
        ],
        "deadlines_added": [d for d in dues_after if d not in dues_before],
        "deadlines_removed": [d for d in dues_before if d not in dues_after],
        "reminders_cancelled": [
            name(k)
            for k, r in current.items()
            if r.status == t.PENDING and (k not in after or after[k].fire_at != r.fire_at)
        ],
        "reminders_scheduled": [],
        "reminders_skipped": [],
        "reminders_resent": [],
        "timers_carried": [],
        "deadlines_satisfied": sorted(
            {
                r.deadline_id
                for r in current.values()
                if r.status == t.CANCELLED and (r.outcome or "").startswith("done:")
            }
        ),
    }
    for key, p in after.items():
        old = current.get(key)
        if key[0] in changes["deadlines_satisfied"]:
            changes["reminders_skipped"].append(name(key))  # its done_by event already happened
        elif old is not None and old.status == t.PENDING and old.fire_at == p.fire_at:
            changes["timers_carried"].append(name(key))  # due or not, it goes on exactly as before
        elif old is not None and old.status == t.DONE and old.due_on == p.due_on:
            changes["reminders_skipped"].append(name(key))  # already sent for this very date
        elif p.stale(now):
            changes["reminders_skipped"].append(name(key))  # its moment has passed
        elif old is not None and old.status == t.DONE:
            changes["reminders_resent"].append(name(key))  # already sent, but the date moved
        else:
            changes["reminders_scheduled"].append(name(key))
    return changes


def migrate(
    flow: AdmissionFlow,
    from_ref: str,
    to_ref: str,
    *,
    org_id: str | None = None,
    dry_run: bool = True,
    actor: str = "migration",
) -> list[MigrationItem]:
    old, new = flow.catalog.resolve(from_ref), flow.catalog.resolve(to_ref)
    mapping = migration_spec(old, new)
    now = flow.clock.now()
    with flow.store.transaction(readonly=True) as tx:
        ids = [r.candidate_id for r in _running(flow, tx, old, org_id)]
    items = []
    for candidate_id in ids:
        with flow.store.transaction(readonly=dry_run) as tx:
            row = tx.load_instance(candidate_id)
            if row is None or (row.workflow_id, row.workflow_version) != (old.spec.id, old.spec.version):
                continue
            flow.service.pinned_workflow(row)  # refuses if the old file changed under its version
            item = plan_item(flow, tx, row, old, new, mapping, now)
            if not dry_run and item.mappable:
                _apply(flow, tx, row, old, new, item, now, actor)
        items.append(item)
    return items


def _running(flow: AdmissionFlow, tx: Tx, wf: CompiledWorkflow, org_id: str | None) -> list[InstanceRow]:
    from admission_flow.service import _subtree

    org_ids = _subtree(tx, org_id) if org_id is not None else None
    rows = tx.load_instances(tx.list_candidate_ids(org_ids=org_ids))
    return [
        r
        for r in rows
        if (r.workflow_id, r.workflow_version) == (wf.spec.id, wf.spec.version) and not wf.is_final(r.state)
    ]


def _apply(
    flow: AdmissionFlow,
    tx: Tx,
    row: InstanceRow,
    old: CompiledWorkflow,
    new: CompiledWorkflow,
    item: MigrationItem,
    now: datetime,
    actor: str,
) -> None:
    assert item.to_state is not None
    epoch = row.version + 1
    if not tx.migrate_instance(row.id, row.version, workflow=new, state=item.to_state, epoch=epoch, now=now):
        raise ConcurrentUpdate(row.id, row.version)
    payload = {"from": old.key, "to": new.key, "from_hash": old.content_hash, "to_hash": new.content_hash}
    tx.insert_event(
        {
            "instance_id": row.id,
            "seq": epoch,
            "trigger": MIGRATE_TRIGGER,
            "from_state": row.state,
            "to_state": item.to_state,
            "actor": actor,
            "role": None,
            "org_id": row.org.id,
            "occurred_on": flow.service.today(),
            "recorded_at": now,
            "payload": payload,
            "documents": [],
            "votes": None,
            "workflow_id": new.spec.id,
            "workflow_version": new.spec.version,
            "workflow_hash": new.content_hash,
            "idempotency_key": None,
        }
    )
    before = {(r.deadline_id, r.rung): r for r in t.timers_of_epoch(tx.connection, row.id, row.state_epoch)}
    dates = anchor_dates(row.dates, row.candidate.birth_date)
    flow.timekeeper.project(
        tx,
        row.id,
        new,
        moved=True,
        state=item.to_state,
        epoch=epoch,
        entered_on=row.state_entered_on or now.date(),
        dates=dates,
        extensions=row.extensions,
        now=now,
        flags=row.flags,
    )
    # The new rows end exactly as the report said: pending if carried, scheduled or re-sent; skipped otherwise.
    live = {*item.timers_carried, *item.reminders_scheduled, *item.reminders_resent}
    for r in t.timers_of_epoch(tx.connection, row.id, epoch):
        key = r.deadline_id if r.rung == 0 else f"{r.deadline_id}#{r.rung}"
        wanted = t.PENDING if key in live else t.SKIPPED
        if r.status != wanted:
            why = (
                None if wanted == t.PENDING else _why_skipped(before.get((r.deadline_id, r.rung)), item, r.deadline_id)
            )
            t.set_timer_status(tx.connection, r.id, wanted, None if wanted == t.PENDING else now, why)


def _why_skipped(old: Any, item: MigrationItem, deadline_id: str) -> str:
    if deadline_id in item.deadlines_satisfied:
        return "met before the migration (done_by)"
    if old is not None and old.status == t.DONE:
        return "already sent before the migration"
    return "reminder time had passed when the deadline was projected"


__all__ = ["MIGRATE_TRIGGER", "MigrationItem", "date", "migrate"]
