"""Checking one row of a paper-era spreadsheet, without a database: the person's fields (through ``NewCandidate``
and ``domain/identity.py``), then the paper history replayed through the workflow's own ``decide``.

How a row is judged:

- its workflow is the release in force on its first paper date (``Catalog.in_force``); a date before every
  release loaded is judged by the earliest release (the oldest rules the catalog knows), and the audit rows say so;
- the row starts like an enrolment (``engine.enrolment.start``) on its first paper date, then each step whose date
  cell is filled is decided on that date (``engine.import_replay.replay_step``: the workflow's route, guards and
  rules as ``engine.effects.decide`` runs them, without the state machine's move), with the papers and votes the
  mapping gives it: the step's guards (dates in order, the 30 working days to the ceremony, the 12 months of
  probation, age, education, introducers, votes...) run exactly as on the live path;
- steps the file does not record (the sheet has no column for them, or the cell is empty) are **done on paper and
  not re-checked**: when the next recorded step starts from another state, the instance is placed in that state
  with the dates recorded so far (no audit row is invented for the missing steps);
- paper dates must not go backwards in the mapping's order (``date_order``);
- the final state's deadlines are projected from the paper dates (``engine.timing.plan_timers``, as a stay
  entered then): reminders already past are written as skipped, the deadline itself stays pending.

The result is an ``Accepted`` (the rows to insert) or a list of ``Rejection`` (row, column, code, reasons).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from admission_flow.domain.import_mapping import HistoryStep, ImportMapping, Rejection
from admission_flow.domain.inputs import EventInput, NewCandidate
from admission_flow.domain.stored import Instance, Person
from admission_flow.domain.values import DocumentRecord
from admission_flow.engine.effects import anchor_dates
from admission_flow.engine.enrolment import start
from admission_flow.engine.import_cells import (
    IDENTIFIERS,
    Cell,
    OrgPlace,
    RowContext,
    parse_date,
    person_values,
    rejection,
    step_dates,
    validated_person,
)
from admission_flow.engine.import_replay import RowFacts, decided_step, moved, replay_step
from admission_flow.engine.machine import CompiledWorkflow
from admission_flow.engine.timing import Stay, plan_timers
from admission_flow.errors import InvalidInput, TransitionRefused
from admission_flow.guards.authority import competent_org


@dataclass(slots=True)
class Accepted:
    """A checked row: the rows to insert. Events' and timers' ``instance_id`` and documents' ``event_id`` are set
    by the writer; ``papers[i]`` are the documents of ``events[i]``."""

    row: int
    candidate: dict[str, Any]
    instance: dict[str, Any]
    events: list[dict[str, Any]]
    papers: list[tuple[dict[str, Any], ...]]
    timers: tuple[dict[str, Any], ...]
    identifiers: dict[str, str] = field(default_factory=dict)


def check_row(ctx: RowContext, number: int, cells: Sequence[Cell]) -> Accepted | list[Rejection]:
    """One row checked: its person, then its history. Every problem of the person is reported; the history stops
    at its first refused step (later steps depend on it)."""
    rejected: list[Rejection] = []
    values = person_values(ctx, number, cells, rejected)
    steps = step_dates(ctx, number, cells, rejected)
    if rejected:
        return rejected
    person = validated_person(ctx, number, values, rejected)
    org = ctx.orgs.get(str(values.get("org_id")))
    if org is None and "org_id" in values:
        column = ctx.mapping.columns.get("org_id", "org_id")
        rejected.append(
            rejection(
                number,
                column,
                "unknown_org",
                f"no organisation {values['org_id']!r}",
                f"không có tổ chức đảng {values['org_id']!r}",
            )
        )
    if rejected or person is None or org is None:
        return rejected
    return _replay(ctx, number, person, values, org, steps)


def _replay(
    ctx: RowContext,
    number: int,
    person: NewCandidate,
    values: Mapping[str, Any],
    org: OrgPlace,
    steps: list[tuple[HistoryStep, date]],
) -> Accepted | list[Rejection]:
    first = steps[0][1] if steps else ctx.today
    wf, in_force = ctx.workflow_on(first)
    marker: dict[str, Any] = {"file": ctx.file_name, "row": number}
    if not in_force:
        marker["rules"] = f"earliest loaded release ({wf.spec.version}): none was in force on {first.isoformat()}"
    row = {**person.model_dump(mode="python"), "created_at": ctx.now}
    row.update({k: values.get(k) for k in IDENTIFIERS})
    row["manager"] = bool(values.get("manager", False))
    begun = start(
        wf,
        candidate_id=person.id,
        org_id=person.org_id,
        birth_date=person.birth_date,
        attempt=1,
        started_on=first,
        now=ctx.now,
        rules=ctx.rules,
        candidate=row,
        actor=ctx.mapping.actor,
        timers=False,
    )
    events = [{**begun.event, "payload": {"imported": marker}}]
    papers: list[tuple[dict[str, Any], ...]] = [()]
    stored = Person(**{f: getattr(person, f) for f in Person.__dataclass_fields__})
    inst = Instance(
        0,
        person.id,
        1,
        wf.spec.id,
        wf.spec.version,
        wf.content_hash,
        wf.spec.initial,
        1,
        {},
        [],
        {},
        1,
        first,
        {},
        stored,
        org.node,
        org.parent_kind,
    )
    facts = RowFacts.of(inst, org.ancestry)
    known: dict[str, date] = {}  # the instance's recorded dates, parsed
    previous: date | None = None
    for step, on in steps:
        if previous is not None and on < previous:
            return [
                rejection(
                    number,
                    step.column,
                    "date_order",
                    f"{on} is before the previous paper date {previous}",
                    f"ngày {on} sớm hơn ngày của bước trước ({previous})",
                )
            ]
        sources = sources_of(wf, step.trigger)
        if not sources:
            return [
                rejection(
                    number,
                    step.column,
                    "step_unknown",
                    f"{wf.key} has no step {step.trigger!r}",
                    f"quy trình {wf.key} không có bước {step.trigger!r}",
                )
            ]
        if inst.state not in sources:  # the steps in between were done on paper and are not re-checked
            inst = moved(
                inst,
                sources[0],
                inst.version,
                inst.dates,
                inst.flags,
                inst.documents,
                inst.state_epoch + 1,
                previous or on,
                inst.extensions,
            )
        event = EventInput(
            occurred_on=on,
            actor=ctx.mapping.actor,
            role=step.role,
            data={**step.data, "imported": marker},
            documents=tuple(DocumentRecord(p.kind, on, p.reference, p.attributes) for p in step.papers),
            votes=step.votes,
            acting_org=_acting(step, org),
        )
        try:
            done = replay_step(inst, facts, known, wf, step.trigger, event, on, ctx.now, ctx.rules)
            if done is None:  # a transfer: decided as a live event (refused: the import loads no destination)
                done = decided_step(inst, facts, known, wf, step.trigger, event, on, ctx.now, ctx.rules)
        except TransitionRefused as exc:
            return [rejection(number, step.column, r.code, r.message_en, r.message_vi) for r in exc.reasons]
        except InvalidInput as exc:
            return [
                rejection(number, step.column, "step_invalid", str(exc), f"bước {step.trigger} không hợp lệ: {exc}")
            ]
        inst, known = done.instance, done.known
        events.append(done.event)
        papers.append(done.papers)
        previous = on
    return _accepted(ctx, number, wf, begun.instance, inst, row, events, papers)


def _accepted(
    ctx: RowContext,
    number: int,
    wf: CompiledWorkflow,
    started: dict[str, Any],
    inst: Instance,
    row: dict[str, Any],
    events: list[dict[str, Any]],
    papers: list[tuple[dict[str, Any], ...]],
) -> Accepted:
    entered = inst.state_entered_on or ctx.today
    stay = Stay(0, inst.state, inst.state_epoch, entered, anchor_dates(inst.dates, inst), inst.extensions, inst.flags)
    plan = plan_timers(wf, stay, moved=True, left_pending=False, existing=(), now=ctx.now, rules=ctx.rules)
    instance = {
        **started,
        "state": inst.state,
        "version": inst.version,
        "dates": inst.dates,
        "flags": inst.flags,
        "documents": inst.documents,
        "state_epoch": inst.state_epoch,
        "state_entered_on": inst.state_entered_on,
        "extensions": inst.extensions,
    }
    identifiers = {k: str(row[k]) for k in IDENTIFIERS if row.get(k) is not None}
    return Accepted(number, row, instance, events, papers, plan.inserts, identifiers)


def check_mapping_against(mapping: ImportMapping, wf: CompiledWorkflow) -> list[str]:
    """Problems of the mapping's history for one workflow version: unknown steps and paper kinds."""
    problems = []
    for step in mapping.history:
        if step.trigger not in wf.triggers:
            problems.append(f"history: step {step.trigger!r} is not a trigger of {wf.key}")
        for p in step.papers:
            if p.kind not in wf.spec.documents:
                problems.append(f"history: {step.trigger}: {wf.key} has no document kind {p.kind!r}")
    return problems


def _acting(step: HistoryStep, org: OrgPlace) -> str | None:
    """The acting organisation of a step: as the mapping names it, or the competent one for a power."""
    if step.acting_org is None or not step.acting_org.startswith("competent:"):
        return step.acting_org
    found = competent_org(org.ancestry, step.acting_org.removeprefix("competent:"))
    return None if found is None else found.id


@lru_cache(maxsize=512)
def sources_of(wf: CompiledWorkflow, trigger: str) -> tuple[str, ...]:
    """The states ``trigger`` may start from, in the workflow's order."""
    return tuple(dict.fromkeys(state for state, t in wf.routes if t == trigger))


__all__ = ["Accepted", "OrgPlace", "Rejection", "RowContext", "check_mapping_against", "check_row", "parse_date"]
