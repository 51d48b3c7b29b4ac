"""Built-in guards on the dossier's papers: ``awareness_certificate_valid``, ``documents_present``,
``documents_fresh`` and ``introducers_ok``.

Rule sources are cited as in ``docs/domain`` (QĐ 24 = Quy định 24-QĐ/TW 2021, HD 01 = Hướng dẫn 01-HD/TW 2021,
ĐL = Điều lệ Đảng).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import Field

from admission_flow.dates import Duration, add_months, completed_months
from admission_flow.domain.values import DocumentRecord, reason
from admission_flow.errors import Reason
from admission_flow.guards.base import DateRef, DocumentRef, GuardContext, GuardParams
from admission_flow.guards.common import date_missing

__all__ = [
    "AwarenessCertificateParams",
    "DocumentsFreshParams",
    "DocumentsPresentParams",
    "IntroducersParams",
    "awareness_certificate_valid",
    "documents_fresh",
    "documents_present",
    "introducers_ok",
]

_TRUE_TEXTS = frozenset({"yes", "true", "1"})

# ---------------------------------------------------------------- helpers


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
        yield date_missing(g, p.on)
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
        yield date_missing(g, p.on)
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
    # The youth-age path (ĐL Art. 4.1; QĐ 24 §3.1; issue 12). Off by default: released versions keep their rule.
    youth_path: bool = False
    youth_max_age: int = Field(default=30, ge=0)  # completed years on `on`: at most this is youth age
    youth_flag_max_age: int = Field(default=35, ge=0)  # above youth age up to this: either path, flagged [U]
    youth_document: str = "youth_union_resolution"


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
        yield date_missing(g, p.on)
        return
    members = list(ctx.documents.get(p.member_document, ()))
    problems = [_introducer_problem(rec, on, p) for rec in members]
    qualified = {_key(rec, i) for i, (rec, pr) in enumerate(zip(members, problems, strict=True)) if pr is None}
    if p.youth_path and ctx.org.has_youth_union:
        birth = ctx.candidate.birth_date
        if birth is None:
            yield reason("birth_date_missing", g, en="The birth date is not recorded", vi="Chưa có ngày sinh")
            return
        age = completed_months(birth, on) // 12
        if age <= p.youth_max_age:
            yield from _youth_introduction(ctx, len(qualified), age, p)
            if not qualified:
                yield from (pr for pr in problems if pr is not None)
            return
        flagged = age <= p.youth_flag_max_age  # may still be in the Youth Union: either path is accepted
    else:
        flagged = False
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
    if flagged:
        values["youth_age_flagged"] = True
    yield reason("introducers_insufficient", g, en=en, vi=vi, **values)
    yield from (pr for pr in problems if pr is not None)


def _youth_introduction(ctx: GuardContext, members: int, age: int, p: IntroducersParams) -> Iterator[Reason]:
    """A youth-age candidate where the organisation has a Youth Union: a Youth Union member, introduced by the
    grassroots Youth Union executive or a grassroots chi đoàn collective (Mẫu 4-KNĐ) plus one full member."""
    g, values = "introducers_ok", {"age": age, "youth_max_age": p.youth_max_age}
    if not ctx.candidate.youth_union_member:
        en = f"At {age}, of Youth Union age where the organisation has a Youth Union, the candidate must be a member"
        vi = f"Người vào Đảng {age} tuổi, trong độ tuổi đoàn, nơi có tổ chức Đoàn: phải là đoàn viên"
        yield reason("youth_union_membership_required", g, en=en, vi=vi, **values)
    if not ctx.documents.get(p.youth_document):
        en = (
            f"At {age}, the Youth Union's introduction (form 4-KNĐ) and one full member are needed; two members are not"
        )
        vi = f"Người vào Đảng {age} tuổi cần nghị quyết giới thiệu của Đoàn (Mẫu 4-KNĐ) và một đảng viên chính thức"
        yield reason("youth_union_introduction_required", g, en=en, vi=vi, document=p.youth_document, **values)
    if members < 1:
        en, vi = (
            "No qualifying full member introduces the candidate; 1 needed",
            "Chưa có đảng viên chính thức đủ điều kiện giới thiệu; cần 1",
        )
        yield reason("introducers_insufficient", g, en=en, vi=vi, qualifying_members=0, required=1, **values)


def _key(rec: DocumentRecord, index: int) -> str:
    """One introducer counts once, however many letters they signed; unnamed letters count apart."""
    name = rec.attributes.get("introducer")
    return f"name:{str(name).strip().casefold()}" if name else f"letter:{index}"
