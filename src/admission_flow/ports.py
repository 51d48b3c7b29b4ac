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

from admission_flow.domain.outcome import Outcome, Start, TimerPlan
from admission_flow.domain.records import EventRecord, OrgRecord, TokenRecord, WebhookRecord
from admission_flow.domain.stored import (
    Claimed,
    Instance,
    KeyedEvent,
    OpenDeadline,
    OutboxRow,
    StoredAnswer,
    Subscription,
    TimerRow,
)
from admission_flow.ports_admin import Classes, Handover, Imports, OrgHistory, People, Reports, Targets, Web


class Orgs(Protocol):
    def get(self, org_id: str) -> OrgRecord | None: ...

    def all(self) -> list[OrgRecord]: ...

    def insert(self, values: Mapping[str, Any]) -> None: ...

    def insert_many(self, rows: Sequence[Mapping[str, Any]], valid_from: date | None) -> None:
        """Organisations (same keys each) and their open periods from ``valid_from``, in bulk."""
        ...

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

    def naming_helpers(self, instance_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
        """Payloads of the events naming a helper, oldest first, by instance."""


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
