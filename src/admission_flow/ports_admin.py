"""The ports of the administration side, beside ``ports.py``'s core: the organisation tree over time, people's
identifiers, targets and classes, the hand-over to the member database, bulk imports, reports and the dashboard.
``store/`` implements them; the unit of work (``ports.UnitOfWork``) hands them to the use cases.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, Protocol

from admission_flow.domain.org_history import OrgChangeRecord, OrgPeriodRow
from admission_flow.domain.records import OrgRecord
from admission_flow.domain.reports import ReportOptions
from admission_flow.domain.stored import (
    OrgNode,
)
from admission_flow.domain.web import StoredUser, UserRecord


class OrgHistory(Protocol):
    """The tree over time: periods, the audit trail, the tree on a date, imported tree files."""

    def lock(self, org_id: str) -> OrgRecord | None:
        """The organisation's row, locked for the rest of the transaction."""
        ...

    def open_period(self, org_id: str) -> OrgPeriodRow | None: ...

    def existed_on(self, org_id: str, on: date) -> bool: ...

    def existing_on(self, org_ids: Sequence[str], on: date) -> set[str]:
        """Those of ``org_ids`` that existed on ``on``."""
        ...

    def parent_on(self, org_id: str, on: date) -> str | None:
        """The organisation's parent as the tree stood on ``on`` (None: a root then, or not there)."""
        ...

    def close_period(self, period_id: int, on: date) -> None: ...

    def set_period_start(self, period_id: int, on: date) -> None: ...

    def start_period(self, org_id: str, on: date | None, values: Mapping[str, Any]) -> None: ...

    def update(self, org_id: str, values: Mapping[str, Any]) -> None: ...

    def record(self, values: Mapping[str, Any]) -> OrgChangeRecord: ...

    def record_many(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Audit rows (same keys each) in bulk."""
        ...

    def changes(self, org_id: str) -> list[OrgChangeRecord]: ...

    def children(self, org_id: str) -> list[str]: ...

    def tree(self, on: date | None, within: str | None) -> list[OrgRecord]: ...

    def move_candidates(self, candidate_ids: Sequence[str], to_org: str) -> None: ...

    def imported(self, kind: str, sha256: str) -> bool: ...

    def record_import(self, values: Mapping[str, Any]) -> None: ...


# ---- end of organisations over time


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


class RowEncoder(Protocol):
    def encode(
        self,
        person: Mapping[str, Any],
        instance: dict[str, Any],
        audit: Sequence[dict[str, Any]],
        papers: Sequence[Sequence[dict[str, Any]]],
        stays: Sequence[dict[str, Any]],
    ) -> Any:
        """A checked row (its person, instance, audit rows, the papers of each audit row, its timer rows) in the
        driver's form, for ``Imports.write``; the dicts given are completed in place."""
        ...


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

    def encoder(self) -> RowEncoder:
        """What turns a checked row into this database's driver rows (usable without a connection)."""
        ...

    def write(self, rows: Sequence[Any]) -> None:
        """Insert one chunk of rows from ``encoder().encode`` in bulk (ids given by the writer)."""
        ...

    def finish_batch(self, record: dict[str, Any]) -> None:
        """After the last ``write``: record the file in ``imports`` (the same bytes again change nothing)."""
        ...

    def end_batch(self) -> None:
        """After the batch, written or not: put back what ``begin_batch`` changed on the connection."""
        ...


# ---- reports (issue 10): the aggregates behind services/reports.py; each method is one SQL statement.


class Reports(Protocol):
    def branches(self, root: str, on: date | None) -> list[tuple[str, str]]: ...

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
