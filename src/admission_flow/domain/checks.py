"""What a look ahead at a later step's rules returns (issue 12: a warning before, never a refusal)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from admission_flow.domain.records import Record


@dataclass(frozen=True)
class RuleCheck(Record):
    """The named guards of ``trigger`` judged on ``on`` with the candidate's facts as they stand: ``ok`` when none
    of them has a reason. Papers, votes and data the step itself would bring are not there, so only rules about
    the person and the recorded dates (re-admission waits, age boundaries) are meaningful to look at."""

    candidate_id: str
    workflow: str
    trigger: str
    on: date
    guards: list[str]
    ok: bool
    reasons: list[dict[str, Any]] = field(default_factory=list)
