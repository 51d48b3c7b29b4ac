"""Deadline semantics: where a deadline's date comes from, when each reminder rung fires, and checks.

Conventions (docs/workflow-language.md, "Deadlines"):

* ``due_on`` = the anchor date (``entered`` = the paper date of the event that entered the state, or a
  recorded date) shifted by ``after`` and by any granted extension, on the workflow's calendar.
* ``due: end_of_day`` (a limit: "within 30 working days") falls due when ``due_on`` has passed, i.e. at
  00:00 local time the day after; ``due: start_of_day`` (a period that ends, such as probation) falls due at
  00:00 local time on ``due_on``.
* A rung ``before: D`` fires at the reminder time (08:00 local by default) on ``due_on`` shifted back by D;
  ``after: D`` on ``due_on`` shifted forward by D.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from admission_flow.errors import Problem
from admission_flow.workflow.loader import LocatedDocument, PathKey
from admission_flow.workflow.spec import BUILTIN_DATES, DeadlineSpec, Duration, WorkflowSpec

if TYPE_CHECKING:
    from admission_flow.calendar import WorkingCalendar

ENTERED = "entered"
DUE_RUNG = 0


@dataclass(frozen=True)
class Projection:
    """One timer row to be: the deadline itself (rung 0) or one reminder rung (1, 2, ...)."""

    deadline_id: str
    rung: int
    kind: Literal["due", "reminder"]
    due_on: date
    fire_at: datetime
    after_due: bool = False  # a rung after the deadline (an escalation): still worth sending when late

    def stale(self, now: datetime) -> bool:
        """A reminder before the deadline whose moment has passed: sending it now would only confuse."""
        return self.kind == "reminder" and not self.after_due and self.fire_at < now


def anchor_date(deadline: DeadlineSpec, dates: Mapping[str, date], entered_on: date) -> date | None:
    return entered_on if deadline.from_ == ENTERED else dates.get(deadline.from_)


def due_date(deadline: DeadlineSpec, anchor: date, extended_by: int, calendar: WorkingCalendar) -> date:
    from admission_flow.calendar import shift

    due = shift(anchor, deadline.after, calendar)
    if extended_by and deadline.extension is not None:
        unit = deadline.extension.max.unit
        due = shift(due, Duration.model_validate({unit: extended_by}), calendar)
    return due


def project(
    deadline: DeadlineSpec,
    anchor: date,
    *,
    extended_by: int,
    calendar: WorkingCalendar,
    zone: ZoneInfo,
    reminder_time: time,
) -> list[Projection]:
    from admission_flow.calendar import shift

    due_on = due_date(deadline, anchor, extended_by, calendar)
    due_day = due_on + timedelta(days=1) if deadline.due == "end_of_day" else due_on
    rows = [Projection(deadline.id, DUE_RUNG, "due", due_on, _at(due_day, time(0, 0), zone))]
    for index, rung in enumerate(deadline.remind, start=1):
        if rung.before is not None:
            on = shift(due_on, rung.before, calendar, backwards=True)
        else:
            assert rung.after is not None, "a rung gives before or after (checked by the model)"
            on = shift(due_on, rung.after, calendar)
        at = _at(on, reminder_time, zone)
        rows.append(Projection(deadline.id, index, "reminder", due_on, at, after_due=rung.after is not None))
    return rows


def _at(day: date, clock_time: time, zone: ZoneInfo) -> datetime:
    from datetime import UTC

    return datetime.combine(day, clock_time, tzinfo=zone).astimezone(UTC)


# -------------------------------------------------------------------- checks


def deadline_problems(
    spec: WorkflowSpec, doc: LocatedDocument, templates: frozenset[str] | None = None
) -> Iterable[Problem]:
    triggers = _triggers_by_state(spec)
    for state_name, state in spec.states.items():
        triggers_here = triggers[state_name]
        seen: set[str] = set()
        for i, deadline in enumerate(state.deadlines):
            at: PathKey = ("states", state_name, "deadlines", i)
            if deadline.id in seen:
                yield doc.problem((*at, "id"), f"deadline id {deadline.id!r} is used twice in state {state_name!r}")
            seen.add(deadline.id)
            if state.final:
                yield doc.problem(at, f"final state {state_name!r} cannot have deadlines")
            yield from _anchor_problems(spec, doc, deadline, at)
            yield from _action_problems(spec, doc, deadline, at, triggers_here, templates)
    yield from _global_problems(spec, doc, templates, triggers)


def _global_problems(
    spec: WorkflowSpec, doc: LocatedDocument, templates: frozenset[str] | None, triggers: dict[str, dict[str, bool]]
) -> Iterable[Problem]:
    """Workflow-wide deadlines: ids distinct from every state's, triggers available in every non-final state."""
    per_state = [triggers[name] for name, state in spec.states.items() if not state.final]
    everywhere = {t: all(d.get(t) for d in per_state) for t in set().union(*per_state)} if per_state else {}
    everywhere = {t: internal for t, internal in everywhere.items() if all(t in d for d in per_state)}
    local_ids = {d.id for state in spec.states.values() for d in state.deadlines}
    seen: set[str] = set()
    for i, deadline in enumerate(spec.deadlines):
        at: PathKey = ("deadlines", i)
        if deadline.id in seen or deadline.id in local_ids:
            yield doc.problem((*at, "id"), f"deadline id {deadline.id!r} is used more than once")
        seen.add(deadline.id)
        yield from _anchor_problems(spec, doc, deadline, at)
        yield from _action_problems(spec, doc, deadline, at, everywhere, templates)


