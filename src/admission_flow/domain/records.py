"""What comes out: every record the use cases return, as frozen dataclasses with ``as_dict()`` for JSON.

Plain data, no I/O: the facade, the CLI and (later) the API hand these to callers as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from admission_flow.errors import Reason


def _plain(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Record):  # a record inside a record (a target's warnings, an export's rows)
        return value.as_dict()
    return value


class Record:
    """Mixin for output records: ``as_dict()`` gives JSON-ready data."""

    def as_dict(self) -> dict[str, Any]:
        # Field by field, not dataclasses.asdict: that deep-copies every value first, and the API answers with this.
        return {f: _plain(getattr(self, f)) for f in self.__dataclass_fields__}  # type: ignore[attr-defined]


@dataclass(frozen=True)
class OrgRecord(Record):
    id: str
    name: str
    kind: str
    parent_id: str | None
    has_youth_union: bool
    has_trade_union: bool
    contacts: dict[str, Any]
    attributes: dict[str, Any]


@dataclass(frozen=True)
class CandidateRecord(Record):
    id: str
    full_name: str
    org_id: str
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
    instance_id: int
    attempt: int
    workflow: str
    workflow_hash: str
    state: str
    version: int
    dates: dict[str, str]
    flags: list[str]
    documents: dict[str, Any]
    personal_id: str | None = None
    party_card_no: str | None = None
    old_card_no: str | None = None
    manager: bool = False
    # Issue 12, item 8: the canonical state of the domain reference (§6.2): ``transfer_pending`` while the file is
    # being transferred (flag ``transfer_in_progress``), else ``state``. See domain/canonical.py.
    canonical_state: str | None = None


@dataclass(frozen=True)
class FireResult(Record):
    candidate_id: str
    instance_id: int
    event_id: int
    trigger: str
    from_state: str
    to_state: str
    version: int
    occurred_on: date
    replayed: bool = False


@dataclass(frozen=True)
class Option(Record):
    trigger: str
    label: dict[str, str] | None
    dest: str
    allowed: bool
    reasons: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class EventRecord(Record):
    id: int
    seq: int
    trigger: str
    from_state: str | None
    to_state: str
    actor: str
    role: str | None
    org_id: str | None
    occurred_on: date
    recorded_at: datetime
    payload: dict[str, Any]
    documents: list[dict[str, Any]]
    votes: dict[str, Any] | None
    workflow: str
    workflow_hash: str
    idempotency_key: str | None
    token_id: int | None = None  # the API token that acted


# ---------------------------------------------------------------- durable time


@dataclass(frozen=True)
class DeadlineRecord(Record):
    candidate_id: str
    full_name: str
    org_id: str
    state: str
    deadline: str
    label: dict[str, str]
    due_on: date
    due_at: datetime
    days_left: int
    overdue: bool
    extended_by: int
    status: str
    outcome: str | None


@dataclass(frozen=True)
class ReminderRecord(Record):
    fire_at: datetime
    candidate_id: str
    full_name: str
    deadline: str
    due_on: date
    kind: str
    template: str | None
    action: str
    recipients: list[dict[str, str]]
    missing_roles: list[str]


@dataclass(frozen=True)
class OutboxRecord(Record):
    id: int
    status: str
    template: str
    subject: str
    recipients: list[dict[str, Any]]
    attempts: int
    last_error: str | None
    message_id: str
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None
    channel: str = "email"  # or "webhook": then each recipient is {"url", "webhook_id"}


@dataclass
class SweepReport:
    claimed: int = 0
    messages: int = 0
    fired: int = 0
    failed: int = 0
    stale: int = 0
    batches: int = 0
    lease_held_elsewhere: bool = False
    rounds: int = 0  # rounds that claimed something (a round's automatic events may make timers due)
    left_due: int = 0  # still due after the last round allowed (something keeps producing due timers)


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)
    remaining: int = 0  # still due when a limit stopped the run

    @property
    def sent_nothing(self) -> bool:
        """Messages were due and not one of them could be sent (the SMTP server or receivers down)."""
        return self.sent == 0 and self.retried + self.dead > 0


# ---------------------------------------------------------------- migration and dry runs


@dataclass(frozen=True)
class MigrationItem(Record):
    candidate_id: str
    full_name: str
    org_id: str
    from_state: str
    to_state: str | None
    reason: str | None  # why it cannot be mapped
    deadlines_moved: list[dict[str, str]] = field(default_factory=list)
    deadlines_added: list[str] = field(default_factory=list)
    deadlines_removed: list[str] = field(default_factory=list)
    reminders_cancelled: list[str] = field(default_factory=list)
    reminders_scheduled: list[str] = field(default_factory=list)
    reminders_skipped: list[str] = field(default_factory=list)
    reminders_resent: list[str] = field(default_factory=list)
    timers_carried: list[str] = field(default_factory=list)  # pending, same moment under the new version
    deadlines_satisfied: list[str] = field(default_factory=list)  # met by their done_by event: not brought back

    @property
    def mappable(self) -> bool:
        return self.to_state is not None


@dataclass(frozen=True)
class TimelineEntry(Record):
    at: datetime
    on: date
    kind: str  # event | automatic | message
    what: str
    state: str
    detail: str


# ---------------------------------------------------------------- access and webhooks


@dataclass(frozen=True)
class TokenRecord(Record):
    """An API token as listed (its secret is shown once, when it is created, and never kept)."""

    id: int
    name: str
    org_id: str
    roles: list[str]
    read_only: bool
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class Caller(Record):
    """Who is calling through an adapter: the token, and the organisation subtree and roles it is bound to."""

    token_id: int
    name: str
    org_id: str
    roles: list[str]
    read_only: bool


@dataclass(frozen=True)
class WebhookRecord(Record):
    """A webhook subscription (its secret is shown once, when it is created)."""

    id: int
    org_id: str
    url: str
    event_types: list[str]
    active: bool
    created_at: datetime


@dataclass(frozen=True)
class WorkflowSummary(Record):
    """One loaded workflow version. A draft (a version with a non-numeric part) is never chosen for a bare ID or
    by date; ``in_force_from`` None means in force since always."""

    id: str
    version: str
    key: str  # ID@VERSION
    title: dict[str, str]  # {"vi": ..., "en": ...}
    hash: str
    release: bool
    in_force_from: date | None
    states: int
    initial: str
    extends: str | None


def reasons_as_dicts(reasons: tuple[Reason, ...] | list[Reason]) -> list[dict[str, Any]]:
    return [r.as_dict() for r in reasons]


__all__ = [
    "Caller",
    "CandidateRecord",
    "DeadlineRecord",
    "DeliveryReport",
    "EventRecord",
    "FireResult",
    "MigrationItem",
    "Option",
    "OrgRecord",
    "OutboxRecord",
    "Record",
    "ReminderRecord",
    "SweepReport",
    "TimelineEntry",
    "TokenRecord",
    "WebhookRecord",
    "WorkflowSummary",
    "reasons_as_dicts",
]
