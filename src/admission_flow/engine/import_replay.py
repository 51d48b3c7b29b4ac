"""One recorded paper step of an import row, decided without the per-event work a replay does not need.

``engine.effects.decide`` serves live events: it builds the guards' view of the candidate and organisation from
the loaded instance, parses every recorded date again, moves a subject through the shared ``transitions``
machine and prepares the new stay's timers. A row of a bulk import replays up to seven steps of one person in
one organisation, so :func:`replay_step` takes what a row shares once (:class:`RowFacts`), keeps the recorded
dates parsed as the steps add them, and takes the planned route's destination as the new state. The decision
itself is the workflow's own: the route and every guard through ``CompiledWorkflow.plan`` (with the guards'
view built by ``engine.context.guard_context``), and everything the step writes through ``engine.effects.settle``,
which ``decide`` ends with too.

Why the destination needs no machine: ``CompiledWorkflow`` adds one machine transition per route (same trigger,
source and destination) whose only condition accepts that route, so the machine's move of a planned route
always lands on ``route.dest`` (``CompiledWorkflow.apply``); tests/unit/test_import_fast_paths.py replays the same
histories through ``decide`` and through this module and compares every row. A route that transfers the
candidate needs the destination organisation loaded: :func:`replay_step` returns None and the caller decides
that step with ``decide``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from admission_flow.domain.inputs import EventInput
from admission_flow.domain.outcome import InstanceUpdate
from admission_flow.domain.stored import Instance
from admission_flow.domain.values import CandidateFacts, OrgFacts
from admission_flow.engine.context import as_date, candidate_facts, guard_context, org_facts
from admission_flow.engine.effects import Loaded, decide, settle
from admission_flow.engine.machine import CompiledWorkflow
from admission_flow.engine.timing import TimeRules
from admission_flow.errors import TransitionRefused


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


def moved(
    inst: Instance,
    state: str,
    version: int,
    dates: dict[str, str],
    flags: list[str],
    documents: dict[str, Any],
    epoch: int,
    entered_on: date | None,
    extensions: dict[str, int],
) -> Instance:
    """The instance after a step (built directly: ``dataclasses.replace`` costs several times more)."""
    return Instance(
        inst.id,
        inst.candidate_id,
        inst.attempt,
        inst.workflow_id,
        inst.workflow_version,
        inst.workflow_hash,
        state,
        version,
        dates,
        flags,
        documents,
        epoch,
        entered_on,
        extensions,
        inst.candidate,
        inst.org,
        inst.parent_kind,
    )


def _after(inst: Instance, u: InstanceUpdate) -> Instance:
    """The instance as a decided step leaves it (the next step of the row starts from it)."""
    return moved(
        inst, u.state, inst.version + 1, u.dates, u.flags, u.documents, u.state_epoch, u.state_entered_on, u.extensions
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
    ancestry = facts.ancestry if wf.needs_ancestry(inst.state, trigger) else None
    ctx = guard_context(
        inst,
        wf,
        trigger,
        on,
        event,
        event.documents,
        rules.calendar,
        ancestry,
        candidate=facts.candidate,
        org=facts.org,
        dates=known,
    )
    plan = wf.plan(inst.state, trigger, ctx)
    if not plan.allowed:
        raise TransitionRefused(trigger, inst.state, plan.reasons)
    assert plan.route is not None
    if plan.route.spec.transfers:
        return None
    update, audit, papers = settle(wf, plan, inst, event, on, now, rules, plan.dest)
    recorded = inst.dates
    parsed = {k: known[k] if recorded.get(k) == v else as_date(v) for k, v in update.dates.items()}
    return Replayed(_after(inst, update), parsed, audit, papers)


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
    return Replayed(_after(inst, u), {k: as_date(v) for k, v in u.dates.items()}, outcome.event, outcome.documents)


__all__ = ["Replayed", "RowFacts", "decided_step", "replay_step"]
