"""What the store hands back: typed, plain rows (no SQLAlchemy objects leave ``store/``).

``Instance`` is one candidate's running instance, read in one query: the fire path, the sweep's automatic
events, listings and migrations all receive it. ``TimerRow`` is one durable deadline or reminder row of a stay
in a state; ``Claimed`` a due one as the sweep claims it; ``OutboxRow`` a message; ``OpenDeadline`` a deadline
with its candidate, for listings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

# Timer statuses (``timers.status``) and outbox statuses (``outbox.status``).
PENDING, DONE, CANCELLED, SKIPPED, FAILED = "pending", "done", "cancelled", "skipped", "failed"
SENDING, SENT, DEAD = "sending", "sent", "dead"


@dataclass(frozen=True, slots=True)
class Person:
    """The candidate: every personal field guards, records and messages read."""

    id: str
    org_id: str
    full_name: str
    birth_date: date | None
    sex: str | None
    ethnicity: str | None
    religion: str | None
    education: str | None
    remote_area: bool
    occupation: str | None
    youth_union_member: bool
    trade_union_member: bool
    email: str | None
    attributes: dict[str, Any]
    personal_id: str | None = None
    party_card_no: str | None = None
    old_card_no: str | None = None
    manager: bool = False


@dataclass(frozen=True, slots=True)
class OrgNode:
    """An organisation as the fire path reads it (no contacts: recipients come from the ancestry)."""

    id: str
    parent_id: str | None
    kind: str
    name: str
    has_youth_union: bool
    has_trade_union: bool
    attributes: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Instance:
    """One attempt of one candidate through one pinned workflow version, with its candidate and organisation."""

    id: int
    candidate_id: str
    attempt: int
    workflow_id: str
    workflow_version: str
    workflow_hash: str
    state: str
    version: int
    dates: dict[str, str]
    flags: list[str]
    documents: dict[str, Any]
    state_epoch: int
    state_entered_on: date | None
    extensions: dict[str, int]
    candidate: Person
    org: OrgNode
    parent_kind: str | None


@dataclass(frozen=True, slots=True)
class TimerRow:
    """A durable deadline (rung 0) or reminder rung of one stay (``state_epoch``) in a state."""

    id: int
    instance_id: int
    state: str
    state_epoch: int
    deadline_id: str
    rung: int
    occurrence: int
    kind: str
    due_on: date
    fire_at: datetime
    status: str
    outcome: str | None


class Claimed(NamedTuple):
    """A claimed timer row and, as of the claim, its instance's current state and its candidate."""

    id: int
    instance_id: int
    state: str
    state_epoch: int
    deadline_id: str
    rung: int
    due_on: date
    current_state: str
    current_epoch: int
    workflow_id: str
    workflow_version: str
    workflow_hash: str
    candidate_id: str
    full_name: str
    email: str | None
    org_id: str


@dataclass(frozen=True, slots=True)
class OpenDeadline:
    """The deadline row (rung 0) of a state a candidate is still in, with the candidate."""

    timer: TimerRow
    candidate_id: str
    workflow_id: str
    workflow_version: str
    extensions: dict[str, int]
    full_name: str
    org_id: str


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One outbox message (``channel`` says how it travels: ``email`` today)."""

    id: int
    timer_id: int | None
    instance_id: int
    channel: str
    template: str
    recipients: list[dict[str, Any]]
    subject: str
    body: str
    context: dict[str, Any] | None
    message_id: str
    status: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime
    lease_until: datetime | None
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class KeyedEvent:
    """An audit row found by its idempotency key (what a replay answers with)."""

    id: int
    instance_id: int
    seq: int
    trigger: str
    from_state: str | None
    to_state: str
    occurred_on: date


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """An idempotent request seen before: its fingerprint and, once answered, the answer (``status`` None while
    the first request is still being answered)."""

    fingerprint: str
    status: int | None
    headers: dict[str, str] | None
    body: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Subscription:
    """An active webhook subscription as the fire path matches it."""

    id: int
    org_id: str
    url: str
    event_types: list[str]
