"""What goes in (validated inputs) and what comes out (plain records) of the use cases."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from admission_flow.errors import Reason
from admission_flow.guards.base import EDUCATION_LEVELS, DocumentRecord, Votes

OrgKind = Literal[
    "central",
    "province",
    "superior_committee",
    "commune_committee",
    "grassroots_committee",
    "partial_committee",
    "grassroots_cell",
    "cell",
]
ORG_KINDS: tuple[str, ...] = OrgKind.__args__  # type: ignore[attr-defined]
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1)
    email: EmailStr


class NewOrg(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    kind: OrgKind
    parent_id: str | None = None
    has_youth_union: bool = False
    has_trade_union: bool = False
    contacts: dict[str, list[Contact]] = Field(default_factory=dict, description="role → people to notify")
    attributes: dict[str, Any] = Field(default_factory=dict)


class NewCandidate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=ID_PATTERN)
    full_name: str = Field(min_length=1, max_length=200)
    org_id: str
    birth_date: date | None = None
    sex: Literal["male", "female"] | None = None
    ethnicity: str | None = Field(default=None, max_length=64)
    religion: str | None = Field(default=None, max_length=64)
    education: str | None = None
    remote_area: bool = False
    occupation: str | None = Field(default=None, max_length=64)
    youth_union_member: bool = False
    trade_union_member: bool = False
    email: EmailStr | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)

    @field_validator("education")
    @classmethod
    def _known_level(cls, value: str | None) -> str | None:
        if value is not None and value not in EDUCATION_LEVELS:
            raise ValueError(f"unknown education level {value!r}; one of: {', '.join(EDUCATION_LEVELS)}")
        return value


def _plain(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class Record:
    """Mixin for output records: ``as_dict()`` gives JSON-ready data."""

    def as_dict(self) -> dict[str, Any]:
        return _plain(asdict(self))  # type: ignore[call-overload,no-any-return]


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


@dataclass(frozen=True)
class EventInput:
    """Everything a fire carries besides the trigger."""

    occurred_on: date | None = None
    actor: str = "system"
    role: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    documents: tuple[DocumentRecord, ...] = ()
    votes: Votes | None = None
    idempotency_key: str | None = None
    expected_version: int | None = None
    acting_org: str | None = None


def reasons_as_dicts(reasons: tuple[Reason, ...] | list[Reason]) -> list[dict[str, Any]]:
    return [r.as_dict() for r in reasons]
