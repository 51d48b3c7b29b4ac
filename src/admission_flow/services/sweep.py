"""The sweep: due timer rows become outbox messages or automatic events, one batch per transaction.

A unique key per (instance, stay, deadline, rung, occurrence) and per outbox ``timer_id`` makes a repeated
sweep harmless. On SQLite, where writers are serialised anyway, one sweeper at a time holds a lease; on
PostgreSQL the claim locks the timer rows alone (``FOR UPDATE OF timers SKIP LOCKED``), so sweepers share the
work. An automatic event takes the same path as a request (``services.events.apply``) inside the batch's
transaction; a refused one is recorded on its row, never retried blindly.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from admission_flow.clock import ensure_utc
from admission_flow.domain.inputs import EventInput
from admission_flow.domain.records import SweepReport
from admission_flow.domain.stored import CANCELLED, DONE, FAILED, Claimed
from admission_flow.errors import TransitionRefused, WorkflowChanged
from admission_flow.ports import UnitOfWork
from admission_flow.services import events
from admission_flow.services.deps import Deps
from admission_flow.services.sweep_plans import RungPlan, SweepPlans, Unrunnable

SWEEP_LEASE = "sweeper"


def sweep(deps: Deps, now: datetime | None = None) -> SweepReport:
    """Act on every timer due at ``now`` (default: the clock's now)."""
    now = deps.clock.now() if now is None else ensure_utc(now, "now")
    report = SweepReport()
    leased = deps.db.single_writer
    if leased and not _take_lease(deps):
        report.lease_held_elsewhere = True
        return report
    try:
        _batches(deps, now, report)
    finally:
        if leased:
            with deps.db.transaction() as uow:
                uow.timers.release_lease(SWEEP_LEASE, deps.holder)
    return report


def _take_lease(deps: Deps) -> bool:
    # The lease runs on the real clock, not on a trial `now` (sweep --now 2030-01-01 must not lock anyone out).
    real = deps.clock.now()
    with deps.db.transaction() as uow:
        return uow.timers.acquire_lease(SWEEP_LEASE, deps.holder, real, real + deps.policy.lease)


def _batches(deps: Deps, now: datetime, report: SweepReport) -> None:
    plans = SweepPlans(deps, now)
    batch = deps.policy.sweep_batch
    while True:
        with deps.db.transaction() as uow:
            rows = uow.timers.claim_due(now, batch)
            if rows:
                _process(deps, uow, rows, now, report, plans)
        report.claimed += len(rows)
        report.batches += 1 if rows else 0
        if len(rows) < batch:
            return


def _process(
    deps: Deps, uow: UnitOfWork, rows: list[Claimed], now: datetime, report: SweepReport, plans: SweepPlans
) -> None:
    outbox: list[dict[str, Any]] = []
    finished: dict[tuple[str, str], list[int]] = {}
    moved: dict[int, dict[str, Any]] = {}  # instances an automatic event changed earlier in this batch
    for row in rows:
        if row.instance_id in moved:
            row = row._replace(**moved[row.instance_id])
        if row.current_epoch != row.state_epoch or row.current_state != row.state:
            report.stale += 1
            finished.setdefault((CANCELLED, "the candidate had left the state"), []).append(row.id)
            continue
        plan = plans.get(row)
        if isinstance(plan, Unrunnable):  # the workflow changed under the candidate: record it, sweep the others
            report.failed += 1
            finished.setdefault((FAILED, plan.reason), []).append(row.id)
            continue
        status, outcome = DONE, plan.outcome
        if plan.fire is not None:
            status, outcome = _auto_fire(deps, uow, plan, row)
            if status == DONE:
                report.fired += 1
                moved[row.instance_id] = uow.timers.current(row.instance_id)
            else:
                report.failed += 1
        elif plan.template is not None:
            outbox.append(plans.message(uow, plan, row))
            report.messages += 1
        finished.setdefault((status, outcome), []).append(row.id)
    uow.outbox.insert_swept(outbox, now)
    uow.timers.finish(finished, now)


def _auto_fire(deps: Deps, uow: UnitOfWork, plan: RungPlan, row: Claimed) -> tuple[str, str]:
    assert plan.fire is not None
    on = _local_date(uow.timers.fire_at(row.id), deps)
    inst = uow.instances.load_by_ids([row.instance_id])[row.instance_id]
    event = EventInput(occurred_on=on, actor=f"timer:{plan.deadline.id}", role="system")
    try:
        result = events.apply(deps, uow, inst, plan.fire, event, on)
    except TransitionRefused as refused:
        return FAILED, "refused: " + ", ".join(r.code for r in refused.reasons)
    except WorkflowChanged as changed:
        return FAILED, str(changed)
    return DONE, f"fired {plan.fire} (event {result.event_id})"


def _local_date(instant: datetime, deps: Deps) -> date:
    return instant.astimezone(deps.policy.zone).date()
