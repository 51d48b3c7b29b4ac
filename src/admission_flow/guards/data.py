"""Built-in guards on recorded facts: ``date_not_before`` (dates), ``flag_set`` and ``flag_not_set`` (flags),
``org_kind`` (the organisation) and ``data_present`` (the event's data).
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field, model_validator

from admission_flow.domain.values import reason
from admission_flow.errors import Reason
from admission_flow.guards.base import DateRef, FlagRef, GuardContext, GuardParams
from admission_flow.guards.common import date_missing

__all__ = [
    "DataPresentParams",
    "DateNotBeforeParams",
    "FlagParams",
    "OrgKindParams",
    "data_present",
    "date_not_before",
    "flag_not_set",
    "flag_set",
    "org_kind",
]

# ---------------------------------------------------------------- dates, flags, organisation, data


class DateNotBeforeParams(GuardParams):
    date: DateRef = "occurred_on"
    not_before: DateRef


def date_not_before(ctx: GuardContext, p: DateNotBeforeParams) -> Iterator[Reason]:
    """One date is on or after another, e.g. the recognition vote after probation ends (procedure Stage K)."""
    g, d, nb = "date_not_before", ctx.date(p.date), ctx.date(p.not_before)
    yield from (date_missing(g, name) for name, v in ((p.date, d), (p.not_before, nb)) if v is None)
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


class DataPresentParams(GuardParams):
    keys: list[str] = Field(min_length=1)


def data_present(ctx: GuardContext, p: DataPresentParams) -> Iterator[Reason]:
    """The event carries each listed piece of data, e.g. a decision number (procedure Stage H)."""
    for key in p.keys:
        value = ctx.data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            en, vi = f"The data '{key}' is missing", f"Thiếu thông tin '{key}'"
            yield reason("data_missing", "data_present", en=en, vi=vi, key=key)
