"""The built-in guards: the eligibility rules of the admission procedure, each a small named check.

Every check yields one :class:`~admission_flow.errors.Reason` per failing rule, with a stable code, a message
in Vietnamese and English naming the values it read, and those values. Rule sources are cited as in
``docs/domain`` (QĐ 24 = Quy định 24-QĐ/TW 2021, HD 01 = Hướng dẫn 01-HD/TW 2021, ĐL = Điều lệ Đảng).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import fields
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Any

from pydantic import ConfigDict, Field, field_validator, model_validator

from admission_flow.dates import Duration, add_months, completed_months
from admission_flow.domain.values import EDUCATION_LEVELS, CandidateFacts, DocumentRecord, reason
from admission_flow.errors import Reason
from admission_flow.guards.base import DateRef, DocumentRef, FlagRef, GuardContext, GuardParams, GuardRegistry

__all__ = [
    "AgeParams",
    "AwarenessCertificateParams",
    "CandidateFieldParams",
    "DataPresentParams",
    "DateNotBeforeParams",
    "DocumentsFreshParams",
    "DocumentsPresentParams",
    "EducationParams",
    "FlagParams",
    "IntroducersParams",
    "OrgKindParams",
    "VoteRatioParams",
    "register_builtin_guards",
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
_TRUE_TEXTS = frozenset({"yes", "true", "1"})
_CANDIDATE_FIELDS = frozenset(f.name for f in fields(CandidateFacts)) - {"attributes"}


# ---------------------------------------------------------------- helpers


def _date_missing(guard: str, name: str) -> Reason:
    en, vi = f"The date '{name}' has not been recorded yet", f"Chưa ghi nhận ngày '{name}'"
    return reason("date_missing", guard, en=en, vi=vi, date=name)


def _years(months: int) -> tuple[str, str]:
    years, rest = divmod(months, 12)
    if rest == 0:
        return f"{years} tuổi", f"{years} years"
    return f"{years} tuổi {rest} tháng", f"{years} years {rest} months"


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() in _TRUE_TEXTS


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        with suppress(ValueError):
            return date.fromisoformat(value.strip())
    return None


def _expires_on(issued: date, validity: Duration) -> date:
    """The first day a paper is no longer usable."""
    if validity.months is not None:
        return add_months(issued, validity.months)
    return issued + timedelta(days=validity.days if validity.days is not None else 7 * (validity.weeks or 0))


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
        yield _date_missing(g, p.on)
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


# ---------------------------------------------------------------- awareness_certificate_valid


class AwarenessCertificateParams(GuardParams):
    months: int = Field(default=60, gt=0)
    on: DateRef = "occurred_on"
    issued: DateRef = Field(default="certificate_issued_on", validate_default=True)


def awareness_certificate_valid(ctx: GuardContext, p: AwarenessCertificateParams) -> Iterator[Reason]:
    """The party-awareness class certificate is less than 60 months old (HD 01 §3.1; HD 06-2025 §5.4)."""
    g, issued, on = "awareness_certificate_valid", ctx.date(p.issued), ctx.date(p.on)
    if issued is None:
        en = f"No party-awareness class certificate: the date '{p.issued}' is not recorded"
        vi = f"Chưa có giấy chứng nhận học lớp bồi dưỡng nhận thức về Đảng (chưa ghi nhận ngày '{p.issued}')"
        yield reason("awareness_certificate_missing", g, en=en, vi=vi, date=p.issued)
    if on is None:
        yield _date_missing(g, p.on)
    if issued is None or on is None:
        return
    if issued > on:
        en = f"The certificate is dated {issued}, after {on}"
        vi = f"Giấy chứng nhận đề ngày {issued}, sau ngày {on}"
        yield reason("awareness_certificate_future", g, en=en, vi=vi, issued_on=issued, on=on)
        return
    elapsed, expired_on = completed_months(issued, on), add_months(issued, p.months)
    if elapsed >= p.months:
        en = f"The certificate issued on {issued} expired on {expired_on}: {elapsed} months by {on}"
        en += f", the limit is {p.months}"
        vi = f"Giấy chứng nhận cấp ngày {issued} đã hết hạn từ ngày {expired_on}: đến ngày {on} đã qua"
        vi += f" {elapsed} tháng, thời hạn {p.months} tháng"
        values = {"issued_on": issued, "on": on, "months_elapsed": elapsed, "limit_months": p.months}
        yield reason("awareness_certificate_expired", g, en=en, vi=vi, expired_on=expired_on, **values)


# ---------------------------------------------------------------- documents_present / documents_fresh


class DocumentsPresentParams(GuardParams):
    documents: list[DocumentRef] = Field(min_length=1)


def documents_present(ctx: GuardContext, p: DocumentsPresentParams) -> Iterator[Reason]:
    """Each listed paper is in the dossier (HD 01 §3: application, background, introductions...)."""
    for kind in p.documents:
        if not ctx.documents.get(kind):
            en, vi = f"The document '{kind}' is missing", f"Thiếu giấy tờ '{kind}'"
            yield reason("document_missing", "documents_present", en=en, vi=vi, document=kind)


class DocumentsFreshParams(GuardParams):
    documents: list[DocumentRef] = Field(default_factory=list)
    validity: dict[DocumentRef, Duration] = Field(default_factory=dict)
    on: DateRef = "occurred_on"


def documents_fresh(ctx: GuardContext, p: DocumentsFreshParams) -> Iterator[Reason]:
    """The newest copy of each paper is still within its validity (HD 01 "thời hạn sử dụng văn bản")."""
    g, on = "documents_fresh", ctx.date(p.on)
    if on is None:
        yield _date_missing(g, p.on)
        return
    validity = {**ctx.document_validity, **p.validity}
    for kind in p.documents or sorted(validity):
        records, duration = ctx.documents.get(kind), validity.get(kind)
        if not records or duration is None:
            continue  # absence is documents_present's business; no validity means it never expires
        issued = max(r.issued_on for r in records)
        expires = _expires_on(issued, duration)
        if expires <= on:
            until = expires - timedelta(days=1)
            en = f"The document '{kind}' dated {issued} was usable through {until}; it has expired by {on}"
            vi = f"Giấy tờ '{kind}' đề ngày {issued} chỉ có giá trị đến hết ngày {until}, đã hết hạn"
            vi += f" tính đến ngày {on}"
            values = {"document": kind, "issued_on": issued, "valid_until": until, "expired_on": expires}
            values["validity"] = duration.model_dump(exclude_none=True)
            yield reason("document_expired", g, en=en, vi=vi, on=on, **values)


# ---------------------------------------------------------------- introducers_ok


class IntroducersParams(GuardParams):
    min_months_together: int = Field(default=12, ge=0)
    on: DateRef = "occurred_on"
    member_document: DocumentRef = Field(default="introduction", validate_default=True)
    union_documents: list[DocumentRef] = Field(
        default_factory=lambda: ["youth_union_resolution", "trade_union_resolution"]
    )


def _introducer_problem(rec: DocumentRecord, on: date, p: IntroducersParams) -> Reason | None:
    """Why one member introducer does not qualify (QĐ 24 §3.2.1), or None when they do."""
    g, attrs = "introducers_ok", rec.attributes
    name = attrs.get("introducer") or rec.reference
    who_en, who_vi = name or "(unnamed)", name or "(chưa ghi tên)"
    if not _as_bool(attrs.get("full_member")):
        en, vi = (
            f"Introducer {who_en} is not a full member",
            f"Người giới thiệu {who_vi} không phải đảng viên chính thức",
        )
        return reason("introducer_not_full_member", g, en=en, vi=vi, introducer=name, full_member=False)
    since = _as_date(attrs.get("together_since"))
    months = completed_months(since, on) if since is not None else None
    if months is not None and months >= p.min_months_together:
        return None
    known = months is not None
    en = f"Introducer {who_en} has worked, studied or lived alongside the candidate for "
    en += f"{months} months" if known else "an unrecorded time (no 'together_since')"
    en += f" by {on}, fewer than {p.min_months_together}"
    vi = f"Người giới thiệu {who_vi} mới công tác, học tập hoặc cư trú cùng người vào Đảng "
    vi += f"{months} tháng" if known else "chưa rõ bao lâu (thiếu ngày bắt đầu)"
    vi += f" tính đến ngày {on}, chưa đủ {p.min_months_together} tháng"
    values = {"introducer": name, "together_since": since, "months_together": months, "on": on}
    return reason("introducer_too_short_together", g, en=en, vi=vi, required=p.min_months_together, **values)


def introducers_ok(ctx: GuardContext, p: IntroducersParams) -> Iterator[Reason]:
    """Two qualifying full members, or one plus a Youth/Trade Union resolution (ĐL Art. 4.1; QĐ 24 §3.1-3.2)."""
    g, on = "introducers_ok", ctx.date(p.on)
    if on is None:
        yield _date_missing(g, p.on)
        return
    members = list(ctx.documents.get(p.member_document, ()))
    problems = [_introducer_problem(rec, on, p) for rec in members]
    qualified = {_key(rec, i) for i, (rec, pr) in enumerate(zip(members, problems, strict=True)) if pr is None}
    union = any(ctx.documents.get(kind) for kind in p.union_documents)
    required = 1 if union else 2
    if len(qualified) >= required:
        return
    en = f"Not enough introducers: {len(qualified)} qualifying full member(s)"
    en += ", with a union resolution" if union else ", no union resolution"
    en += f"; {required} needed"
    vi = f"Chưa đủ người giới thiệu: có {len(qualified)} đảng viên chính thức đủ điều kiện"
    vi += ", có nghị quyết giới thiệu của Đoàn/Công đoàn" if union else ", không có nghị quyết của Đoàn/Công đoàn"
    vi += f"; cần {required}"
    values = {"qualifying_members": len(qualified), "union_introduction": union, "required": required}
    yield reason("introducers_insufficient", g, en=en, vi=vi, **values)
    yield from (pr for pr in problems if pr is not None)


def _key(rec: DocumentRecord, index: int) -> str:
    """One introducer counts once, however many letters they signed; unnamed letters count apart."""
    name = rec.attributes.get("introducer")
    return f"name:{str(name).strip().casefold()}" if name else f"letter:{index}"


# ---------------------------------------------------------------- vote_ratio


class VoteRatioParams(GuardParams):
    at_least: str = "2/3"
    min_eligible: int = Field(default=3, ge=1)

    @field_validator("at_least", mode="before")
    @classmethod
    def _number_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value

    @field_validator("at_least")
    @classmethod
    def _fraction(cls, value: str) -> str:
        try:
            share = Fraction(value.strip())
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"{value!r} is not a fraction such as '2/3' or '0.5'") from None
        if not 0 < share <= 1:
            raise ValueError(f"{value!r} must be above 0 and at most 1")
        return value.strip()


def vote_ratio(ctx: GuardContext, p: VoteRatioParams) -> Iterator[Reason]:
    """At least a share (2/3) of all full members voted in favour (ĐL Art. 4; HD 06 §3.6(b))."""
    g, v = "vote_ratio", ctx.votes
    if v is None:
        yield reason("votes_missing", g, en="No vote result is recorded", vi="Chưa có kết quả biểu quyết")
        return
    values = {"in_favour": v.in_favour, "eligible": v.eligible, "against": v.against}
    against = v.against or 0
    if v.eligible <= 0 or not 0 <= v.in_favour <= v.eligible or against < 0 or v.in_favour + against > v.eligible:
        en = f"Invalid vote result: {v.in_favour} in favour, {v.against} against, of {v.eligible} full members"
        vi = f"Kết quả biểu quyết không hợp lệ: {v.in_favour} tán thành, {v.against} không tán thành"
        yield reason("votes_invalid", g, en=en, vi=vi + f" trên tổng số {v.eligible} đảng viên chính thức", **values)
        return
    if v.eligible < p.min_eligible:
        en = f"The voting body has {v.eligible} full members; at least {p.min_eligible} are needed"
        vi = f"Tổ chức biểu quyết chỉ có {v.eligible} đảng viên chính thức, cần ít nhất {p.min_eligible}"
        yield reason("voting_body_too_small", g, en=en, vi=vi, min_eligible=p.min_eligible, **values)
        return
    share = Fraction(p.at_least)
    if Fraction(v.in_favour, v.eligible) < share:
        needed = math.ceil(share * v.eligible)
        en = f"{v.in_favour} of {v.eligible} full members voted in favour, below {p.at_least}; {needed} needed"
        vi = f"{v.in_favour}/{v.eligible} đảng viên chính thức tán thành, chưa đạt tỷ lệ {p.at_least}"
        vi += f" (cần ít nhất {needed})"
        yield reason("vote_ratio_not_reached", g, en=en, vi=vi, required=p.at_least, needed=needed, **values)


# ---------------------------------------------------------------- dates, flags, organisation, candidate, data


class DateNotBeforeParams(GuardParams):
    date: DateRef = "occurred_on"
    not_before: DateRef


def date_not_before(ctx: GuardContext, p: DateNotBeforeParams) -> Iterator[Reason]:
    """One date is on or after another, e.g. the recognition vote after probation ends (procedure Stage K)."""
    g, d, nb = "date_not_before", ctx.date(p.date), ctx.date(p.not_before)
    yield from (_date_missing(g, name) for name, v in ((p.date, d), (p.not_before, nb)) if v is None)
    if d is not None and nb is not None and d < nb:
        en = f"'{p.date}' ({d}) is before '{p.not_before}' ({nb})"
        vi = f"Ngày '{p.date}' ({d}) trước ngày '{p.not_before}' ({nb})"
        values = {"date": p.date, "on": d, "not_before": p.not_before, "not_before_on": nb}
        yield reason("date_too_early", g, en=en, vi=vi, **values)


class FlagParams(GuardParams):
    flag: FlagRef


def flag_set(ctx: GuardContext, p: FlagParams) -> Iterator[Reason]:
    """A yes/no fact has been recorded, e.g. background certified (HD 01-2021 §3.3(b))."""
    if p.flag not in ctx.flags:
        en, vi = f"'{p.flag}' has not been confirmed", f"Chưa xác nhận '{p.flag}'"
        yield reason("flag_missing", "flag_set", en=en, vi=vi, flag=p.flag)


def flag_not_set(ctx: GuardContext, p: FlagParams) -> Iterator[Reason]:
    """A yes/no fact has not been recorded, e.g. no disqualifying finding (58-QĐ/TW)."""
    if p.flag in ctx.flags:
        en, vi = f"'{p.flag}' is recorded and must not be", f"Đã ghi nhận '{p.flag}', điều kiện yêu cầu chưa có"
        yield reason("flag_present", "flag_not_set", en=en, vi=vi, flag=p.flag)


class OrgKindParams(GuardParams):
    kinds: list[str] = Field(default_factory=list)
    parent_kinds: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _something(self) -> OrgKindParams:
        if not self.kinds and not self.parent_kinds:
            raise ValueError("give kinds, parent_kinds or both")
        return self


def org_kind(ctx: GuardContext, p: OrgKindParams) -> Iterator[Reason]:
    """The organisation or its parent is of a kind; routes to e.g. partial-committee appraisal (procedure Stage F)."""
    kind, parent = ctx.org.kind, ctx.org.parent_kind
    if (not p.kinds or kind in p.kinds) and (not p.parent_kinds or parent in p.parent_kinds):
        return
    en = f"Organisation kind '{kind}' (parent '{parent}') does not match kinds {p.kinds}"
    en += f" / parent kinds {p.parent_kinds}"
    vi = f"Loại tổ chức '{kind}' (cấp trên '{parent}') không thuộc {p.kinds} / cấp trên {p.parent_kinds}"
    values = {"kind": kind, "parent_kind": parent, "kinds": p.kinds, "parent_kinds": p.parent_kinds}
    yield reason("org_kind_mismatch", "org_kind", en=en, vi=vi, **values)


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


class DataPresentParams(GuardParams):
    keys: list[str] = Field(min_length=1)


def data_present(ctx: GuardContext, p: DataPresentParams) -> Iterator[Reason]:
    """The event carries each listed piece of data, e.g. a decision number (procedure Stage H)."""
    for key in p.keys:
        value = ctx.data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            en, vi = f"The data '{key}' is missing", f"Thiếu thông tin '{key}'"
            yield reason("data_missing", "data_present", en=en, vi=vi, key=key)


# ---------------------------------------------------------------- registration

_BUILTINS: tuple[tuple[str, Callable[[GuardContext, Any], Iterator[Reason]], type[GuardParams]], ...] = (
    ("age_in_range", age_in_range, AgeParams),
    ("education_ok", education_ok, EducationParams),
    ("awareness_certificate_valid", awareness_certificate_valid, AwarenessCertificateParams),
    ("documents_present", documents_present, DocumentsPresentParams),
    ("documents_fresh", documents_fresh, DocumentsFreshParams),
    ("introducers_ok", introducers_ok, IntroducersParams),
    ("vote_ratio", vote_ratio, VoteRatioParams),
    ("date_not_before", date_not_before, DateNotBeforeParams),
    ("flag_set", flag_set, FlagParams),
    ("flag_not_set", flag_not_set, FlagParams),
    ("org_kind", org_kind, OrgKindParams),
    ("candidate_field", candidate_field, CandidateFieldParams),
    ("data_present", data_present, DataPresentParams),
)


def register_builtin_guards(registry: GuardRegistry) -> None:
    """Register every built-in guard; each description is the first line of the check's docstring."""
    for name, check, params in _BUILTINS:
        registry.register(name, check, params, (check.__doc__ or "").strip().splitlines()[0])
