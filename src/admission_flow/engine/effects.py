"""What an event does, decided as one value: ``decide(loaded, ...) -> Outcome``.

An event is *load → decide → write*. The use case loads what the event needs (the instance with its candidate
and organisation; the organisation ancestry when a guard declares it reads it; the destination of a transfer),
:func:`decide` computes the whole outcome without touching a database, and the unit of work writes it in the
event's transaction. An event that keeps its state and changes what its deadlines count from asks for the
current stay's timer rows (``Outcome.replan``); only then are they read, and the plan completed from them. A
refusal is raised as ``TransitionRefused`` with every reason, before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from admission_flow.domain.inputs import EventInput
from admission_flow.domain.outcome import NO_TIMERS, InstanceUpdate, Outcome, TimerPlan
from admission_flow.domain.records import OrgRecord
from admission_flow.domain.stored import Instance, TimerRow
from admission_flow.domain.values import DocumentRecord, OrgFacts
from admission_flow.engine.context import as_date, guard_context
from admission_flow.engine.machine import CompiledWorkflow, Plan
from admission_flow.engine.papers import document_json, document_row, merge_documents
from admission_flow.engine.rules import corrections, extensions_after, record_dates, refusal
from admission_flow.engine.timing import Stay, TimeRules, may_hold_pending, plan_timers
from admission_flow.errors import InvalidInput, TransitionRefused

CELL_KINDS = ("cell", "grassroots_cell")


@dataclass(frozen=True, slots=True)
class Loaded:
    """What one event reads before it is decided."""

    instance: Instance
    ancestry: tuple[OrgFacts, ...] | None = None  # only when a guard of the event declares it reads it
    destination: OrgRecord | None = None  # the organisation a transfer names (data ``to_org``), if it exists
    timers: tuple[TimerRow, ...] | None = None  # the current stay's rows, if already read


def transfers(wf: CompiledWorkflow, state: str, trigger: str) -> bool:
    return (state, trigger) in wf.transferring


def check_document_kinds(wf: CompiledWorkflow, docs: Sequence[DocumentRecord]) -> list[DocumentRecord]:
    if not docs:
        return []
    unknown = sorted({d.kind for d in docs} - wf.document_kinds)
    if unknown:
        raise InvalidInput(
            f"unknown document kind(s) {', '.join(unknown)} for {wf.key}; known: {', '.join(wf.spec.documents)}"
        )
    return list(docs)


def plan_event(
    loaded: Loaded, wf: CompiledWorkflow, trigger: str, event: EventInput, occurred_on: date, rules: TimeRules
) -> Plan:
    """Choose the route and evaluate every guard (``options`` shows this plan; ``decide`` acts on it)."""
    inst = loaded.instance
    attached = check_document_kinds(wf, event.documents)
    ctx = guard_context(inst, wf, trigger, occurred_on, event, attached, rules.calendar, loaded.ancestry)
    return wf.plan(inst.state, trigger, ctx)


def decide(
    loaded: Loaded,
    wf: CompiledWorkflow,
    trigger: str,
    event: EventInput,
    occurred_on: date,
    now: datetime,
    rules: TimeRules,
    *,
    timers: bool = True,
) -> Outcome:
    """The whole outcome of ``trigger`` on the loaded instance, or ``TransitionRefused`` with every reason.
    ``timers=False``: no timer plan (bulk import replays paper history and projects only the final stay)."""
    inst = loaded.instance
    plan = plan_event(loaded, wf, trigger, event, occurred_on, rules)
    if not plan.allowed:
        raise TransitionRefused(trigger, inst.state, plan.reasons)
    route = plan.route
    assert route is not None
    new_state = wf.apply(plan)
    destination = _destination(plan, inst, loaded.destination, event) if route.spec.transfers else None
    # The audit row of a transfer also names the organisation it left.
    recorded = event if destination is None else replace(event, data={**event.data, "from_org": inst.org.id})
    update, audit, papers = settle(wf, plan, inst, event, occurred_on, now, rules, new_state, recorded=recorded)
    moved = route.dest is not None
    stay = Stay(
        inst.id,
        new_state,
        update.state_epoch,
        update.state_entered_on or occurred_on,  # always set by settle
        anchor_dates(update.dates, inst),
        update.extensions,
        update.flags,
    )
    plan_of_timers, replan = (
        _timers(wf, loaded, stay, trigger, moved, update.dates, update.extensions, update.flags, now, rules)
        if timers
        else (NO_TIMERS, None)
    )
    return Outcome(
        inst.candidate_id, update, audit, papers, destination, plan_of_timers, inst.state, new_state, moved, replan
    )


def settle(
    wf: CompiledWorkflow,
    plan: Plan,
    inst: Instance,
    event: EventInput,
    occurred_on: date,
    now: datetime,
    rules: TimeRules,
    new_state: str,
    *,
    recorded: EventInput | None = None,
) -> tuple[InstanceUpdate, dict[str, Any], tuple[dict[str, Any], ...]]:
    """What an allowed plan writes, the machine's move aside: the instance's new columns (recorded and corrected
    dates, flags, papers, stay, extensions), the audit row (of ``recorded``, when it differs from ``event``) and
    the papers' rows. ``decide`` and the bulk import's replay (``engine/import_replay.py``) both end here."""
    route = plan.route
    assert route is not None
    dates = record_dates(plan, inst, occurred_on, rules.calendar)
    dates.update(corrections(wf, plan, inst, event, rules.calendar))
    moved = route.dest is not None
    attached = list(event.documents)
    update = InstanceUpdate(
        inst.id,
        inst.version,
        new_state,
        dates,
        sorted((set(inst.flags) | set(route.spec.sets)) - set(route.spec.clears)),
        merge_documents(inst.documents, attached),
        now,
        inst.version + 1 if moved else inst.state_epoch,
        occurred_on if moved else (inst.state_entered_on or occurred_on),
        extensions_after(wf, plan, inst, event),
    )
    audit = event_row(
        wf,
        instance_id=inst.id,
        seq=inst.version + 1,
        trigger=plan.trigger,
        from_state=inst.state,
        to_state=new_state,
        event=recorded or event,
        org_id=event.acting_org or inst.org.id,
        occurred_on=occurred_on,
        now=now,
        attached=attached,
    )
    return update, audit, tuple(document_row(d, wf, inst.id, now) for d in attached)


def _timers(
    wf: CompiledWorkflow,
    loaded: Loaded,
    stay: Stay,
    trigger: str,
    moved: bool,
    dates: dict[str, str],
    extensions: dict[str, int],
    flags: list[str],
    now: datetime,
    rules: TimeRules,
) -> tuple[TimerPlan, Callable[[Sequence[TimerRow]], TimerPlan] | None]:
    """The timer plan, or (for an event that keeps the state and changes what its deadlines read, when the stay's
    rows were not loaded) an empty plan and the function that plans from those rows."""
    inst = loaded.instance
    deadlines = wf.spec.deadlines_of(stay.state)
    unchanged = (
        dates == inst.dates
        and extensions == inst.extensions
        and set(flags) == set(inst.flags)
        and not any(trigger in d.done_by for d in deadlines)
    )
    if not moved and (not deadlines or unchanged):
        return NO_TIMERS, None
    known = {*inst.dates, *(("birth_date",) if inst.candidate.birth_date is not None else ())}
    left_pending = moved and may_hold_pending(wf, inst.state, known, inst.flags)
    if moved and not deadlines and not left_pending:  # nothing to cancel, nothing to project
        return NO_TIMERS, None

    def plan(existing: Sequence[TimerRow]) -> TimerPlan:
        return plan_timers(
            wf,
            stay,
            moved=moved,
            left_pending=left_pending,
            existing=existing,
            now=now,
            rules=rules,
            trigger=trigger,
            cleared=set(inst.flags) - set(flags),
            raised=set(flags) - set(inst.flags),
        )

    if moved:
        return plan(()), None
    if loaded.timers is None:
        return NO_TIMERS, plan
    return plan(loaded.timers), None


def _destination(plan: Plan, inst: Instance, org: OrgRecord | None, event: EventInput) -> str:
    """The cell named by the event's ``to_org``; refused (nothing written) unless it is another existing cell."""
    target = event.data.get("to_org")
    if org is None or org.kind not in CELL_KINDS or org.id == inst.org.id:
        raise refusal(
            plan,
            inst,
            "transfer_destination_invalid",
            en=f"to_org must name another existing cell (got {target!r})",
            vi=f"to_org phải là một chi bộ khác đã có trong hệ thống (nhận được {target!r})",
            to_org=target,
            kind=None if org is None else org.kind,
        )
    return org.id


