"""Deadline projection as a value: which timer rows an event cancels, moves and creates.

Every deadline and reminder rung is a durable row in ``timers``, written in the same transaction as the event
that causes it. :func:`plan_timers` compares what the instance's new state, dates, extensions and flags call
for (:func:`projections`) with the rows of the current stay (read after deciding, only when an event keeps
the state) and returns a :class:`TimerPlan`; the store applies it. Nothing here reads or writes a database.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from admission_flow.calendar import WorkingCalendar
from admission_flow.domain.outcome import TimerMove, TimerPlan
from admission_flow.domain.stored import PENDING, SKIPPED, TimerRow
from admission_flow.engine.machine import CompiledWorkflow
from admission_flow.errors import InvalidInput
from admission_flow.workflow.deadlines import ENTERED, Projection, anchor_date, project
from admission_flow.workflow.spec import DeadlineSpec


@dataclass(frozen=True, slots=True)
class TimeRules:
    """Where and when reminders fire: the organisation's time zone, the reminder hour, the working calendar."""

    zone: ZoneInfo
    reminder_time: time
    calendar: WorkingCalendar


def projections(
    wf: CompiledWorkflow,
    state: str,
    dates: Mapping[str, date],
    entered_on: date,
    extensions: Mapping[str, int],
    flags: Collection[str],
    rules: TimeRules,
) -> list[Projection]:
    """Every row the deadlines of ``state`` call for, given the dates, extensions and flags."""
    rows: list[Projection] = []
    for deadline in wf.spec.deadlines_of(state):
        anchor = anchor_date(deadline, dates, entered_on)
        if anchor is not None and (deadline.while_flag is None or deadline.while_flag in flags):
            try:
                rows += _projected(deadline, anchor, extensions.get(deadline.id, 0), rules)
            except (ValueError, OverflowError):  # a date past 9999-12-31 (or before year 1): the input's fault
                raise InvalidInput(
                    f"the deadline {deadline.id!r} of state {state!r}, counted from {anchor.isoformat()}, "
                    "falls outside the dates this program can hold (years 1 to 9999): check the date given"
                ) from None
    return rows


# ``project`` is a function of the deadline, its anchor date, the extension and the rules alone (the calendar
# never changes once loaded): the rows of one (deadline, anchor, extension, rules) are computed once. A bulk
# import projects the same deadlines from the same paper dates thousands of times; so do sweeps and fires of a
# cohort. Each entry keeps its deadline object, so the ``id`` in its key cannot be reused while it is there.
_PROJECTED: dict[tuple[int, date, int, TimeRules], tuple[DeadlineSpec, tuple[Projection, ...]]] = {}
_MAX_PROJECTED = 50_000


def _projected(deadline: DeadlineSpec, anchor: date, extended_by: int, rules: TimeRules) -> tuple[Projection, ...]:
    key = (id(deadline), anchor, extended_by, rules)
    found = _PROJECTED.get(key)
    if found is not None and found[0] is deadline:
        return found[1]
    rows = tuple(
        project(
            deadline,
            anchor,
            extended_by=extended_by,
            calendar=rules.calendar,
            zone=rules.zone,
            reminder_time=rules.reminder_time,
        )
    )
    if len(_PROJECTED) >= _MAX_PROJECTED:
        _PROJECTED.clear()
    _PROJECTED[key] = (deadline, rows)
    return rows


def may_hold_pending(wf: CompiledWorkflow, state: str, known: Collection[str], flags: Collection[str]) -> bool:
    """Whether the stay in ``state`` can have pending rows: some deadline of it is anchored (on entering the
    state, or on a date in ``known``) and not waiting for a flag that is clear (clearing a flag cancels its
    rows). Leaving a state where this is false costs no timer statement."""
    for deadline in wf.spec.deadlines_of(state):
        anchored = deadline.from_ == ENTERED or deadline.from_ in known
        if anchored and (deadline.while_flag is None or deadline.while_flag in flags):
            return True
    return False


