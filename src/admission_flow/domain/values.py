"""Plain values the rules read: a candidate's and an organisation's facts, papers, votes, and refusal reasons.

No I/O and no behaviour beyond building a ``Reason``: guards, the engine and the store all speak these types.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from admission_flow.errors import Reason

# Education levels, lowest first. Candidates store one of these names.
EDUCATION_LEVELS: tuple[str, ...] = (
    "none",
    "primary",  # hoàn thành chương trình tiểu học
    "lower_secondary",  # tốt nghiệp THCS
    "upper_secondary",  # tốt nghiệp THPT
    "vocational",  # trung cấp
    "college",  # cao đẳng
    "university",  # đại học
    "postgraduate",  # sau đại học
)


@dataclass(frozen=True)
class CandidateFacts:
    """The personal data guards may read."""

    id: str
    full_name: str
    birth_date: date | None = None
    sex: str | None = None
    ethnicity: str | None = None
    religion: str | None = None
    education: str | None = None
    remote_area: bool = False
    occupation: str | None = None
    youth_union_member: bool = False
    trade_union_member: bool = False
    attributes: Mapping[str, Any] = field(default_factory=dict)
    personal_id: str | None = None  # the 12-digit personal identification number (số định danh cá nhân)


@dataclass(frozen=True)
class OrgFacts:
    """The candidate's organisation node and the kind of its parent."""

    id: str
    kind: str
    parent_kind: str | None = None
    has_youth_union: bool = False
    has_trade_union: bool = False
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DocumentRecord:
    kind: str
    issued_on: date
    reference: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Votes:
    """A vote's result. ``eligible`` is the denominator: all full members of the voting body."""

    in_favour: int
    eligible: int
    against: int | None = None


def reason(code: str, guard: str, en: str, vi: str, **values: Any) -> Reason:
    """Build a refusal reason. Values are made JSON-friendly (dates as ISO text)."""
    return Reason(code=code, guard=guard, message_vi=vi, message_en=en, values=_jsonable(values))


_PLAIN = frozenset({str, int, float, bool, type(None)})


def _jsonable(value: Any) -> Any:
    if type(value) in _PLAIN:  # most values: returned as they are, before the slower checks below
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return value


__all__ = ["EDUCATION_LEVELS", "CandidateFacts", "DocumentRecord", "OrgFacts", "Votes", "reason"]