def anchor_dates(recorded: dict[str, str], inst: Instance) -> dict[str, date]:
    """The dates deadlines may count from: those recorded on the instance, and the candidate's birth date."""
    dates = {k: as_date(v) for k, v in recorded.items()}
    if inst.candidate.birth_date is not None:
        dates["birth_date"] = inst.candidate.birth_date
    return dates


def event_row(
    wf: CompiledWorkflow,
    *,
    instance_id: int,
    seq: int,
    trigger: str,
    from_state: str | None,
    to_state: str,
    event: EventInput,
    org_id: str,
    occurred_on: date,
    now: datetime,
    attached: Sequence[DocumentRecord] = (),
) -> dict[str, Any]:
    """The audit row of one event: the only place an ``events`` row is built (fires, enrolment, migration)."""
    return {
        "instance_id": instance_id,
        "seq": seq,
        "trigger": trigger,
        "from_state": from_state,
        "to_state": to_state,
        "actor": event.actor,
        "role": event.role,
        "org_id": org_id,
        "occurred_on": occurred_on,
        "recorded_at": now,
        "payload": event.data,
        "documents": [document_json(d, wf) for d in attached],
        "votes": None if event.votes is None else vars(event.votes).copy(),
        "workflow_id": wf.spec.id,
        "workflow_version": wf.spec.version,
        "workflow_hash": wf.content_hash,
        "idempotency_key": event.idempotency_key,
        "token_id": event.token_id,
    }


__all__ = ["Loaded", "Outcome", "decide", "event_row", "plan_event"]
