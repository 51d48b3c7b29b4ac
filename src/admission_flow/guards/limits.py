"""Guards that count time on the working-day calendar."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import ConfigDict, Field

from admission_flow.dates import Duration
from admission_flow.domain.values import reason
from admission_flow.errors import Reason
from admission_flow.guards.base import DateRef, FlagRef, GuardContext, GuardParams, GuardRegistry


class DateWithinParams(GuardParams):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    date: DateRef = "occurred_on"
    from_: DateRef = Field(alias="from")
    within: Duration
    unless_flag: FlagRef | None = None


def date_within(ctx: GuardContext, p: DateWithinParams) -> Iterator[Reason]:
    """``date`` must fall within ``within`` of ``from`` unless ``unless_flag`` is set (e.g. a late ceremony
    needs the superior committee's approval: Quy định 24-QĐ/TW §4.1)."""
    from admission_flow.calendar import WorkingCalendar, shift

    day, start = ctx.date(p.date), ctx.date(p.from_)
    for name, value in ((p.date, day), (p.from_, start)):
        if value is None:
            yield reason(
                "date_missing", "date_within", en=f"{name} is not recorded", vi=f"Chưa có ngày {name}", date=name
            )
    if day is None or start is None or (p.unless_flag is not None and p.unless_flag in ctx.flags):
        return
    limit = shift(start, p.within, ctx.calendar or WorkingCalendar())
    if day > limit:
        unless = f" without {p.unless_flag}" if p.unless_flag else ""
        yield reason(
            "date_past_limit",
            "date_within",
            en=f"{p.date} {day.isoformat()} is after the limit {limit.isoformat()} ({p.within} from {p.from_}){unless}",
            vi=f"Ngày {day.isoformat()} đã quá thời hạn {limit.isoformat()} ({p.within} kể từ {p.from_})"
            + (f", chưa có {p.unless_flag}" if p.unless_flag else ""),
            date=day,
            limit=limit,
            within=str(p.within),
            unless_flag=p.unless_flag,
        )


class MonthsSinceParams(GuardParams):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: DateRef = Field(alias="from")
    on: DateRef = "occurred_on"
    at_least: int = Field(ge=0)
    required: bool = True


def months_since(ctx: GuardContext, p: MonthsSinceParams) -> Iterator[Reason]:
    """At least ``at_least`` completed months from ``from`` to ``on``; with ``required: false`` a missing ``from``
    passes (e.g. no conviction to wait out). Re-admission: 36 months after leaving, 60 after an expunged
    conviction (Quy định 24-QĐ/TW §3.5.1)."""
    from admission_flow.dates import add_months, completed_months

    start, on = ctx.date(p.from_), ctx.date(p.on)
    if start is None:
        if p.required:
            yield reason(
                "date_missing",
                "months_since",
                en=f"{p.from_} is not recorded",
                vi=f"Chưa có ngày {p.from_}",
                date=p.from_,
            )
        return
    if on is None:
        yield reason("date_missing", "months_since", en=f"{p.on} is not recorded", vi=f"Chưa có ngày {p.on}", date=p.on)
        return
    months = completed_months(start, on)
    if months < p.at_least:
        earliest = add_months(start, p.at_least)
        yield reason(
            "too_soon",
            "months_since",
            en=f"only {months} months since {p.from_} ({start.isoformat()}); {p.at_least} needed, "
            f"from {earliest.isoformat()}",
            vi=f"Mới được {months} tháng kể từ {p.from_} ({start.isoformat()}); cần {p.at_least} tháng, "
            f"từ ngày {earliest.isoformat()}",
            since=start,
            months=months,
            at_least=p.at_least,
            earliest=earliest,
        )


def register_limit_guards(registry: GuardRegistry) -> None:
    registry.register("date_within", date_within, DateWithinParams, "a date within a limit of another date")
    registry.register("months_since", months_since, MonthsSinceParams, "enough months since a date")
