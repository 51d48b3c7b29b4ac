"""The sweep: due timer rows become outbox messages or automatic events, one batch per transaction.

A unique key per (instance, stay, deadline, rung, occurrence) and per outbox ``timer_id`` makes a repeated
sweep harmless. On SQLite, where writers are serialised anyway, one sweeper at a time holds a short lease
(``sweep_lease_seconds``, renewed every batch, taken at once from a dead process of the same host); on
PostgreSQL the claim locks the timer rows alone (``FOR UPDATE OF timers SKIP LOCKED``), so sweepers share the
work. An automatic event takes the same path as a request (``services.events.apply``) inside the batch's
transaction; a refused one is recorded on its row, never retried blindly.
"""

from __future__ import annotations

import os
from collections.abc import Callable
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
    """Act on every timer due at ``now`` (default: the clock's now), including those the sweep's own automatic
    events create: round after round until nothing due is left, at most ``policy.sweep_rounds`` rounds."""
    now = deps.clock.now() if now is None else ensure_utc(now, "now")
    report = SweepReport()
    leased = deps.db.single_writer
    if leased and not _take_lease(deps):
        report.lease_held_elsewhere = True
        return report
    try:
        for _ in range(deps.policy.sweep_rounds):
            before = report.claimed
            if not _batches(deps, now, report, leased) or report.claimed == before:
                break
            report.rounds += 1
        else:  # every round found due timers: something keeps producing them
            with deps.db.transaction() as uow:
                report.left_due = uow.timers.count_due(now)
    finally:
        if leased:
            with deps.db.transaction() as uow:
                uow.timers.release_lease(SWEEP_LEASE, deps.holder)
    return report


def _take_lease(deps: Deps, uow: UnitOfWork | None = None) -> bool:
    """Take or renew the SQLite sweep lease (inside ``uow`` if given): from no one, from a holder whose lease
    ran out, or at once from a holder on this host whose process is gone (``kill -9``)."""
    # The lease runs on the real clock, not on a trial `now` (sweep --now 2030-01-01 must not lock anyone out).
    real = deps.clock.now()
    until = real + deps.policy.sweep_lease
    if uow is not None:
        return uow.timers.acquire_lease(SWEEP_LEASE, deps.holder, real, until, takeover=_gone_from(deps.holder))
    with deps.db.transaction() as own:
        return own.timers.acquire_lease(SWEEP_LEASE, deps.holder, real, until, takeover=_gone_from(deps.holder))


def _gone_from(me: str) -> Callable[[str], bool]:
    """Whether a lease holder (``host:pid:id``) is a process of this host that no longer exists."""
    host = me.split(":", 1)[0]

    def gone(holder: str) -> bool:
        parts = holder.split(":")
        if os.name != "posix" or len(parts) != 3 or parts[0] != host or not parts[1].isdigit():
            return False
        pid = int(parts[1])
        if pid == os.getpid():
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except OSError:  # it exists (e.g. another user's): alive
            return False
        return False

    return gone


def _batches(deps: Deps, now: datetime, report: SweepReport, leased: bool) -> bool:
    """One round: batches until one comes back short. False if the lease was lost (another took it over)."""
    plans = SweepPlans(deps, now)
    batch = deps.policy.sweep_batch
    while True:
        with deps.db.transaction() as uow:
            if leased and not _take_lease(deps, uow):  # renewed every batch: a long sweep keeps its lease
                report.lease_held_elsewhere = True
                return False
            rows = uow.timers.claim_due(now, batch)
            if rows:
                _process(deps, uow, rows, now, report, plans)
        report.claimed += len(rows)
        report.batches += 1 if rows else 0
        if len(rows) < batch:
            return True


def _process(
    deps: Deps, uow: UnitOfWork, rows: list[Claimed], now: datetime, report: SweepReport, plans: SweepPlans
) -> None:
    outbox: list[dict[str, Any]] = []
    finished: dict[tuple[str, str], list[int]] = {}
    moved: dict[int, dict[str, Any]] = {}  # instances an automatic event changed earlier in this batch
    plans.begin_batch(rows)
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
    # Due at the real time at the latest: messages a trial sweep in the future queues go out with the next delivery.
    uow.outbox.insert_swept(outbox, now, min(now, deps.clock.now()))
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
