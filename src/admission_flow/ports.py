"""The ports the use cases speak to: a unit of work and its repositories, in domain types.

``store/`` implements them over SQLAlchemy (SQLite and PostgreSQL); the contract suite in
``tests/integration/test_store_contract.py`` holds every implementation to the same behaviour. A use case
receives a :class:`Database` and opens one unit of work per transaction: it commits when the block ends
normally and rolls back on any exception. Nothing here names SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Any, Protocol

from admission_flow.domain.org_history import OrgChangeRecord, OrgPeriodRow
from admission_flow.domain.outcome import Outcome, Start, TimerPlan
from admission_flow.domain.records import EventRecord, OrgRecord, TokenRecord, WebhookRecord
from admission_flow.domain.reports import ReportOptions
from admission_flow.domain.stored import (
    Claimed,
    Instance,
    KeyedEvent,
    OpenDeadline,
    OrgNode,
    OutboxRow,
    StoredAnswer,
    Subscription,
    TimerRow,
)
from admission_flow.domain.web import StoredUser, UserRecord


class Orgs(Protocol):
    def get(self, org_id: str) -> OrgRecord | None: ...

    def all(self) -> list[OrgRecord]: ...

    def insert(self, values: Mapping[str, Any]) -> None: ...

    def ancestry(self, org_id: str) -> list[OrgRecord]:
        """The organisation and its ancestors, nearest first (empty for an unknown id)."""
        ...

    def subtree(self, org_id: str) -> list[str]:
        """The ids of the organisation and every organisation below it."""
        ...

    def within(self, org_ids: Sequence[str], root: str) -> set[str]:
        """Those of ``org_ids`` in ``root``'s subtree."""
        ...

    def listing(self, within: str | None) -> list[OrgRecord]:
        """Every organisation, or those in ``within``'s subtree, by id."""
        ...


# ---- organisations over time (issue 10, item 1)
class OrgHistory(Protocol):
    """The tree over time: periods, the audit trail, the tree on a date, imported tree files."""

    def lock(self, org_id: str) -> OrgRecord | None:
        """The organisation's row, locked for the rest of the transaction."""
        ...

    def open_period(self, org_id: str) -> OrgPeriodRow | None: ...

    def existed_on(self, org_id: str, on: date) -> bool: ...

    def close_period(self, period_id: int, on: date) -> None: ...

    def set_period_start(self, period_id: int, on: date) -> None: ...

    def start_period(self, org_id: str, on: date | None, values: Mapping[str, Any]) -> None: ...

    def update(self, org_id: str, values: Mapping[str, Any]) -> None: ...

    def record(self, values: Mapping[str, Any]) -> OrgChangeRecord: ...

    def changes(self, org_id: str) -> list[OrgChangeRecord]: ...

    def children(self, org_id: str) -> list[str]: ...

    def tree(self, on: date | None, within: str | None) -> list[OrgRecord]: ...

    def move_candidates(self, candidate_ids: Sequence[str], to_org: str) -> None: ...

    def imported(self, kind: str, sha256: str) -> bool: ...

    def record_import(self, values: Mapping[str, Any]) -> None: ...


# ---- end of organisations over time


class Instances(Protocol):
    def load(self, candidate_id: str, within: str | None = None) -> Instance | None:
        """The candidate's latest attempt (None also when the candidate is outside ``within``'s subtree)."""
        ...

    def load_by_ids(self, instance_ids: Sequence[int]) -> dict[int, Instance]: ...

    def latest(self, candidate_ids: Sequence[str]) -> list[Instance]:
        """Each candidate's latest instance, in the order given."""
        ...

    def candidate_ids(self, *, org_ids: Sequence[str] | None = None, state: str | None = None) -> list[str]: ...

    def ids_of(self, candidate_id: str) -> list[int]:
        """Every attempt's instance id (empty for an unknown candidate)."""
        ...

    def next_attempt(self, candidate_id: str) -> int: ...

    def insert_candidate(self, values: Mapping[str, Any]) -> None: ...

    def update_person(self, candidate_id: str, values: Mapping[str, Any]) -> None: ...

    def touch(self, instance_id: int, expected_version: int, now: datetime) -> bool:
        """Bump the version of an instance an event leaves as it is; False if the version moved."""
        ...

    def insert(self, values: Mapping[str, Any]) -> int: ...

    def repin(
        self,
        instance_id: int,
        expected_version: int,
        *,
        workflow: tuple[str, str, str],
        state: str,
        epoch: int,
        now: datetime,
    ) -> bool:
        """Pin the instance to another workflow ``(id, version, hash)`` and state, version-checked."""
        ...


