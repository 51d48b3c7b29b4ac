"""Age and education exceptions as data on the candidate, and the written consent they need (issue 12, item 4).

Domain reference §2.1, §4.4, §4.5; regulations-2025.md §1.2 (Quy định 294-QĐ/TW Mục 1, Hướng dẫn 06-HD/TW Mục 1,
in words identical to 24-QĐ/TW and 01-HD/TW of 2021):

* **Over 60** (more than 720 completed months at the cell's vote): admitted only if healthy and of good standing,
  **and** working or living where there is no party organisation or no party member, or for a special
  requirement; the province-level standing board consents in writing before the decision. The candidate's
  attributes say which basis (``over_60_basis``) and confirm health (``good_health``) and standing
  (``good_reputation``): guard ``over_60_ok``.
* **Education exceptions** (below lower secondary): (a) mountain, border, island, ethnic-minority areas
  (``remote_area``) and fishermen regularly at sea (``fisherman_at_sea``): completed primary school;
  (b) village elders, hamlet heads and prestigious persons in those areas: able to read and write Vietnamese
  script (``reads_writes_vietnamese``), with the provincial standing board's written consent. The candidate's
  attribute ``education_exception`` names the case; ``education_ok`` with ``named_exceptions: true`` judges it.
* **Consent before the decision**: ``exception_consent_ok`` refuses the decision while a candidate who needs the
  consent (over 60 on the vote date, or an education exception listed in ``consent_for``) has none on file.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import Field

from admission_flow.dates import completed_months
from admission_flow.domain.values import EDUCATION_LEVELS, CandidateFacts, reason
from admission_flow.errors import Reason
from admission_flow.guards.base import DateRef, FlagRef, GuardContext, GuardParams, GuardRegistry
from admission_flow.guards.common import date_missing

__all__ = [
    "AREA_EXCEPTIONS",
    "ELDER_EXCEPTIONS",
    "EXCEPTION_LABELS",
    "OVER_60_BASES",
    "ExceptionConsentParams",
    "Over60Params",
    "as_bool",
    "education_exception",
    "exception_consent_ok",
    "over_60_ok",
    "register_exception_guards",
]

AREA_EXCEPTIONS = ("remote_area", "fisherman_at_sea")  # exception (a): primary school completed
ELDER_EXCEPTIONS = ("village_elder", "hamlet_head", "prestigious_person")  # exception (b): reads and writes
OVER_60_BASES = ("no_party_organisation", "no_party_member", "special_requirement")
EXCEPTION_LABELS: dict[str, tuple[str, str]] = {
    "remote_area": ("vùng cao, biên giới, hải đảo, vùng đồng bào dân tộc thiểu số", "remote or ethnic-minority area"),
    "fisherman_at_sea": ("ngư dân thường xuyên làm việc trên biển", "fisherman regularly at sea"),
    "village_elder": ("già làng", "village elder"),
    "hamlet_head": ("trưởng bản, trưởng thôn", "hamlet head"),
    "prestigious_person": ("người có uy tín", "prestigious person"),
    "over_60": ("trên 60 tuổi", "over 60"),
}
_TRUE_TEXTS = frozenset({"true", "yes", "1", "có", "co"})


def as_bool(value: Any) -> bool:
    """A yes/no attribute: ``True`` or a text meaning yes."""
    return value is True or (isinstance(value, str) and value.strip().casefold() in _TRUE_TEXTS)


def education_exception(candidate: CandidateFacts) -> str | None:
    """The education exception the candidate claims: the attribute ``education_exception``, else ``remote_area``
    when the candidate's remote-area field is set, else None."""
    named = candidate.attributes.get("education_exception")
    if isinstance(named, str) and named.strip():
        return named.strip()
    return "remote_area" if candidate.remote_area else None


def _over_60(ctx: GuardContext, on_name: str, max_months: int) -> tuple[bool | None, Mapping[str, Any]]:
    """Whether the candidate is over the age limit on ``on_name`` (None when a date is missing), and the values."""
    birth, on = ctx.candidate.birth_date, ctx.date(on_name)
    if birth is None or on is None:
        return None, {}
    months = completed_months(birth, on)
    return months > max_months, {"age_months": months, "on": on, "max_months": max_months}


def _meets_general_rule(level: str | None) -> bool:
    """Lower-secondary graduation or higher: no education exception is needed."""
    ranks = EDUCATION_LEVELS.index
    return level in EDUCATION_LEVELS and ranks(level) >= ranks("lower_secondary")


# ---------------------------------------------------------------- over_60_ok


