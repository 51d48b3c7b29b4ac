"""Planning an organisation's admissions: targets and quotas, their allocation down the tree, the sourcing plan's
2–3× rule, and the classes held (issue 10, items 3 and classes). Plain data and pure checks, no I/O.

A **term target** (``term``) is the number of admissions a congress term aims at (e.g. 500 for 2020–2025); an
**annual quota** (``annual``) is a year's. Each may carry the size of the **sourcing plan** (the list of people
prepared, quy hoạch tạo nguồn), which the guidance wants at 2 to 3 times the quota. A parent's quota is
**allocated** to its children: their quotas for the same period should add up to the parent's. Both rules are
warnings, never refusals: the plan is the organisation's to make, the engine only points out what looks off.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from admission_flow.domain.inputs import no_nul, plain_text
from admission_flow.domain.records import Record

TargetKind = Literal["term", "annual"]
ClassKind = Literal["awareness", "new_member"]
COUNT_LIMIT = 10_000_000  # more admissions or attendees than the whole Party has members is a typing mistake


class NewTarget(BaseModel):
    """A target or quota as set: replaces any earlier one of the same organisation, kind and start date."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    _text = field_validator("*")(no_nul)
    _note = field_validator("note", mode="before")(plain_text)

    org_id: str = Field(min_length=1, max_length=64)
    kind: TargetKind
    starts_on: date
    ends_on: date = Field(description="inclusive")
    admissions: int = Field(ge=0, le=COUNT_LIMIT, description="admissions aimed at in the period")
    sourcing_plan: int | None = Field(default=None, ge=0, le=COUNT_LIMIT, description="people in the sourcing plan")
    note: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _period(self) -> NewTarget:
        if self.ends_on < self.starts_on:
            raise ValueError(f"ends_on {self.ends_on} is before starts_on {self.starts_on}")
        return self


class NewClass(BaseModel):
    """A party-awareness class or a new-member class an organisation held."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    _text = field_validator("*")(no_nul)
    _plain = field_validator("reference", "note", mode="before")(plain_text)

    org_id: str = Field(min_length=1, max_length=64)
    kind: ClassKind
    reference: str = Field(min_length=1, max_length=64, description="the class's number or name, unique per org")
    starts_on: date
    ends_on: date | None = None
    attendees: int = Field(ge=0, le=COUNT_LIMIT)
    note: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _period(self) -> NewClass:
        if self.ends_on is not None and self.ends_on < self.starts_on:
            raise ValueError(f"ends_on {self.ends_on} is before starts_on {self.starts_on}")
        return self


@dataclass(frozen=True)
class PlanWarning(Record):
    """Something in a plan that looks off: a stable code, the numbers read, and why in both languages."""

    code: str
    org_id: str
    message_vi: str
    message_en: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TargetRecord(Record):
    id: int
    org_id: str
    kind: str
    starts_on: date
    ends_on: date
    admissions: int
    sourcing_plan: int | None
    note: str | None
    warnings: list[PlanWarning] = field(default_factory=list)


@dataclass(frozen=True)
class AllocationRecord(Record):
    """A parent's target beside the sum of its children's for the same kind and period."""

    org_id: str
    kind: str
    starts_on: date
    ends_on: date
    admissions: int
    children: int  # organisations directly below
    children_with_target: int
    allocated: int  # the sum of their targets
    status: str  # balanced | short | over | unallocated
    warnings: list[PlanWarning] = field(default_factory=list)


@dataclass(frozen=True)
class ClassRecord(Record):
    id: int
    org_id: str
    kind: str
    reference: str
    starts_on: date
    ends_on: date | None
    attendees: int
    note: str | None


@dataclass(frozen=True)
class SourcingRule:
    """The sourcing plan should hold between ``low`` and ``high`` times the quota (both inclusive)."""

    low: Fraction = Fraction(2)
    high: Fraction = Fraction(3)

    @classmethod
    def of(cls, low: float, high: float) -> SourcingRule:
        """From settings' factors, read exactly as written (2.5 is 5/2, not a binary approximation)."""
        return cls(Fraction(str(low)), Fraction(str(high)))


def _factor(value: Fraction) -> str:
    return f"{float(value):g}"


def sourcing_warning(org_id: str, admissions: int, plan: int | None, rule: SourcingRule) -> PlanWarning | None:
    """A warning when the sourcing plan is under ``low``× or over ``high``× the quota; none at exactly either
    bound, without a plan, or for a quota of zero (an organisation without a quota may still source)."""
    if plan is None or admissions == 0:
        return None
    values: dict[str, Any] = {"admissions": admissions, "sourcing_plan": plan, "ratio": round(plan / admissions, 2)}
    if plan < rule.low * admissions:
        values["expected_at_least"] = _factor(rule.low)
        return PlanWarning(
            "sourcing_plan_small",
            org_id,
            f"Danh sách tạo nguồn {plan} người, dưới {_factor(rule.low)} lần chỉ tiêu {admissions}",
            f"the sourcing plan of {plan} is under {_factor(rule.low)}× the quota of {admissions}",
            values,
        )
    if plan > rule.high * admissions:
        values["expected_at_most"] = _factor(rule.high)
        return PlanWarning(
            "sourcing_plan_large",
            org_id,
            f"Danh sách tạo nguồn {plan} người, vượt {_factor(rule.high)} lần chỉ tiêu {admissions}",
            f"the sourcing plan of {plan} is over {_factor(rule.high)}× the quota of {admissions}",
            values,
        )
    return None


def allocation_status(admissions: int, allocated: int, children_with_target: int) -> str:
    """How the children's targets compare with the parent's: ``unallocated`` while no child has one."""
    if children_with_target == 0:
        return "unallocated"
    if allocated < admissions:
        return "short"
    return "over" if allocated > admissions else "balanced"


def allocation_warning(org_id: str, admissions: int, allocated: int, status: str) -> PlanWarning | None:
    """A warning when the children's targets add up to less or more than the parent's."""
    values: dict[str, Any] = {"admissions": admissions, "allocated": allocated, "difference": allocated - admissions}
    if status == "short":
        return PlanWarning(
            "allocation_short",
            org_id,
            f"Chỉ tiêu giao cho các đơn vị trực thuộc cộng lại {allocated}, thiếu {admissions - allocated} "
            f"so với chỉ tiêu {admissions}",
            f"the children's targets add up to {allocated}, {admissions - allocated} short of {admissions}",
            values,
        )
    if status == "over":
        return PlanWarning(
            "allocation_over",
            org_id,
            f"Chỉ tiêu giao cho các đơn vị trực thuộc cộng lại {allocated}, vượt {allocated - admissions} "
            f"so với chỉ tiêu {admissions}",
            f"the children's targets add up to {allocated}, {allocated - admissions} over {admissions}",
            values,
        )
    return None


def year_period(year: int) -> tuple[date, date]:
    """A calendar year as an inclusive period (an annual quota's usual span)."""
    return date(year, 1, 1), date(year, 12, 31)


__all__ = [
    "AllocationRecord",
    "ClassRecord",
    "NewClass",
    "NewTarget",
    "PlanWarning",
    "SourcingRule",
    "TargetRecord",
    "allocation_status",
    "allocation_warning",
    "sourcing_warning",
    "year_period",
]