@dataclass(frozen=True, slots=True)
class Stay:
    """The instance after the event, as projection sees it."""

    instance_id: int
    state: str
    epoch: int
    entered_on: date
    dates: Mapping[str, date]
    extensions: Mapping[str, int]
    flags: Collection[str]


def plan_timers(
    wf: CompiledWorkflow,
    stay: Stay,
    *,
    moved: bool,
    left_pending: bool,
    existing: Sequence[TimerRow],
    now: datetime,
    rules: TimeRules,
    trigger: str | None = None,
    cleared: Collection[str] = (),
    raised: Collection[str] = (),
) -> TimerPlan:
    """Bring the timer rows in line with ``stay``. ``moved``: the event entered a new stay (its earlier rows are
    cancelled when ``left_pending`` says there may be some); ``existing``: the current stay's rows (read only for
    events that keep the state); ``cleared``/``raised``: flags this event cleared and set."""
    deadlines = wf.spec.deadlines_of(stay.state)
    cancel: list[tuple[str, str]] = []
    if not moved:
        for deadline in deadlines:
            if trigger is not None and trigger in deadline.done_by:
                cancel.append((deadline.id, f"done: {trigger}"))
            elif deadline.while_flag is not None and deadline.while_flag in cleared:
                cancel.append((deadline.id, f"flag {deadline.while_flag} cleared"))
    wanted = projections(wf, stay.state, stay.dates, stay.entered_on, stay.extensions, stay.flags, rules)
    moves, inserts = _reconcile(wf, stay, wanted, [] if moved else existing, now, raised, moved)
    return TimerPlan(moved and left_pending, tuple(cancel), tuple(moves), tuple(inserts))


def _reconcile(
    wf: CompiledWorkflow,
    stay: Stay,
    wanted: list[Projection],
    existing: Sequence[TimerRow],
    now: datetime,
    raised: Collection[str],
    moved: bool,
) -> tuple[list[TimerMove], list[dict[str, Any]]]:
    by_key = {(r.deadline_id, r.rung): r for r in sorted(existing, key=lambda r: (r.occurrence, r.id))}
    # A while_flag deadline whose flag this event set again starts over: its earlier rows in this stay
    # (cancelled when the flag was cleared or the task done, or already sent) are a finished occurrence.
    restarted = {
        d.id
        for d in wf.spec.deadlines_of(stay.state)
        if not moved and d.while_flag is not None and d.while_flag in raised
    }
    moves: list[TimerMove] = []
    inserts: list[dict[str, Any]] = []
    for p in wanted:
        row = by_key.get((p.deadline_id, p.rung))
        if row is None:
            inserts.append(timer_row(stay, p, now))
        elif p.deadline_id in restarted and row.status != PENDING:
            inserts.append(timer_row(stay, p, now, occurrence=row.occurrence + 1))
        elif row.status == PENDING and (row.fire_at != p.fire_at or row.due_on != p.due_on):
            # moved into the past (e.g. a corrected date): not sent late, like a new one
            skip = "moved to a time already past" if p.stale(now) else None
            moves.append(TimerMove(row.id, p.due_on, p.fire_at, skip))
    return moves, inserts


def timer_row(stay: Stay, p: Projection, now: datetime, occurrence: int = 1) -> dict[str, Any]:
    """A new timer row. A reminder whose moment passed before it was projected (history typed in from paper) is
    not sent late; the deadline itself and escalations after it still are."""
    stale_reminder = p.stale(now)
    return {
        "instance_id": stay.instance_id,
        "state": stay.state,
        "state_epoch": stay.epoch,
        "deadline_id": p.deadline_id,
        "rung": p.rung,
        "occurrence": occurrence,
        "kind": p.kind,
        "due_on": p.due_on,
        "fire_at": p.fire_at,
        "status": SKIPPED if stale_reminder else PENDING,
        "outcome": "reminder time had passed when the deadline was projected" if stale_reminder else None,
        "created_at": now,
        "processed_at": now if stale_reminder else None,
    }