class Events(Protocol):
    def insert(self, row: Mapping[str, Any]) -> int: ...

    def insert_documents(self, rows: Sequence[Mapping[str, Any]]) -> None: ...

    def by_key(self, key: str) -> KeyedEvent | None: ...

    def of_instance(self, instance_id: int) -> list[EventRecord]: ...


class Timers(Protocol):
    def of_stay(self, instance_id: int, epoch: int) -> list[TimerRow]:
        """The rows of one stay in a state, oldest occurrence first."""
        ...

    def apply(self, instance_id: int, epoch: int, plan: TimerPlan, now: datetime) -> None: ...

    def set_status(self, timer_id: int, status: str, processed_at: datetime | None, why: str | None) -> None: ...

    def retry_failed(self, instance_ids: Sequence[int] | None) -> int: ...

    def fire_at(self, timer_id: int) -> datetime: ...

    def claim_due(self, now: datetime, limit: int) -> list[Claimed]:
        """Due pending rows, oldest first, with their instance's current state (locked on PostgreSQL)."""
        ...

    def current(self, instance_id: int) -> dict[str, Any]:
        """The instance's current state and candidate, as the claim reads them (after an automatic event)."""
        ...

    def finish(self, outcomes: Mapping[tuple[str, str], Sequence[int]], now: datetime) -> None: ...

    def count_due(self, now: datetime) -> int:
        """How many pending rows are due at ``now``."""
        ...

    def acquire_lease(
        self, name: str, holder: str, now: datetime, until: datetime, takeover: Callable[[str], bool] | None = None
    ) -> bool:
        """Take or renew the lease; also take it from a holder ``takeover`` says is gone (e.g. a dead pid)."""
        ...

    def release_lease(self, name: str, holder: str) -> None: ...


class Outbox(Protocol):
    def insert_swept(self, rows: Sequence[Mapping[str, Any]], now: datetime, due: datetime | None = None) -> None:
        """Messages the sweep wrote (``recipients`` and ``context`` already JSON text), created at ``now`` and
        due at ``due`` (default ``now``)."""
        ...

    def insert_messages(self, rows: Sequence[Mapping[str, Any]], now: datetime) -> None:
        """Messages an event writes in its own transaction (each row: ``instance_id``, ``channel``, ``template``,
        ``recipients``, ``context``, ``message_id``), due at ``now``."""
        ...

    def claim(self, now: datetime, limit: int, lease_until: datetime, channel: str) -> list[OutboxRow]: ...

    def renew(self, message_ids: Sequence[int], lease: datetime, until: datetime) -> list[int]:
        """Extend the lease of the messages still held under ``lease``; the ids renewed."""
        ...

    def count_ready(self, now: datetime) -> int:
        """How many messages (any channel) a claim at ``now`` would take."""
        ...

    def store_text(self, message_id: int, subject: str, body: str) -> None: ...

    def mark_sent(self, message_id: int, lease: datetime, now: datetime) -> bool: ...

    def mark_failed(
        self,
        message_id: int,
        lease: datetime,
        *,
        error: str,
        retry_at: datetime | None,
        recipients: list[dict[str, Any]] | None = None,
    ) -> bool: ...

    def listing(self, *, failed_only: bool, limit: int, within: str | None = None) -> list[OutboxRow]:
        """The newest messages first (only dead or failing ones with ``failed_only``)."""
        ...

    def retry(self, now: datetime, message_ids: Sequence[int] | None) -> int: ...


class Access(Protocol):
    """API tokens and the answers to idempotent requests."""

    def insert_token(self, values: Mapping[str, Any]) -> int: ...

    def token_by_hash(self, secret_hash: str) -> TokenRecord | None: ...

    def tokens(self) -> list[TokenRecord]: ...

    def revoke(self, token_id: int, now: datetime) -> bool:
        """Revoke a token (one already revoked stays as it was); False if there is no such token."""
        ...

    def claim_request(self, token_id: int, key: str, fingerprint: str, now: datetime) -> StoredAnswer | None:
        """Record a new idempotent request (None), or return the one already recorded under the key."""
        ...

    def store_answer(self, token_id: int, key: str, status: int, headers: Mapping[str, str], body: str) -> None: ...

    def forget_request(self, token_id: int, key: str) -> None:
        """Drop a request that got no answer worth replaying (so the key can be used again)."""
        ...


class Webhooks(Protocol):
    """Webhook subscriptions."""

    def insert(self, values: Mapping[str, Any]) -> int: ...

    def listing(self, within: str | None) -> list[WebhookRecord]:
        """Subscriptions (active or not) of organisations in ``within``'s subtree (every one if None)."""
        ...

    def get(self, webhook_id: int, within: str | None) -> WebhookRecord | None: ...

    def secret(self, webhook_id: int) -> str | None: ...

    def deactivate(self, webhook_id: int, within: str | None) -> bool: ...

    def active(self) -> list[Subscription]:
        """Every active subscription (read on each event: one small query)."""
        ...


