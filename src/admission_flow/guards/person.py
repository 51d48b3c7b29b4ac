"""Built-in guards on the candidate themself: ``age_in_range``, ``education_ok``, ``personal_id_recorded`` and
``candidate_field``.

Rule sources are cited as in ``docs/domain`` (QĐ 24 = Quy định 24-QĐ/TW 2021, HD 01 = Hướng dẫn 01-HD/TW 2021,
ĐL = Điều lệ Đảng).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields
from typing import Any

from pydantic import ConfigDict, Field, field_validator, model_validator

from admission_flow.dates import completed_months
from admission_flow.domain.identity import personal_id_problems
from admission_flow.domain.values import EDUCATION_LEVELS, CandidateFacts, reason
from admission_flow.errors import Reason
from admission_flow.guards.base import DateRef, GuardContext, GuardParams, NoParams
from admission_flow.guards.common import date_missing
from admission_flow.guards.exceptions import (
    AREA_EXCEPTIONS,
    ELDER_EXCEPTIONS,
    EXCEPTION_LABELS,
    as_bool,
    education_exception,
)

__all__ = [
    "AgeParams",
    "CandidateFieldParams",
    "EducationParams",
    "age_in_range",
    "candidate_field",
    "education_ok",
    "personal_id_recorded",
]

_LEVEL_LABELS: dict[str, tuple[str, str]] = {
    "none": ("chưa hoàn thành tiểu học", "no completed schooling"),
    "primary": ("hoàn thành tiểu học", "primary school"),
    "lower_secondary": ("tốt nghiệp trung học cơ sở", "lower-secondary graduation"),
    "upper_secondary": ("tốt nghiệp trung học phổ thông", "upper-secondary graduation"),
    "vocational": ("trung cấp", "vocational diploma"),
    "college": ("cao đẳng", "college degree"),
    "university": ("đại học", "university degree"),
    "postgraduate": ("sau đại học", "postgraduate degree"),
}
_CANDIDATE_FIELDS = frozenset(f.name for f in fields(CandidateFacts)) - {"attributes"}


# ---------------------------------------------------------------- helpers


def _years(months: int) -> tuple[str, str]:
    years, rest = divmod(months, 12)
    if rest == 0:
        return f"{years} tuổi", f"{years} years"
    return f"{years} tuổi {rest} tháng", f"{years} years {rest} months"


# ---------------------------------------------------------------- age_in_range


class AgeParams(GuardParams):
    min_months: int = Field(default=216, ge=0)
    max_months: int | None = Field(default=720, ge=0)
    on: DateRef = "occurred_on"

    @model_validator(mode="after")
    def _ordered(self) -> AgeParams:
        if self.max_months is not None and self.max_months < self.min_months:
            raise ValueError("max_months must not be below min_months")
        return self


def age_in_range(ctx: GuardContext, p: AgeParams) -> Iterator[Reason]:
    """Age in completed months on a date lies in [min, max] (ĐL Art. 1.2; QĐ 24 §1.1: 18 to 60 years)."""
    g, birth, on = "age_in_range", ctx.candidate.birth_date, ctx.date(p.on)
    if birth is None:
        yield reason("birth_date_missing", g, en="The birth date is not recorded", vi="Chưa có ngày sinh")
    if on is None:
        yield date_missing(g, p.on)
    if birth is None or on is None:
        return
    age = completed_months(birth, on)
    values = {"birth_date": birth, "on": on, "age_months": age, "min_months": p.min_months}
    values["max_months"] = p.max_months
    if age < p.min_months:
        vi_y, en_y = _years(p.min_months)
        en = f"Age on {on} is {age} months, below the minimum of {p.min_months} months ({en_y})"
        vi = f"Tuổi tính đến ngày {on} là {age} tháng, chưa đủ {p.min_months} tháng ({vi_y})"
        yield reason("age_below_minimum", g, en=en, vi=vi, **values)
    if p.max_months is not None and age > p.max_months:
        vi_y, en_y = _years(p.max_months)
        en = f"Age on {on} is {age} months, above the maximum of {p.max_months} months ({en_y})"
        vi = f"Tuổi tính đến ngày {on} là {age} tháng, vượt quá {p.max_months} tháng ({vi_y})"
        yield reason("age_above_maximum", g, en=en, vi=vi, **values)


# ---------------------------------------------------------------- education_ok


class EducationParams(GuardParams):
    min_level: str = "lower_secondary"
    exception_min_level: str = "primary"
    allow_remote_area_exception: bool = True
    # The exceptions named on the candidate (issue 12, item 4; HD 06-2025 Mục 1): attribute `education_exception`
    # (remote_area, fisherman_at_sea; village_elder, hamlet_head, prestigious_person). Off by default: released
    # versions keep their rule; a new version turns it on.
    named_exceptions: bool = False

    @field_validator("min_level", "exception_min_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value not in EDUCATION_LEVELS:
            raise ValueError(f"unknown education level {value!r} (known: {', '.join(EDUCATION_LEVELS)})")
        return value


def education_ok(ctx: GuardContext, p: EducationParams) -> Iterator[Reason]:
    """Education at least lower secondary, or primary in remote areas (QĐ 24 §1.1; HD 01 §1.2)."""
    g, level = "education_ok", ctx.candidate.education
    if level is None or level not in EDUCATION_LEVELS:
        en = f"The candidate's education is not recorded or not recognised ({level!r})"
        vi = f"Chưa ghi nhận hoặc không nhận diện được trình độ học vấn ({level!r})"
        yield reason("education_missing", g, en=en, vi=vi, level=level, required=p.min_level)
        return
    rank = EDUCATION_LEVELS.index
    if rank(level) >= rank(p.min_level):
        return
    if p.named_exceptions:
        yield from _named_exception(ctx, level, p)
        return
    exception = p.allow_remote_area_exception and ctx.candidate.remote_area
    if exception and rank(level) >= rank(p.exception_min_level):
        return
    (vi_l, en_l), (vi_r, en_r) = _LEVEL_LABELS[level], _LEVEL_LABELS[p.min_level]
    vi_x, en_x = _LEVEL_LABELS[p.exception_min_level]
    en = f"Education '{en_l}' is below the required '{en_r}'"
    vi = f"Trình độ học vấn '{vi_l}' chưa đạt mức tối thiểu '{vi_r}'"
    if exception:
        en += f", even under the remote-area exception (at least '{en_x}')"
        vi += f", kể cả theo ngoại lệ vùng khó khăn (tối thiểu '{vi_x}')"
    values = {"level": level, "required": p.min_level, "remote_area": ctx.candidate.remote_area}
    values |= {"exception_considered": exception, "exception_min_level": p.exception_min_level}
    yield reason("education_below_minimum", g, en=en, vi=vi, **values)


def _below(level: str, p: EducationParams, case: str | None) -> Reason:
    (vi_l, en_l), (vi_r, en_r) = _LEVEL_LABELS[level], _LEVEL_LABELS[p.min_level]
    en = f"Education '{en_l}' is below the required '{en_r}'"
    vi = f"Trình độ học vấn '{vi_l}' chưa đạt mức tối thiểu '{vi_r}'"
    if case is not None:
        (vi_x, en_x), (vi_c, en_c) = _LEVEL_LABELS[p.exception_min_level], EXCEPTION_LABELS[case]
        en += f", even under the exception for a {en_c} (at least '{en_x}')"
        vi += f", kể cả theo ngoại lệ đối với {vi_c} (tối thiểu '{vi_x}')"
    values: dict[str, Any] = {"level": level, "required": p.min_level, "education_exception": case}
    values |= {"exception_considered": case is not None, "exception_min_level": p.exception_min_level}
    return reason("education_below_minimum", "education_ok", en=en, vi=vi, **values)


def _named_exception(ctx: GuardContext, level: str, p: EducationParams) -> Iterator[Reason]:
    """Below the general rule: the exception named on the candidate decides (HD 06-2025 Mục 1)."""
    g, c = "education_ok", ctx.candidate
    case = education_exception(c)
    if case is None:
        yield _below(level, p, None)
    elif case in AREA_EXCEPTIONS:
        if EDUCATION_LEVELS.index(level) < EDUCATION_LEVELS.index(p.exception_min_level):
            yield _below(level, p, case)
    elif case in ELDER_EXCEPTIONS:
        vi_c, en_c = EXCEPTION_LABELS[case]
        if not c.remote_area:
            en = f"The exception for a {en_c} applies only in remote or ethnic-minority areas (remote_area)"
            vi = f"Ngoại lệ đối với {vi_c} chỉ áp dụng ở vùng cao, biên giới, hải đảo, vùng đồng bào dân tộc thiểu số"
            yield reason("education_exception_area_missing", g, en=en, vi=vi, education_exception=case)
        if not as_bool(c.attributes.get("reads_writes_vietnamese")):
            en = f"The exception for a {en_c} needs the ability to read and write Vietnamese (reads_writes_vietnamese)"
            vi = f"Ngoại lệ đối với {vi_c}: phải biết đọc, biết viết chữ quốc ngữ (chưa xác nhận)"
            yield reason("education_exception_literacy_missing", g, en=en, vi=vi, education_exception=case)
    else:
        known = ", ".join(AREA_EXCEPTIONS + ELDER_EXCEPTIONS)
        en = f"Unknown education exception {case!r}; one of: {known}"
        vi = f"Ngoại lệ về học vấn {case!r} không xác định; chọn một trong: {known}"
        yield reason("education_exception_unknown", g, en=en, vi=vi, education_exception=case, level=level)


# ---------------------------------------------------------------- personal_id_recorded


def personal_id_recorded(ctx: GuardContext, p: NoParams) -> Iterator[Reason]:
    """The person's 12-digit identification number is recorded and agrees with the birth date and sex
    (regulations-2025.md D7: the party-member database keys on it; 06-HD/TW §8)."""
    g, c = "personal_id_recorded", ctx.candidate
    if not c.personal_id:
        en = "The 12-digit personal identification number is not recorded (personal_id)"
        vi = "Chưa ghi số định danh cá nhân (12 chữ số)"
        yield reason("personal_id_missing", g, en=en, vi=vi)
        return
    for problem in personal_id_problems(c.personal_id, birth_date=c.birth_date, sex=c.sex):
        yield reason("personal_id_invalid", g, en=problem.en, vi=problem.vi, problem=problem.code)


# ---------------------------------------------------------------- candidate_field


class CandidateFieldParams(GuardParams):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    field: str = Field(min_length=1)
    equals: Any | None = None
    in_: list[Any] | None = Field(default=None, alias="in")

    @model_validator(mode="after")
    def _one_test(self) -> CandidateFieldParams:
        if ("equals" in self.model_fields_set) == (self.in_ is not None):
            raise ValueError("give exactly one of equals, in")
        return self


def candidate_field(ctx: GuardContext, p: CandidateFieldParams) -> Iterator[Reason]:
    """A candidate fact equals a value or is one of several; routes special cases (procedure §4)."""
    c = ctx.candidate
    actual = getattr(c, p.field) if p.field in _CANDIDATE_FIELDS else c.attributes.get(p.field)
    ok = actual in p.in_ if p.in_ is not None else actual == p.equals
    if not ok:
        expected = p.in_ if p.in_ is not None else p.equals
        test_en, test_vi = ("one of", "thuộc") if p.in_ is not None else ("equal to", "bằng")
        en = f"The candidate's '{p.field}' is {actual!r}, expected {test_en} {expected!r}"
        vi = f"Thông tin '{p.field}' của người vào Đảng là {actual!r}, yêu cầu {test_vi} {expected!r}"
        values = {"field": p.field, "actual": actual, "expected": expected}
        yield reason("candidate_field_mismatch", "candidate_field", en=en, vi=vi, **values)
