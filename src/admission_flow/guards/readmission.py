"""The re-admission guard ``readmission_ok`` (kết nạp lại; QĐ 24 §3.5.1, kept by QĐ 294; domain ref. §4.6).

A former member may be admitted again when every normal condition holds and, in addition:

* they left for a reason that allows it: the never-re-admit list (abandoning Party activity, applying to leave
  except for exceptional family hardship, causing serious internal disunity, a corruption conviction, a
  serious or graver crime) refuses with its own code, ``readmission_never_allowed``;
* at least ``wait_months`` (36) completed months separate leaving from the date checked (the cell's vote);
* after a conviction of a less-serious crime, at least ``expungement_wait_months`` (60) completed months
  separate the expungement of that conviction from the date checked;
* they have not been re-admitted before: re-admission happens once per person.

The reason for leaving and the earlier re-admission are read from the newest paper ``paper`` (the declaration
of the previous membership, attributes ``left_reason`` and ``readmitted_before``), else from the candidate's
attributes of the same names. The dates are the workflow's dates ``left_on`` and ``expunged_on``. The lists and
the waits are parameters: the reference marks no part of them [U], but a rule set may still change them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from pydantic import Field, model_validator

from admission_flow.dates import add_months, completed_months
from admission_flow.domain.values import reason
from admission_flow.errors import Reason
from admission_flow.guards.base import DateRef, GuardContext, GuardParams, GuardRegistry
from admission_flow.guards.common import date_missing

__all__ = ["NEVER_READMITTED", "READMISSION_ALLOWED", "ReadmissionParams", "readmission_facts", "readmission_ok"]

G = "readmission_ok"
READMISSION_ALLOWED = (
    "struck_off",
    "expelled",
    "lost_contact",
    "applied_to_leave_family_hardship",
    "less_serious_crime",
)
NEVER_READMITTED = (
    "abandoned_activity",
    "applied_to_leave",
    "serious_disunity",
    "corruption_conviction",
    "serious_crime",
)
_REASON_LABELS: dict[str, tuple[str, str]] = {
    "abandoned_activity": ("bỏ sinh hoạt đảng", "abandoning Party activity"),
    "applied_to_leave": ("xin ra khỏi Đảng (không vì hoàn cảnh gia đình đặc biệt khó khăn)", "applying to leave"),
    "serious_disunity": ("gây mất đoàn kết nội bộ nghiêm trọng", "causing serious internal disunity"),
    "corruption_conviction": ("bị kết án về tội tham nhũng", "a corruption conviction"),
    "serious_crime": ("bị kết án về tội nghiêm trọng trở lên", "a conviction of a serious or graver crime"),
}
_TRUE_TEXTS = frozenset({"true", "yes", "1", "có", "co"})


class ReadmissionParams(GuardParams):
    left_on: DateRef = "left_party_on"
    expunged_on: DateRef = "conviction_expunged_on"
    on: DateRef = "occurred_on"
    wait_months: int = Field(default=36, ge=0)
    expungement_wait_months: int = Field(default=60, ge=0)
    paper: str = "previous_membership"
    allowed_reasons: list[str] = Field(default_factory=lambda: list(READMISSION_ALLOWED), min_length=1)
    never_reasons: list[str] = Field(default_factory=lambda: list(NEVER_READMITTED))
    conviction_reasons: list[str] = Field(default_factory=lambda: ["less_serious_crime"])
    waits: bool = True  # false: only the reason for leaving and "once" (an early step; the waits are for the vote)

    @model_validator(mode="after")
    def _disjoint(self) -> ReadmissionParams:
        both = sorted(set(self.allowed_reasons) & set(self.never_reasons))
        if both:
            raise ValueError(f"a reason cannot be both allowed and never re-admitted: {', '.join(both)}")
        unknown = sorted(set(self.conviction_reasons) - set(self.allowed_reasons))
        if unknown:
            raise ValueError(f"conviction_reasons must be allowed reasons: {', '.join(unknown)}")
        return self


def readmission_facts(ctx: GuardContext, paper: str) -> Mapping[str, Any]:
    """The newest declaration paper's attributes, else the candidate's attributes."""
    papers = ctx.documents.get(paper, ())
    if papers:
        return max(papers, key=lambda rec: rec.issued_on).attributes
    return ctx.candidate.attributes


def _as_bool(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().casefold() in _TRUE_TEXTS)


def readmission_ok(ctx: GuardContext, p: ReadmissionParams) -> Iterator[Reason]:
    """A former member may be admitted again on ``on`` (QĐ 24 §3.5.1): reason for leaving, once, the waits."""
    facts = readmission_facts(ctx, p.paper)
    if _as_bool(facts.get("readmitted_before")):
        en = "The person has already been re-admitted once; re-admission is allowed only once"
        vi = "Người này đã được kết nạp lại một lần; chỉ được kết nạp lại một lần"
        yield reason("readmission_only_once", G, en=en, vi=vi)
    yield from _reason_for_leaving(facts.get("left_reason"), p)
    if not p.waits:
        return
    on = ctx.date(p.on)
    if on is None:
        yield date_missing(G, p.on)
        return
    left = ctx.date(p.left_on)
    if left is None:
        yield date_missing(G, p.left_on)
    else:
        yield from _wait(left, on, p.wait_months, "readmission_wait_not_over", ("ra khỏi Đảng", "leaving the Party"))
    if facts.get("left_reason") in p.conviction_reasons:
        expunged = ctx.date(p.expunged_on)
        if expunged is None:
            en = "The person left after a conviction, but the date it was expunged is not recorded"
            vi = "Người này ra khỏi Đảng do bị kết án nhưng chưa ghi nhận ngày được xóa án tích"
            yield reason("conviction_expungement_missing", G, en=en, vi=vi, date=p.expunged_on)
        else:
            code, what = "readmission_expungement_wait_not_over", ("được xóa án tích", "the conviction was expunged")
            yield from _wait(expunged, on, p.expungement_wait_months, code, what)


def _reason_for_leaving(left_reason: Any, p: ReadmissionParams) -> Iterator[Reason]:
    if left_reason in (None, ""):
        en = "The reason for leaving the Party is not recorded (left_reason)"
        vi = "Chưa ghi nhận lý do ra khỏi Đảng (left_reason)"
        yield reason("left_reason_missing", G, en=en, vi=vi, allowed=p.allowed_reasons)
    elif left_reason in p.never_reasons:
        vi_r, en_r = _REASON_LABELS.get(str(left_reason), (str(left_reason), str(left_reason)))
        en = f"A person who left the Party for {en_r} is never re-admitted"
        vi = f"Không kết nạp lại người đã ra khỏi Đảng vì {vi_r}"
        yield reason("readmission_never_allowed", G, en=en, vi=vi, left_reason=left_reason)
    elif left_reason not in p.allowed_reasons:
        en = f"Unknown reason for leaving {left_reason!r}; one of: {', '.join(p.allowed_reasons + p.never_reasons)}"
        vi = f"Lý do ra khỏi Đảng {left_reason!r} không xác định; chọn một trong: {', '.join(p.allowed_reasons)}"
        yield reason("left_reason_unknown", G, en=en, vi=vi, left_reason=left_reason, allowed=p.allowed_reasons)


def _wait(since: date, on: date, months: int, code: str, what: tuple[str, str]) -> Iterator[Reason]:
    elapsed = completed_months(since, on)
    if elapsed >= months:
        return
    earliest = add_months(since, months)
    en = f"Only {elapsed} months since {what[1]} on {since} by {on}; {months} are needed (from {earliest})"
    vi = f"Mới {elapsed} tháng kể từ ngày {what[0]} ({since}) đến ngày {on}; cần đủ {months} tháng (từ {earliest})"
    yield reason(code, G, en=en, vi=vi, since=since, on=on, months=elapsed, required=months, earliest_on=earliest)


def register_readmission_guards(registry: GuardRegistry) -> None:
    registry.register(G, readmission_ok, ReadmissionParams, "a former member may be admitted again")