class Queries(Protocol):
    """The read side: listings over many candidates."""

    def open_deadlines(
        self, org_id: str | None, *, within: str | None = None, candidate_id: str | None = None
    ) -> list[OpenDeadline]:
        """Each open deadline (rung 0) of a state a candidate is in, soonest first; in the subtrees given, or of
        one candidate."""
        ...

    def candidate_page(
        self,
        *,
        within: str | None,
        org_id: str | None,
        state: str | None,
        workflow_id: str | None,
        sort: str,
        descending: bool,
        after: tuple[Any, str] | None,
        limit: int,
    ) -> list[tuple[str, Any]]:
        """Candidate ids with their sort value, one keyset page (sort: ``id``, ``full_name``, ``updated_at``)."""
        ...

    def pending_timers(self, before: datetime) -> list[TimerRow]: ...

    def figures(self, now: datetime) -> dict[str, Any]:
        """``oldest_due_timer`` (an instant or None), ``outbox`` [(channel, status, count)] of pending, sending
        and dead messages, ``outbox_failing`` [(channel, count)] of pending messages that failed before."""
        ...


class People(Protocol):
    """People's identifiers (issue 10): the personal identification number and card numbers, unique per person."""

    def holder(self, field: str, value: str, within: str | None = None) -> str | None:
        """The id of the candidate whose ``field`` (personal_id, party_card_no, old_card_no) is ``value``."""
        ...


class Targets(Protocol):
    """Term targets and annual quotas (issue 10): rows as mappings of the ``targets`` columns."""

    def put(self, values: Mapping[str, Any]) -> tuple[int, bool]:
        """Insert, or replace the target of the same organisation, kind and start: (id, replaced)."""
        ...

    def remove(self, org_id: str, kind: str, starts_on: date) -> bool: ...

    def listing(
        self,
        *,
        within: str | None,
        org_id: str | None = None,
        kind: str | None = None,
        starts: date | None = None,
        ends: date | None = None,
    ) -> list[dict[str, Any]]: ...

    def allocation(
        self, *, within: str | None, org_id: str | None, kind: str, starts: date | None, ends: date | None
    ) -> list[dict[str, Any]]:
        """Each parent's target with ``children``, ``children_with_target`` and ``allocated`` (their sum)."""
        ...


class Classes(Protocol):
    """Awareness and new-member classes (issue 10): rows as mappings of the ``classes`` columns."""

    def insert(self, values: Mapping[str, Any]) -> int: ...

    def remove(self, org_id: str, kind: str, reference: str) -> bool: ...

    def listing(
        self,
        *,
        within: str | None,
        org_id: str | None = None,
        kind: str | None = None,
        starts: date | None = None,
        ends: date | None = None,
    ) -> list[dict[str, Any]]: ...


class Handover(Protocol):
    """The hand-over's reads (issue 10): rows with the candidate's columns, ``org_name``, ``attempt``, ``dates``."""

    def changes(
        self, org_id: str | None, within: str | None, starts: date | None, ends: date | None
    ) -> list[dict[str, Any]]:
        """Instances admitted or recognised as full members between the dates (inclusive), in the subtrees."""
        ...

    def by_personal_ids(self, personal_ids: Sequence[str], within: str | None) -> list[dict[str, Any]]:
        """The latest attempt of each person holding one of the numbers."""


# ---- bulk import (issue 10 item 4) ----------------------------------------------------------------------------
class Imports(Protocol):
    """A spreadsheet imported all or nothing: files seen before, identifiers taken, the tree, one batch."""

    def imported(self, kind: str, sha256: str) -> tuple[str, int, datetime] | None:
        """(file name, rows, when) if a file with these bytes was imported as ``kind`` before."""
        ...

    def taken_identifiers(self) -> dict[str, set[str]]:
        """The candidate ids, personal numbers, party and old card numbers already in the database."""
        ...

    def org_nodes(self) -> list[OrgNode]: ...

    def begin_batch(self) -> None:
        """Before the first ``write``: keep other writers of instances and audit rows out; find the next ids."""
        ...

    def write(
        self,
        people: Sequence[dict[str, Any]],
        started: Sequence[dict[str, Any]],
        audit: Sequence[Sequence[dict[str, Any]]],
        papers: Sequence[Sequence[Sequence[dict[str, Any]]]],
        stays: Sequence[Sequence[dict[str, Any]]],
    ) -> None:
        """Insert one chunk of checked rows in bulk (ids given by the writer)."""
        ...

    def finish_batch(self, record: dict[str, Any]) -> None:
        """After the last ``write``: record the file in ``imports`` (the same bytes again change nothing)."""
        ...


