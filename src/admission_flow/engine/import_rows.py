"""Checking one row of a paper-era spreadsheet, without a database: the person's fields (through ``NewCandidate``
and ``domain/identity.py``), then the paper history replayed through the workflow's own ``decide``.

How a row is judged:

- its workflow is the release in force on its first paper date (``Catalog.in_force``); a date before every
  release loaded is judged by the earliest release (the oldest rules the catalog knows), and the audit rows say so;
- the row starts like an enrolment (``engine.enrolment.start``) on its first paper date, then each step whose date
  cell is filled is decided by ``engine.effects.decide`` on that date, with the papers and votes the mapping gives
  it: the step's guards (dates in order, the 30 working days to the ceremony, the 12 months of probation, age,
  education, introducers, votes...) run exactly as on the live path;
- steps the file does not record (the sheet has no column for them, or the cell is empty) are **done on paper and
  not re-checked**: when the next recorded step starts from another state, the instance is placed in that state
  with the dates recorded so far (no audit row is invented for the missing steps);
- paper dates must not go backwards in the mapping's order (``date_order``);
- the final state's deadlines are projected from the paper dates (``engine.timing.plan_timers``, as a stay
  entered then): reminders already past are written as skipped, the deadline itself stays pending.

The result is an ``Accepted`` (the rows to insert) or a list of ``Rejection`` (row, column, code, reasons).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError

from admission_flow.domain.identity import card_number_problems, personal_id_problems
from admission_flow.domain.import_mapping import BOOLEAN_FIELDS, NO, YES, HistoryStep, ImportMapping, Rejection
from admission_flow.domain.inputs import EventInput, NewCandidate
from admission_flow.domain.stored import Instance, OrgNode, Person
from admission_flow.domain.values import DocumentRecord, OrgFacts
from admission_flow.engine.effects import Loaded, anchor_dates, decide
from admission_flow.engine.enrolment import start
from admission_flow.engine.machine import CompiledWorkflow
from admission_flow.engine.timing import Stay, TimeRules, plan_timers
from admission_flow.errors import InvalidInput, TransitionRefused

Cell = str | int | float | date | datetime | None
_PERSON_FIELDS = frozenset(NewCandidate.model_fields)
_IDENTIFIERS = ("personal_id", "party_card_no", "old_card_no")


@dataclass(frozen=True, slots=True)
class OrgPlace:
    """An organisation as the checker needs it: the node, its parent's kind, its ancestry (nearest first)."""

    node: OrgNode
    parent_kind: str | None
    ancestry: tuple[OrgFacts, ...]


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


@dataclass(frozen=True, slots=True)
class RowContext:
    """What every row of one file shares."""

    mapping: ImportMapping
    index: Mapping[str, int]  # header → position in the row
    workflow_on: Callable[[date], tuple[CompiledWorkflow, bool]]  # (the workflow, whether it was in force then)
    orgs: Mapping[str, OrgPlace]
    rules: TimeRules
    now: datetime
    today: date
    file_name: str


def check_row(ctx: RowContext, number: int, cells: Sequence[Cell]) -> Accepted | list[Rejection]:
    """One row checked: its person, then its history. Every problem of the person is reported; the history stops
    at its first refused step (later steps depend on it)."""
    rejected: list[Rejection] = []
    values = _person_values(ctx, number, cells, rejected)
    steps = _step_dates(ctx, number, cells, rejected)
    if rejected:
        return rejected
    person = _validated_person(ctx, number, values, rejected)
    org = ctx.orgs.get(str(values.get("org_id")))
    if org is None and "org_id" in values:
        column = ctx.mapping.columns.get("org_id", "org_id")
        rejected.append(_r(number, column, "unknown_org", f"no organisation {values['org_id']!r}",
                           f"không có tổ chức đảng {values['org_id']!r}"))
    if rejected or person is None or org is None:
        return rejected
    return _replay(ctx, number, person, values, org, steps)


def _r(row: int, column: str, code: str, en: str, vi: str) -> Rejection:
    return Rejection(row, column, code, en, vi)


