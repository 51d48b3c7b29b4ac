"""Dates the regulations define once a candidate is a member (issue 12, item 5; domain ref. Stage K, Stage L).

* **Official date of full membership**: the day probation ends (``probation_end_on``), even when the cell met or
  the committee decided late (QĐ 24 §4.2.2). The shipped workflows record it as ``full_member_since`` at
  recognition; before recognition it is only the expected date.
* **Party age** (tuổi đảng): once recognised, counted from the date the competent committee signed the admission
  decision (``decision_signed_on``; Điều lệ Art. 5.4; QĐ 24 §4.5), not from the ceremony. For a re-admitted
  member it is counted from the **first** admission decision (candidate attribute ``first_admitted_on``) minus
  the time outside the Party: from leaving (``left_party_on``) to the new decision. Other gaps (loss of contact,
  transfer gaps) are not recorded by the engine and are not subtracted.

Whole months, as the rest of the engine counts (``dates.completed_months``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from admission_flow.dates import completed_months
from admission_flow.domain.records import Record


@dataclass(frozen=True)
class MembershipDates(Record):
    candidate_id: str
    on: date
    admission_decided_on: date | None  # the party-age origin of this admission
    ceremony_on: date | None  # "ngày vào Đảng" in some handbooks: stored, never used as the origin
    official_on: date | None  # full membership: the day probation ends
    recognised: bool
    party_age_from: date | None  # the first admission decision for a re-admitted member
    months_outside: int  # subtracted: from leaving the Party to the new decision (re-admission)
    party_age_months: int | None  # None until recognised
    party_age: str | None  # "12 năm 3 tháng / 12 years 3 months"


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def membership_dates(
    candidate_id: str, dates: Mapping[str, Any], attributes: Mapping[str, Any], full_member: bool, on: date
) -> MembershipDates:
    """The official date and the party age on ``on`` from the candidate's recorded dates and attributes."""
    decided = _as_date(dates.get("decision_signed_on"))
    official = _as_date(dates.get("full_member_since")) or _as_date(dates.get("probation_end_on"))
    first = _as_date(attributes.get("first_admitted_on"))
    left = _as_date(dates.get("left_party_on"))
    origin = first if first is not None and decided is not None and first < decided else decided
    outside = completed_months(left, decided) if origin is not decided and left and decided and left < decided else 0
    months = None
    if full_member and origin is not None:
        months = max(completed_months(origin, on) - outside, 0)
    age = (
        None
        if months is None
        else f"{months // 12} năm {months % 12} tháng / {months // 12} years {months % 12} months"
    )
    return MembershipDates(
        candidate_id=candidate_id,
        on=on,
        admission_decided_on=decided,
        ceremony_on=_as_date(dates.get("ceremony_on")),
        official_on=official,
        recognised=full_member,
        party_age_from=origin,
        months_outside=outside,
        party_age_months=months,
        party_age=age,
    )


__all__ = ["MembershipDates", "membership_dates"]