def _anchor_problems(
    spec: WorkflowSpec, doc: LocatedDocument, deadline: DeadlineSpec, at: PathKey
) -> Iterable[Problem]:
    known = {ENTERED, *BUILTIN_DATES, *spec.dates} - {"occurred_on"}
    if deadline.from_ not in known:
        yield doc.problem((*at, "from"), f"unknown date {deadline.from_!r}: use 'entered' or a declared date")
    flag = deadline.while_flag
    if flag is not None and flag not in spec.flags:  # a misspelt flag is never set: the deadline would never run
        close = difflib.get_close_matches(flag, list(spec.flags), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else " (declare it under flags)"
        yield doc.problem((*at, "while_flag"), f"unknown flag {flag!r}{hint}")


def _action_problems(
    spec: WorkflowSpec,
    doc: LocatedDocument,
    deadline: DeadlineSpec,
    at: PathKey,
    triggers_here: dict[str, bool],
    templates: frozenset[str] | None,
) -> Iterable[Problem]:
    recipients = {*spec.roles, "candidate"}
    notes = [((*at, "remind", j), r.to, r.template) for j, r in enumerate(deadline.remind)]
    if deadline.on_due is not None:
        for key in ("escalate", "notify"):
            target = getattr(deadline.on_due, key)
            if target is not None:
                notes.append(((*at, "on_due", key), target.to, target.template))
        fire = deadline.on_due.fire
        if fire is not None and fire not in triggers_here:
            yield doc.problem((*at, "on_due", "fire"), f"trigger {fire!r} cannot be fired from this state")
    for path, roles, template in notes:
        for k, role in enumerate(roles):
            if role not in recipients:
                yield doc.problem((*path, "to", k), f"unknown role {role!r} (declare it under roles)")
        if templates is not None and template not in templates:
            yield doc.problem(
                (*path, "template"), f"unknown template {template!r}; known: {', '.join(sorted(templates))}"
            )
    for k, trigger in enumerate(deadline.done_by):
        if triggers_here.get(trigger) is not True:
            yield doc.problem((*at, "done_by", k), f"trigger {trigger!r} must be an internal event of this state")
    ext = deadline.extension
    if ext is not None and triggers_here.get(ext.trigger) is not True:
        yield doc.problem(
            (*at, "extension", "trigger"), f"trigger {ext.trigger!r} must be an internal event of this state"
        )


def _triggers_by_state(spec: WorkflowSpec) -> dict[str, dict[str, bool]]:
    """For each state, the triggers available from it → whether they are internal there. One pass over the
    transitions (asking state by state took time growing with states × transitions × states)."""
    running = [name for name, state in spec.states.items() if not state.final]
    found: dict[str, dict[str, bool]] = {name: {} for name in spec.states}
    for t in spec.transitions:
        for source in dict.fromkeys(running if "*" in t.source else t.source):
            here = found.setdefault(source, {})
            here[t.trigger] = here.get(t.trigger, True) and t.internal
    return found
