"""Guards that count time on the working-day calendar."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import ConfigDict, Field

from admission_flow.errors import Reason
from admission_flow.guards.base import DateRef, FlagRef, GuardContext, GuardParams, GuardRegistry, reason
from admission_flow.workflow.spec import Duration


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


def register_limit_guards(registry: GuardRegistry) -> None:
    registry.register("date_within", date_within, DateWithinParams, "a date within a limit of another date")