def _cell(ctx: RowContext, cells: Sequence[Cell], header: str) -> Cell:
    i = ctx.index[header]
    value = cells[i] if i < len(cells) else None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def parse_date(value: Cell, formats: Sequence[str]) -> date | None:
    """A cell as a date: a spreadsheet date as is, text by the first format that reads it; None if none does."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _person_values(ctx: RowContext, number: int, cells: Sequence[Cell], out: list[Rejection]) -> dict[str, Any]:
    m = ctx.mapping
    values: dict[str, Any] = {}
    for name in (*m.defaults, *m.columns):
        raw = _cell(ctx, cells, m.columns[name]) if name in m.columns else None
        if raw is None:
            if name in m.defaults:
                values[name] = m.defaults[name]
            continue
        column = m.columns[name]
        table = m.values.get(name)
        if table is not None and str(raw).strip().casefold() in table:
            values[name] = table[str(raw).strip().casefold()]
        elif name == "birth_date":
            found = parse_date(raw, m.date_formats)
            if found is None:
                out.append(_bad_date(number, column, raw, m.date_formats))
            values[name] = found
        elif name in BOOLEAN_FIELDS:
            word = str(raw).strip().casefold()
            if word not in YES | NO:
                out.append(_r(number, column, "bad_value", f"{raw!r} is not yes or no", f"{raw!r} không phải có/không"))
            values[name] = word in YES
        elif isinstance(raw, float) and raw.is_integer():
            values[name] = str(int(raw))  # a number typed into a spreadsheet (an identifier, a code)
        else:
            values[name] = str(raw) if not isinstance(raw, str) else raw
    return values


def _bad_date(number: int, column: str, raw: Cell, formats: Sequence[str]) -> Rejection:
    shown = ", ".join(formats)
    return _r(number, column, "bad_date", f"{raw!r} is not a date ({shown})", f"{raw!r} không phải ngày ({shown})")


def _step_dates(
    ctx: RowContext, number: int, cells: Sequence[Cell], out: list[Rejection]
) -> list[tuple[HistoryStep, date]]:
    found = []
    for step in ctx.mapping.history:
        raw = _cell(ctx, cells, step.column)
        if raw is None:
            continue
        on = parse_date(raw, ctx.mapping.date_formats)
        if on is None:
            out.append(_bad_date(number, step.column, raw, ctx.mapping.date_formats))
        else:
            found.append((step, on))
    return found


def _validated_person(
    ctx: RowContext, number: int, values: dict[str, Any], out: list[Rejection]
) -> NewCandidate | None:
    columns = ctx.mapping.columns
    person = None
    try:
        person = NewCandidate.model_validate({k: v for k, v in values.items() if k in _PERSON_FIELDS})
    except ValidationError as exc:
        for e in exc.errors():
            name = str(e["loc"][0]) if e["loc"] else "id"
            out.append(_r(number, columns.get(name, name), "bad_value", f"{name}: {e['msg']}",
                          f"{name}: giá trị không hợp lệ ({e['msg']})"))
    for name in _IDENTIFIERS:
        value = values.get(name)
        if value is None:
            continue
        if name == "personal_id":
            problems = personal_id_problems(str(value), birth_date=values.get("birth_date"), sex=values.get("sex"))
        else:
            problems = card_number_problems(str(value))
        out.extend(_r(number, columns.get(name, name), p.code, p.en, p.vi) for p in problems)
    return person


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
    row.update({k: values.get(k) for k in _IDENTIFIERS})
    row["manager"] = bool(values.get("manager", False))
    begun = start(wf, candidate_id=person.id, org_id=person.org_id, birth_date=person.birth_date, attempt=1,
                  started_on=first, now=ctx.now, rules=ctx.rules, candidate=row, actor=ctx.mapping.actor)
    events = [{**begun.event, "payload": {"imported": marker}}]
    papers: list[tuple[dict[str, Any], ...]] = [()]
    facts = Person(**{f: getattr(person, f) for f in Person.__dataclass_fields__})
    inst = Instance(0, person.id, 1, wf.spec.id, wf.spec.version, wf.content_hash, wf.spec.initial, 1, {}, [], {}, 1,
                    first, {}, facts, org.node, org.parent_kind)
    previous: date | None = None
    for step, on in steps:
        if previous is not None and on < previous:
            return [_r(number, step.column, "date_order", f"{on} is before the previous paper date {previous}",
                       f"ngày {on} sớm hơn ngày của bước trước ({previous})")]
        sources = sources_of(wf, step.trigger)
        if not sources:
            return [_r(number, step.column, "step_unknown", f"{wf.key} has no step {step.trigger!r}",
                       f"quy trình {wf.key} không có bước {step.trigger!r}")]
        if inst.state not in sources:  # the steps in between were done on paper and are not re-checked
            inst = replace(inst, state=sources[0], state_epoch=inst.state_epoch + 1,
                           state_entered_on=previous or on)
        event = EventInput(
            occurred_on=on,
            actor=ctx.mapping.actor,
            role=step.role,
            data={**step.data, "imported": marker},
            documents=tuple(DocumentRecord(p.kind, on, p.reference, p.attributes) for p in step.papers),
            votes=step.votes,
        )
        ancestry = org.ancestry if wf.needs_ancestry(inst.state, step.trigger) else None
        try:
            outcome = decide(Loaded(inst, ancestry), wf, step.trigger, event, on, ctx.now, ctx.rules)
        except TransitionRefused as exc:
            return [_r(number, step.column, r.code, r.message_en, r.message_vi) for r in exc.reasons]
        except InvalidInput as exc:
            return [_r(number, step.column, "step_invalid", str(exc), f"bước {step.trigger} không hợp lệ: {exc}")]
        u = outcome.update
        inst = replace(inst, state=u.state, version=inst.version + 1, dates=u.dates, flags=u.flags,
                       documents=u.documents, state_epoch=u.state_epoch, state_entered_on=u.state_entered_on,
                       extensions=u.extensions)
        events.append(outcome.event)
        papers.append(outcome.documents)
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
    identifiers = {k: str(row[k]) for k in _IDENTIFIERS if row.get(k) is not None}
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


@lru_cache(maxsize=512)
def sources_of(wf: CompiledWorkflow, trigger: str) -> tuple[str, ...]:
    """The states ``trigger`` may start from, in the workflow's order."""
    return tuple(dict.fromkeys(state for state, t in wf.routes if t == trigger))


__all__ = ["Accepted", "OrgPlace", "Rejection", "RowContext", "check_mapping_against", "check_row", "parse_date"]