class Over60Params(GuardParams):
    on: DateRef = "occurred_on"
    max_months: int = Field(default=720, ge=0)  # up to this many completed months is not "over 60"
    bases: list[str] = Field(default_factory=lambda: list(OVER_60_BASES), min_length=1)
    health_and_reputation: bool = True


def over_60_ok(ctx: GuardContext, p: Over60Params) -> Iterator[Reason]:
    """A candidate over 60 has a recorded basis, good health and good standing (QĐ 294 Mục 1; HD 06 Mục 1)."""
    g = "over_60_ok"
    if ctx.candidate.birth_date is None:
        yield reason("birth_date_missing", g, en="The birth date is not recorded", vi="Chưa có ngày sinh")
    if ctx.date(p.on) is None:
        yield date_missing(g, p.on)
    over, values = _over_60(ctx, p.on, p.max_months)
    if not over:
        return
    attrs = ctx.candidate.attributes
    basis = attrs.get("over_60_basis")
    if basis in (None, ""):
        en = f"Over 60 ({values['age_months']} months on {values['on']}): the basis is not recorded (over_60_basis)"
        vi = f"Người vào Đảng trên 60 tuổi ({values['age_months']} tháng tính đến ngày {values['on']}): chưa ghi "
        vi += "căn cứ (nơi chưa có tổ chức đảng, chưa có đảng viên, hoặc yêu cầu đặc biệt)"
        yield reason("over_60_basis_missing", g, en=en, vi=vi, bases=p.bases, **values)
    elif basis not in p.bases:
        en = f"Over 60: the basis {basis!r} is not one of {', '.join(p.bases)}"
        vi = f"Người vào Đảng trên 60 tuổi: căn cứ {basis!r} không thuộc {', '.join(p.bases)}"
        yield reason("over_60_basis_unknown", g, en=en, vi=vi, basis=basis, bases=p.bases, **values)
    if not p.health_and_reputation:
        return
    if not as_bool(attrs.get("good_health")):
        en, vi = "Over 60: good health is not confirmed (good_health)", "Người trên 60 tuổi: chưa xác nhận đủ sức khỏe"
        yield reason("over_60_health_not_confirmed", g, en=en, vi=vi, **values)
    if not as_bool(attrs.get("good_reputation")):
        en = "Over 60: good standing among the people is not confirmed (good_reputation)"
        vi = "Người trên 60 tuổi: chưa xác nhận có uy tín trong nhân dân"
        yield reason("over_60_reputation_not_confirmed", g, en=en, vi=vi, **values)


# ---------------------------------------------------------------- exception_consent_ok


class ExceptionConsentParams(GuardParams):
    age_on: DateRef = "branch_resolution_on"  # the age is counted on the cell's vote
    max_months: int = Field(default=720, ge=0)
    consent_for: list[str] = Field(default_factory=lambda: list(ELDER_EXCEPTIONS))
    flag: FlagRef = "exception_consent"


def exception_consent_ok(ctx: GuardContext, p: ExceptionConsentParams) -> Iterator[Reason]:
    """A candidate over 60, or admitted under an education exception listed in ``consent_for``, has the written
    consent of the province-level standing board on file before the decision (QĐ 294 Mục 1; HD 06 Mục 1)."""
    g = "exception_consent_ok"
    if ctx.date(p.age_on) is None:
        yield date_missing(g, p.age_on)
    over, values = _over_60(ctx, p.age_on, p.max_months)
    needs = ["over_60"] if over else []
    basis = education_exception(ctx.candidate)
    if basis in p.consent_for and not _meets_general_rule(ctx.candidate.education):
        needs.append(basis)
    if not needs or p.flag in ctx.flags:
        return
    names_vi = ", ".join(EXCEPTION_LABELS.get(n, (n, n))[0] for n in needs)
    names_en = ", ".join(EXCEPTION_LABELS.get(n, (n, n))[1] for n in needs)
    en = f"The written consent of the province-level standing board is not on file ({names_en})"
    vi = f"Chưa có văn bản đồng ý của Ban Thường vụ cấp ủy trực thuộc Trung ương ({names_vi})"
    yield reason("exception_consent_missing", g, en=en, vi=vi, exceptions=needs, flag=p.flag, **values)


def register_exception_guards(registry: GuardRegistry) -> None:
    registry.register("over_60_ok", over_60_ok, Over60Params, "a candidate over 60 has a basis, health, standing")
    registry.register(
        "exception_consent_ok",
        exception_consent_ok,
        ExceptionConsentParams,
        "the written consent an exception needs is on file",
    )
