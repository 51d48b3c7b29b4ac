"""The dates an event records or corrects, and the deadline extensions it grants: pure rules over one plan."""

from __future__ import annotations

from datetime import date
from typing import Any

from admission_flow.calendar import WorkingCalendar, shift
from admission_flow.domain.inputs import EventInput
from admission_flow.domain.stored import Instance
from admission_flow.domain.values import reason
from admission_flow.engine.context import as_date
from admission_flow.engine.machine import CompiledWorkflow, Plan
from admission_flow.errors import TransitionRefused


def refusal(plan: Plan, inst: Instance, code: str, en: str, vi: str, **values: Any) -> TransitionRefused:
    return TransitionRefused(plan.trigger, inst.state, [reason(code, "effects", en=en, vi=vi, **values)])


def record_dates(plan: Plan, inst: Instance, occurred_on: date, calendar: WorkingCalendar) -> dict[str, str]:
    """The instance's dates after the route's ``records``: paper dates first, then dates computed from them."""
    assert plan.route is not None
    dates = dict(inst.dates)
    records = plan.route.spec.records
    for record in records:
        if record.from_ is None:
            dates[record.date] = occurred_on.isoformat()
    for record in records:
        if record.from_ is None or record.add is None:
            continue
        base = occurred_on if record.from_ == "occurred_on" else _known_date(dates, inst, record.from_)
        if base is None:
            raise TransitionRefused(
                plan.trigger,
                inst.state,
                [
                    reason(
                        "date_missing",
                        "records",
                        en=f"cannot compute {record.date}: {record.from_} is not recorded",
                        vi=f"Không tính được {record.date}: chưa có {record.from_}",
                        date=record.from_,
                    )
                ],
            )
        dates[record.date] = shift(base, record.add, calendar).isoformat()
    return dates


def _known_date(dates: dict[str, str], inst: Instance, name: str) -> date | None:
    if name == "birth_date":
        return inst.candidate.birth_date
    value = dates.get(name)
    return None if value is None else as_date(value)


def corrections(
    wf: CompiledWorkflow, plan: Plan, inst: Instance, event: EventInput, calendar: WorkingCalendar
) -> dict[str, str]:
    """Dates this event corrects (new values in its data under the dates' names), and dates derived from them."""
    assert plan.route is not None
    names = plan.route.spec.corrects
    if not names:
        return {}
    corrected: dict[str, str] = {}
    for name in names:
        if name in event.data:
            try:
                corrected[name] = as_date(event.data[name]).isoformat()
            except (TypeError, ValueError):
                raise refusal(
                    plan,
                    inst,
                    "correction_invalid",
                    en=f"{name}={event.data[name]!r} is not a date",
                    vi=f"{name}={event.data[name]!r} không phải là ngày",
                    date=name,
                ) from None
    if not corrected:
        raise refusal(
            plan,
            inst,
            "correction_missing",
            en=f"give at least one corrected date as data NAME=YYYY-MM-DD ({', '.join(names)})",
            vi=f"Cần nhập ít nhất một ngày đính chính dạng TÊN=YYYY-MM-DD ({', '.join(names)})",
            dates=list(names),
        )
    for t in wf.spec.transitions:  # keep computed dates (probation_end_on = ceremony_on + 12 months) consistent
        for record in t.records:
            if record.from_ in corrected and record.add is not None and record.date in inst.dates:
                corrected[record.date] = shift(as_date(corrected[record.from_]), record.add, calendar).isoformat()
    return corrected


def extensions_after(wf: CompiledWorkflow, plan: Plan, inst: Instance, event: EventInput) -> dict[str, int]:
    """Granted extensions per deadline; an extension event adds ``extend_by`` (in the cap's unit) up to the cap.
    Entering a new state starts with none."""
    if plan.route is None or plan.route.dest is not None:
        return {} if plan.route is not None and plan.route.dest is not None else dict(inst.extensions)
    totals = dict(inst.extensions)
    for deadline in wf.spec.deadlines_of(inst.state):
        ext = deadline.extension
        if ext is None or ext.trigger != plan.trigger:
            continue
        amount = event.data.get("extend_by")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise refusal(
                plan,
                inst,
                "extension_amount_missing",
                en=f"give the extension as data extend_by=N ({ext.max.unit.replace('_', ' ')})",
                vi=f"Cần nhập số ngày gia hạn: extend_by=N ({ext.max.unit})",
                deadline=deadline.id,
            )
        granted = totals.get(deadline.id, 0)
        if granted + amount > ext.max.amount:
            raise refusal(
                plan,
                inst,
                "extension_exceeds_cap",
                en=f"{deadline.id}: {granted} already granted, {amount} more would exceed the cap of {ext.max}",
                vi=f"{deadline.id}: đã gia hạn {granted}, thêm {amount} sẽ vượt mức tối đa {ext.max}",
                deadline=deadline.id,
                granted=granted,
                requested=amount,
                cap=ext.max.amount,
            )
        totals[deadline.id] = granted + amount
    return totals