# ---- reports (issue 10): the aggregates behind services/reports.py; each method is one SQL statement.
class Reports(Protocol):
    def branches(self, root: str, on: date | None) -> list[tuple[str, str]]: ...

    def names(self, org_ids: Sequence[str]) -> dict[str, str]: ...

    def counted_by_branch(self, root: str, on: date | None, trigger: str, start: date, end: date) -> dict[str, int]: ...

    def counted(
        self, root: str, on: date | None, triggers: Sequence[str], start: date, end: date
    ) -> dict[str, int]: ...

    def targets(
        self, org_ids: Sequence[str], kind: str, start: date, end: date
    ) -> dict[str, tuple[int, int | None]]: ...

    def sourcing(
        self, root: str, on: date | None, start: date, end: date
    ) -> list[tuple[str, str, int, int | None]]: ...

    def states(self, root: str, on_tree: date | None, on: date, current: bool) -> dict[str, int]: ...

    def classes(self, root: str, on: date | None, start: date, end: date) -> list[tuple[str, str, int, int]]: ...

    def recognised_on_time(
        self, root: str, on: date | None, start: date, end: date, names: tuple[str, str, str], grace_days: int
    ) -> tuple[int, int]: ...

    def composition(
        self,
        root: str,
        on_tree: date | None,
        options: ReportOptions,
        among: str | None,
        admitted: tuple[str, date, date] | None,
        members: tuple[Sequence[str], date] | None,
    ) -> tuple[int, dict[str, int]]: ...

    def deadlines(self, root: str, today: date, until: date) -> list[tuple[str, str, int, int, date | None]]: ...

    def durations(self, root: str, on: date | None, start: date, end: date) -> list[tuple[str, int, float, int]]: ...


class Web(Protocol):
    """The web dashboard: its users and sessions, and its pages' queries (each scoped to a subtree in SQL)."""

    def insert_user(self, values: Mapping[str, Any]) -> int: ...

    def user_by_login(self, login: str) -> StoredUser | None: ...

    def users(self) -> list[UserRecord]: ...

    def update_user(self, user_id: int, values: Mapping[str, Any]) -> None: ...

    def insert_session(self, values: Mapping[str, Any]) -> None: ...

    def session(self, secret_hash: str) -> tuple[StoredUser, str, datetime, datetime | None] | None:
        """The session's user, form token, expiry and sign-out instant (None if unknown)."""
        ...

    def end_sessions(self, now: datetime, *, secret_hash: str | None = None, user_id: int | None = None) -> None: ...

    def work(
        self, within: str, keys: Sequence[tuple[str, str, str]], offset: int, limit: int
    ) -> list[tuple[str, str, str, str, str, str]]:
        """A page of candidates in one of ``keys`` (workflow id, version, state), nearest open deadline first."""
        ...

    def deadlines_of(self, candidate_ids: Sequence[str]) -> list[tuple[str, str, str, str, date, datetime]]: ...

    def deadline_counts(self, within: str, now: datetime, today: date) -> list[tuple[str, int, int, int, int]]: ...

    def pipeline_counts(self, within: str) -> list[tuple[str, str, str, int]]: ...


class UnitOfWork(Protocol):
    @property
    def orgs(self) -> Orgs: ...

    @property
    def instances(self) -> Instances: ...

    @property
    def events(self) -> Events: ...

    @property
    def timers(self) -> Timers: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def queries(self) -> Queries: ...

    @property
    def access(self) -> Access: ...

    @property
    def webhooks(self) -> Webhooks: ...

    @property
    def org_history(self) -> OrgHistory: ...

    @property
    def people(self) -> People: ...

    @property
    def targets(self) -> Targets: ...

    @property
    def classes(self) -> Classes: ...

    @property
    def handover(self) -> Handover: ...

    @property
    def imports(self) -> Imports: ...

    @property
    def reports(self) -> Reports: ...

    @property
    def web(self) -> Web: ...

    def write(self, outcome: Outcome) -> int:
        """Apply one decided event (instance, audit row, papers, move, timers); returns the audit row's id.
        Raises ``ConcurrentUpdate`` if the instance's version moved since it was loaded."""
        ...

    def start(self, start: Start) -> int:
        """Write a decided enrolment; returns the new instance's id."""
        ...


class Database(Protocol):
    @property
    def single_writer(self) -> bool:
        """True when writers are serialised (SQLite): the sweep then takes a lease instead of row locks."""
        ...

    def transaction(self, *, readonly: bool = False) -> AbstractContextManager[UnitOfWork]: ...


__all__ = [
    "Access",
    "Database",
    "Events",
    "Instances",
    "OrgHistory",
    "Orgs",
    "Outbox",
    "Queries",
    "Reports",
    "Timers",
    "UnitOfWork",
    "Web",
    "Webhooks",
]
