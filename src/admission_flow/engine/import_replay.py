"""One recorded paper step of an import row, decided without the per-event work a replay does not need.

``engine.effects.decide`` serves live events: it builds the guards' view of the candidate and organisation from
the loaded instance, parses every recorded date again, moves a subject through the shared ``transitions``
machine and prepares the new stay's timers. A row of a bulk import replays up to seven steps of one person in
one organisation, so :func:`replay_step` takes what a row shares once (:class:`RowFacts`), keeps the recorded
dates parsed as the steps add them, and takes the planned route's destination as the new state. The decision
itself is the workflow's own: the route and every guard through ``CompiledWorkflow.plan``, the recorded and
corrected dates and extensions through ``engine.rules``, the audit row through ``engine.effects.event_row``.

Why the destination needs no machine: ``CompiledWorkflow`` adds one machine transition per route (same trigger,
source and destination) whose only condition accepts that route, so the machine's move of a planned route
always lands on ``route.dest`` (``CompiledWorkflow.apply``); tests/unit/test_import_replay.py replays the same
histories through ``decide`` and through this module and compares every row. A route that transfers the
candidate needs the destination organisation loaded: :func:`replay_step` returns None and the caller decides
that step with ``decide``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from admission_flow.domain.inputs import EventInput
from admission_flow.domain.stored import Instance
from admission_flow.domain.values import CandidateFacts, OrgFacts
from admission_flow.engine.context import PapersOnFile, as_date, candidate_facts, org_facts
from admission_flow.engine.effects import Loaded, decide, event_row
from admission_flow.engine.machine import CompiledWorkflow
from admission_flow.engine.papers import document_row, merge_documents
from admission_flow.engine.rules import corrections, extensions_after, record_dates
from admission_flow.engine.timing import TimeRules
from admission_flow.errors import ConfigurationError, TransitionRefused
from admission_flow.guards.base import GuardContext


@dataclass(frozen=True, slots=True)
class RowFacts:
    """What every step of one row reads the same: the candidate and organisation as guards see them, and the
    organisation's ancestry (for guards that declare they read it)."""

    candidate: CandidateFacts
    org: OrgFacts
    ancestry: tuple[OrgFacts, ...]

    @classmethod
    def of(cls, inst: Instance, ancestry: tuple[OrgFacts, ...]) -> RowFacts:
        return cls(candidate_facts(inst), org_facts(inst), ancestry)


@dataclass(frozen=True, slots=True)
class Replayed:
    """A step decided: the instance's new values, the recorded dates parsed, the audit row and its papers."""

    instance: Instance
    known: dict[str, date]
    event: dict[str, Any]
    papers: tuple[dict[str, Any], ...]


def _undeclared() -> tuple[OrgFacts, ...]:
    raise ConfigurationError(
        "a guard read the organisation ancestry without declaring it: register it with needs_ancestry=True"
    )


def replay_step(
    inst: Instance,
    facts: RowFacts,
    known: dict[str, date],
    wf: CompiledWorkflow,
    trigger: str,
    event: EventInput,
    on: date,
    now: datetime,
    rules: TimeRules,
) -> Replayed | None:
    """``trigger`` on ``inst`` (whose recorded dates, parsed, are ``known``) on the paper date ``on``, or
    ``TransitionRefused`` with every reason; None for a route that transfers the candidate (see the module).
    The papers' kinds are not checked again (``decide`` does, first): a mapping naming a kind that some release
    of its workflow lacks is refused before any row is read (``check_mapping_against``)."""
    chain = facts.ancestry
    ctx = GuardContext(
        trigger=trigger,
        occurred_on=on,
        candidate=facts.candidate,
        org=facts.org,
        role=event.role,
        dates=dict(known),
        flags=frozenset(inst.flags),
        documents=PapersOnFile(inst.documents, event.documents),
        votes=event.votes,
        data=event.data,
        document_validity=wf.document_validity,
        calendar=rules.calendar,
        acting_org=event.acting_org,
        org_ancestry=(lambda: chain) if wf.needs_ancestry(inst.state, trigger) else _undeclared,
    )
    plan = wf.plan(inst.state, trigger, ctx)
    if not plan.allowed:
        raise TransitionRefused(trigger, inst.state, plan.reasons)
    route = plan.route
    assert route is not None
    if route.spec.transfers:
        return None
    moved = route.dest is not None
    state = route.dest if route.dest is not None else inst.state
    dates = record_dates(plan, inst, on, rules.calendar)
    dates.update(corrections(wf, plan, inst, event, rules.calendar))
    recorded = inst.dates
    parsed = {k: known[k] if recorded.get(k) == v else as_date(v) for k, v in dates.items()}
    attached = event.documents
    after = Instance(
        inst.id,
        inst.candidate_id,
        inst.attempt,
        inst.workflow_id,
        inst.workflow_version,
        inst.workflow_hash,
        state,
        inst.version + 1,
        dates,
        sorted((set(inst.flags) | set(route.spec.sets)) - set(route.spec.clears)),
        merge_documents(inst.documents, attached),
        inst.version + 1 if moved else inst.state_epoch,
        on if moved else (inst.state_entered_on or on),
        extensions_after(wf, plan, inst, event),
        inst.candidate,
        inst.org,
        inst.parent_kind,
    )
    audit = event_row(
        wf,
        instance_id=inst.id,
        seq=inst.version + 1,
        trigger=trigger,
        from_state=inst.state,
        to_state=state,
        event=event,
        org_id=event.acting_org or inst.org.id,
        occurred_on=on,
        now=now,
        attached=attached,
    )
    papers = tuple(document_row(d, wf, inst.id, now) for d in attached)
    return Replayed(after, parsed, audit, papers)


def decided_step(
    inst: Instance,
    facts: RowFacts,
    known: dict[str, date],
    wf: CompiledWorkflow,
    trigger: str,
    event: EventInput,
    on: date,
    now: datetime,
    rules: TimeRules,
) -> Replayed:
    """The same step decided as a live event (``engine.effects.decide``, the state machine's move included)."""
    ancestry = facts.ancestry if wf.needs_ancestry(inst.state, trigger) else None
    outcome = decide(Loaded(inst, ancestry), wf, trigger, event, on, now, rules, timers=False)
    u = outcome.update
    after = Instance(
        inst.id,
        inst.candidate_id,
        inst.attempt,
        inst.workflow_id,
        inst.workflow_version,
        inst.workflow_hash,
        u.state,
        inst.version + 1,
        u.dates,
        u.flags,
        u.documents,
        u.state_epoch,
        u.state_entered_on,
        u.extensions,
        inst.candidate,
        inst.org,
        inst.parent_kind,
    )
    return Replayed(after, {k: as_date(v) for k, v in u.dates.items()}, outcome.event, outcome.documents)


__all__ = ["Replayed", "RowFacts", "decided_step", "replay_step"]
