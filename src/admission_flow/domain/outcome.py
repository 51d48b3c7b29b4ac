"""A decided event as a value: what ``engine.effects.decide`` returns and a unit of work writes.

Plain data, so the decision is tested without a database and the store writes it without knowing the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from admission_flow.domain.stored import TimerRow


@dataclass(frozen=True, slots=True)
class TimerMove:
    """A pending row whose date moved; ``skip`` says why it is skipped after moving (moved into the past)."""

    timer_id: int
    due_on: date
    fire_at: datetime
    skip: str | None = None


@dataclass(frozen=True, slots=True)
class TimerPlan:
    """What an event does to the instance's timer rows, applied in order: cancel, move, insert."""

    cancel_all: bool = False  # every pending row of the instance (it left the state)
    cancel: tuple[tuple[str, str], ...] = ()  # (deadline id, why): this stay's pending rows of that deadline
    moves: tuple[TimerMove, ...] = ()
    inserts: tuple[dict[str, Any], ...] = ()  # ``timers`` rows; the writer sets their ``instance_id``

    @property
    def empty(self) -> bool:
        return not (self.cancel_all or self.cancel or self.moves or self.inserts)


NO_TIMERS = TimerPlan()


@dataclass(frozen=True, slots=True)
class InstanceUpdate:
    """The instance's new columns, written only if its version is still ``expected_version``."""

    instance_id: int
    expected_version: int
    state: str
    dates: dict[str, str]
    flags: list[str]
    documents: dict[str, Any]
    updated_at: datetime
    state_epoch: int
    state_entered_on: date | None
    extensions: dict[str, int]


@dataclass(frozen=True, slots=True)
class Outcome:
    """Everything one allowed event writes: the instance, the one audit row, papers, a move, timer changes."""

    candidate_id: str
    update: InstanceUpdate
    event: dict[str, Any]  # the audit row (``events`` columns)
    documents: tuple[dict[str, Any], ...]  # ``documents`` rows; the writer sets their ``event_id``
    move_to_org: str | None
    timers: TimerPlan
    from_state: str
    to_state: str
    moved: bool
    # Set when the event keeps the state and changes what its deadlines count from: the timer plan then depends on
    # the stay's rows, which are read only in that case; ``with_stay_rows`` completes the outcome with them.
    replan: Callable[[Sequence[TimerRow]], TimerPlan] | None = None

    def with_stay_rows(self, rows: Sequence[TimerRow]) -> Outcome:
        assert self.replan is not None, "only an outcome that asks for the stay's rows takes them"
        return replace(self, timers=self.replan(rows), replan=None)


@dataclass(frozen=True, slots=True)
class Start:
    """A decided enrolment: the candidate (unless it exists: a new attempt), the instance, its audit row
    (``instance_id`` set by the writer) and the first stay's timers."""

    candidate: dict[str, Any] | None
    instance: dict[str, Any]
    event: dict[str, Any]
    timers: TimerPlan
