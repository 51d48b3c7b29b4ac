"""Events: fire one (load → decide → write, in one transaction), list what can happen next, read history.

:func:`apply` is the single path of an event inside a caller's unit of work: ``fire`` uses it for a request,
the sweep for an automatic event. A request with an idempotency key that was already applied answers with the
first result (``replayed=True``), even when a concurrent request with the same key won the race.
"""

from __future__ import annotations

from datetime import date

from admission_flow.domain.inputs import EventInput, check_votes
from admission_flow.domain.records import EventRecord, FireResult, Option, reasons_as_dicts
from admission_flow.domain.stored import Instance
from admission_flow.domain.values import OrgFacts
from admission_flow.engine.context import ancestry_facts
from admission_flow.engine.effects import Loaded, decide, plan_event, transfers
from admission_flow.engine.machine import CompiledWorkflow
from admission_flow.errors import ConcurrentUpdate, DuplicateKey, IdempotencyConflict, TransitionRefused
from admission_flow.ports import UnitOfWork
from admission_flow.services.candidates import load
from admission_flow.services.deps import Deps
from admission_flow.services.scope import require_org
from admission_flow.services.webhooks import enqueue_event


def fire(deps: Deps, candidate_id: str, trigger: str, event: EventInput, within: str | None = None) -> FireResult:
    """Apply ``trigger``; with ``within``, only to a candidate in that subtree, acting for an organisation in it."""
    check_votes(event.votes)
    occurred_on = event.occurred_on or deps.today()
    try:
        return _fire_once(deps, candidate_id, trigger, event, occurred_on, within)
    except (ConcurrentUpdate, DuplicateKey, TransitionRefused):
        # A concurrent request with the same idempotency key won the race (even one that committed between
        # our key lookup and our read, which then sees the state it moved to): answer with its result.
        if event.idempotency_key is not None:
            with deps.db.transaction(readonly=True) as uow:
                replay = _replay(uow, candidate_id, trigger, event.idempotency_key, within)
            if replay is not None:
                return replay
        raise


def _fire_once(
    deps: Deps, candidate_id: str, trigger: str, event: EventInput, occurred_on: date, within: str | None
) -> FireResult:
    with deps.db.transaction() as uow:
        if event.idempotency_key is not None:
            replay = _replay(uow, candidate_id, trigger, event.idempotency_key, within)
            if replay is not None:
                return replay
        inst = load(uow, candidate_id, within)
        _check_acting_org(uow, event, within)
        if event.expected_version is not None and event.expected_version != inst.version:
            raise ConcurrentUpdate(inst.id, event.expected_version)
        return apply(deps, uow, inst, trigger, event, occurred_on)


def _check_acting_org(uow: UnitOfWork, event: EventInput, within: str | None) -> None:
    """The acting organisation exists; a caller bound to a subtree acts only for an organisation in it."""
    acting = event.acting_org
    if acting is None or acting == within:
        return
    require_org(uow, acting, within)


def load_for(uow: UnitOfWork, wf: CompiledWorkflow, inst: Instance, trigger: str, event: EventInput) -> Loaded:
    """What deciding ``trigger`` reads besides the instance, and nothing more."""
    ancestry = _ancestry(uow, inst) if wf.needs_ancestry(inst.state, trigger) else None
    target = event.data.get("to_org") if transfers(wf, inst.state, trigger) else None
    destination = uow.orgs.get(str(target)) if target else None
    return Loaded(inst, ancestry, destination)


def _ancestry(uow: UnitOfWork, inst: Instance) -> tuple[OrgFacts, ...]:
    return ancestry_facts(uow.orgs.ancestry(inst.org.id))


def apply(
    deps: Deps, uow: UnitOfWork, inst: Instance, trigger: str, event: EventInput, occurred_on: date
) -> FireResult:
    """Load, decide and write one event inside the caller's unit of work."""
    wf = deps.pinned(inst)
    loaded = load_for(uow, wf, inst, trigger, event)
    outcome = decide(loaded, wf, trigger, event, occurred_on, deps.clock.now(), deps.rules())
    if outcome.replan is not None:  # the event keeps the state and moves what its deadlines count from
        outcome = outcome.with_stay_rows(uow.timers.of_stay(inst.id, inst.state_epoch))
    event_id = uow.write(outcome)
    result = FireResult(
        inst.candidate_id, inst.id, event_id, trigger, inst.state, outcome.to_state, inst.version + 1, occurred_on
    )
    payload = {  # the webhook body's data (built by hand: as_dict() would cost every fire ~10 µs)
        "candidate_id": inst.candidate_id,
        "instance_id": inst.id,
        "event_id": event_id,
        "trigger": trigger,
        "from_state": inst.state,
        "to_state": outcome.to_state,
        "version": result.version,
        "occurred_on": occurred_on.isoformat(),
        "org_id": inst.org.id,
        "actor": event.actor,
        "role": event.role,
        "token_id": event.token_id,
    }
    now = outcome.update.updated_at
    enqueue_event(uow, instance_id=inst.id, org_id=inst.org.id, trigger=trigger, payload=payload, now=now)
    return result


def _replay(uow: UnitOfWork, candidate_id: str, trigger: str, key: str, within: str | None) -> FireResult | None:
    found = uow.events.by_key(key)
    if found is None:
        return None
    inst = uow.instances.load(candidate_id, within)
    if inst is None or found.instance_id != inst.id or found.trigger != trigger:
        raise IdempotencyConflict(key)
    return FireResult(
        candidate_id,
        found.instance_id,
        found.id,
        found.trigger,
        found.from_state,  # type: ignore[arg-type]
        found.to_state,
        found.seq,
        found.occurred_on,
        replayed=True,
    )


def options(deps: Deps, candidate_id: str, event: EventInput | None = None, within: str | None = None) -> list[Option]:
    """Every trigger from the current state, allowed or not, with all reasons."""
    event = event or EventInput()
    check_votes(event.votes)
    occurred_on = event.occurred_on or deps.today()
    with deps.db.transaction(readonly=True) as uow:
        inst = load(uow, candidate_id, within)
        _check_acting_org(uow, event, within)
        wf = deps.pinned(inst)
        triggers = wf.triggers_from(inst.state)
        needed = any(wf.needs_ancestry(inst.state, t) for t in triggers)
        ancestry = _ancestry(uow, inst) if needed else None
    found = []
    for trigger in triggers:
        plan = plan_event(Loaded(inst, ancestry), wf, trigger, event, occurred_on, deps.rules())
        label = next((r.spec.label for r in wf.routes[(inst.state, trigger)] if r.spec.label), None)
        found.append(
            Option(
                trigger=trigger,
                label=None if label is None else label.model_dump(),
                dest=plan.dest,
                allowed=plan.allowed,
                reasons=reasons_as_dicts(plan.reasons),
            )
        )
    return found


def history(deps: Deps, candidate_id: str, within: str | None = None) -> list[EventRecord]:
    with deps.db.transaction(readonly=True) as uow:
        return uow.events.of_instance(load(uow, candidate_id, within).id)
