"""What the web dashboard reads and writes: its people, their sign-ins, and the rows of its pages.

Plain data, no I/O. A dashboard user is bound to an organisation subtree and roles exactly as an API token is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from admission_flow.domain.records import Record


@dataclass(frozen=True)
class UserRecord(Record):
    """A dashboard user as listed (never the password hash)."""

    id: int
    login: str
    display_name: str
    org_id: str
    roles: list[str]
    disabled: bool
    failed_sign_ins: int
    locked_until: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class StoredUser:
    """A user row with what signing in compares: the password hash (never leaves the use cases)."""

    user: UserRecord
    password_hash: str


@dataclass(frozen=True)
class Session(Record):
    """A signed-in browser: who, and the token every form of the session must carry (CSRF)."""

    user: UserRecord
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class WorkItem(Record):
    """A candidate waiting on an act one of the user's roles may perform, with the nearest open deadline."""

    candidate_id: str
    full_name: str
    org_id: str
    workflow: str
    state: str
    state_label: dict[str, str]
    triggers: list[dict[str, Any]]  # {"trigger", "label"}: what the user's roles may fire from this state
    deadline: str | None = None
    deadline_label: dict[str, str] | None = None
    basis: dict[str, str] | None = None
    due_on: date | None = None
    days_left: int | None = None  # calendar days
    working_days_left: int | None = None  # on the working-day calendar (negative when overdue)
    overdue: bool = False


@dataclass(frozen=True)
class WorkPage(Record):
    items: list[WorkItem]
    page: int
    has_next: bool


@dataclass(frozen=True)
class DeadlineBoardRow(Record):
    """Open deadlines of one committee's subtree: overdue, and due within 30, 60 and 90 days (cumulative)."""

    org_id: str
    name: str
    overdue: int
    within_30: int
    within_60: int
    within_90: int


@dataclass(frozen=True)
class PipelineBoard(Record):
    """Candidates by stage (columns: workflow states, in workflow order) and organisation (rows)."""

    states: list[tuple[str, dict[str, str]]]
    rows: list[tuple[str, str, dict[str, int]]]  # (org id, name, {state: count})
    totals: dict[str, int] = field(default_factory=dict)
