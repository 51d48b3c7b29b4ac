"""Reports by organisation subtree and period: the use case that turns the store's SQL aggregates into report
records, with their bases, definitions and rounding stated in the notes.

One read-only unit of work per report; the caller's scope (``within``) is checked first, so an organisation
outside it is "not found" exactly as elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from admission_flow.domain.reports import (
    GROUP_LABELS,
    GROUPS,
    MEMBER_STATES,
    REPORT_NAMES,
    STATE_ORDER,
    AttainmentRow,
    ClassRow,
    CompositionRow,
    DeadlineRow,
    DurationRow,
    MilestoneRow,
    Period,
    PipelineRow,
    Report,
    ReportOptions,
    SourcingRow,
    largest_remainder,
    percent,
    record_maker,
)
from admission_flow.errors import InvalidInput
from admission_flow.ports import UnitOfWork
from admission_flow.services.deps import Deps
from admission_flow.services.scope import require_org

TITLES = {
    "attainment": "Chỉ tiêu kết nạp / admissions against the target",
    "sourcing": "Quy hoạch tạo nguồn / sourcing plan against the quota (2–3×)",
    "pipeline": "Số người theo bước / attempts by stage",
    "classes": "Lớp bồi dưỡng / awareness and new-member classes",
    "milestones": "Kết nạp, công nhận, xóa tên / admissions, recognitions, strike-offs",
    "composition": "Cơ cấu / composition",
    "deadlines": "Thời hạn / overdue and upcoming deadlines",
    "durations": "Thời gian mỗi bước / days in each stage",
}


@dataclass(frozen=True)
class Ask:
    """One report request, after the checks: what the report functions read."""

    root: str
    root_name: str
    period: Period
    options: ReportOptions
    tree_on: date | None  # the tree's date (None: as it is now)
    today: date
    base: str
    among: str | None
    on: date | None

    def pct(self, part: int, whole: int | None) -> Decimal | None:
        return percent(part, whole, self.options.decimals, self.options.rounding)

    def rounding(self) -> str:
        how = "half-up" if self.options.rounding == "half_up" else "down (cut off)"
        return f"Percentages are rounded {how} to {self.options.decimals} decimal place(s)."


Built = tuple[tuple[Any, ...], list[str], dict[str, Any]]


def build_report(
    deps: Deps,
    name: str,
    org_id: str,
    period: Period,
    options: ReportOptions,
    *,
    within: str | None = None,
    base: str = "admitted",
    among: str | None = None,
    on: date | None = None,
) -> Report:
    """The report ``name`` (one of ``REPORT_NAMES``) of ``org_id``'s subtree over ``period``."""
    if name not in REPORT_NAMES:
        raise InvalidInput(f"unknown report {name!r}; one of: {', '.join(REPORT_NAMES)}")
    if base not in ("admitted", "members"):
        raise InvalidInput(f"unknown base {base!r}; one of: admitted, members")
    if among is not None and among not in GROUPS:
        raise InvalidInput(f"unknown group {among!r}; one of: {', '.join(GROUPS)}")
    with deps.db.transaction(readonly=True) as uow:
        root = uow.orgs.get(org_id)  # one prepared lookup gives the root's name and, unbound, its existence
        if root is None or within is not None:
            require_org(uow, org_id, within)
        ask = Ask(
            root=org_id,
            root_name=org_id if root is None else root.name,
            period=period,
            options=options,
            tree_on=period.end if options.tree == "as_it_was" else None,
            today=deps.today(),
            base=base,
            among=among,
            on=on,
        )
        rows, notes, meta = BUILDERS[name](uow, ask)
    tree = f"the tree as it stood on {period.end}" if ask.tree_on else "the tree as it is now"
    notes.append(f"Organisations: {org_id}'s subtree ({tree}); a candidate counts in the organisation they belong to.")
    meta = {
        "count_admissions_by": options.count_admissions_by,
        "tree": options.tree,
        "decimals": options.decimals,
    } | meta
    return Report(name, TITLES[name], org_id, ask.root_name, period, rows, tuple(notes), meta)


def _admitted_note(ask: Ask) -> str:
    o = ask.options
    return (
        f"Admitted: attempts whose `{o.counted_trigger}` event ({o.count_admissions_by}) is dated "
        f"{ask.period.start}..{ask.period.end}."
    )


def _attainment(uow: UnitOfWork, ask: Ask) -> Built:
    p, o = ask.period, ask.options
    branches = uow.reports.branches(ask.root, ask.tree_on)
    counted = uow.reports.counted_by_branch(ask.root, ask.tree_on, o.counted_trigger, p.start, p.end)
    kind = "term" if p.kind == "term" else "annual"
    goals = uow.reports.targets([ask.root, *(b for b, _ in branches)], kind, p.start, p.end)

    def row(org_id: str, name: str, target: int | None, admitted: int) -> AttainmentRow:
        share = ask.pct(admitted, target)
        return AttainmentRow(org_id, name, target, admitted, share, None if share is None else share - 100)

    rows = [row(b, n, goals.get(b, (None, None))[0], counted.get(b, 0)) for b, n in branches]
    if counted.get(ask.root):
        rows.append(row(ask.root, f"{ask.root_name} (trực tiếp / directly)", None, counted[ask.root]))
    child_targets = [goals[b][0] for b, _ in branches if b in goals]
    total_target = goals[ask.root][0] if ask.root in goals else (sum(child_targets) if child_targets else None)
    rows.append(row(ask.root, f"Tổng / total: {ask.root_name}", total_target, sum(counted.values())))
    which = "term targets overlapping" if kind == "term" else "annual quotas overlapping"
    notes = [
        _admitted_note(ask),
        f"Target: the sum of each organisation's {which} the period; the total's target is the root's own, "
        "else the sum of its children's.",
        "attainment_pct = admitted / target × 100; over_under_pct = attainment_pct − 100 (+ above, − below).",
        ask.rounding(),
    ]
    return tuple(rows), notes, {}


def _sourcing_ratio(plan: int | None, quota: int, low: Decimal, high: Decimal) -> tuple[Decimal | None, str]:
    """(ratio, status) of one plan against one quota."""
    if plan is None or not quota:
        return None, "missing"
    ratio = (Decimal(plan) / quota).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return ratio, "low" if ratio < low else "high" if ratio > high else "ok"


_sourcing_row, _class_row = record_maker(SourcingRow), record_maker(ClassRow)


def _sourcing(uow: UnitOfWork, ask: Ask) -> Built:
    """One pass over the rows; each distinct (plan, quota) pair is judged once (a subtree repeats a few pairs
    hundreds of times), and the rows are made by ``record_maker`` (hundreds of frozen records)."""
    o = ask.options
    judged: dict[tuple[int | None, int], tuple[Decimal | None, str]] = {}
    rows = []
    for org_id, name, quota, plan in uow.reports.sourcing(ask.root, ask.tree_on, ask.period.start, ask.period.end):
        verdict = judged.get((plan, quota))
        if verdict is None:
            verdict = judged[plan, quota] = _sourcing_ratio(plan, quota, o.sourcing_min, o.sourcing_max)
        rows.append(_sourcing_row(org_id, name, quota, plan, *verdict))
    notes = [
        f"ratio = sourcing plan / annual quota (two decimals, half-up); the rule asks for {o.sourcing_min}–"
        f"{o.sourcing_max}× (seed 000): low below, high above, missing when no plan size was recorded."
    ]
    return tuple(rows), notes, {"warnings": sum(r.status != "ok" for r in rows)}


def _state_key(state: str) -> tuple[int, str]:
    return (STATE_ORDER.index(state) if state in STATE_ORDER else len(STATE_ORDER), state)


def _pipeline(uow: UnitOfWork, ask: Ask) -> Built:
    on = ask.on or min(ask.period.end, ask.today)
    counts = uow.reports.states(ask.root, ask.tree_on, on, current=on >= ask.today)
    states = sorted(counts, key=_state_key)
    shares = largest_remainder([counts[s] for s in states], ask.options.decimals)
    rows = tuple(PipelineRow(s, counts[s], share) for s, share in zip(states, shares, strict=True))
    notes = [
        f"Attempts by the state they stood in at the end of {on} (every attempt, terminal ones included).",
        f"share_pct: of all {sum(counts.values())} attempts; largest remainder, so the shares sum to exactly 100.",
    ]
    return rows, notes, {"on": on}


def _names(uow: UnitOfWork, ask: Ask) -> dict[str, str]:
    names = dict(uow.reports.branches(ask.root, ask.tree_on))
    names[ask.root] = f"{ask.root_name} (trực tiếp / directly)"
    return names


def _classes(uow: UnitOfWork, ask: Ask) -> Built:
    names = _names(uow, ask)
    found = uow.reports.classes(ask.root, ask.tree_on, ask.period.start, ask.period.end)
    rows = [
        _class_row(b, names.get(b, b), kind, n, people)
        for b, kind, n, people in sorted(found, key=lambda r: (r[1], names.get(r[0], r[0])))
    ]
    for kind in ("awareness", "new_member"):
        mine = [r for r in rows if r.kind == kind]
        rows.append(
            ClassRow(
                ask.root,
                f"Tổng / total: {ask.root_name}",
                kind,
                sum(r.classes for r in mine),
                sum(r.attendees for r in mine),
            )
        )
    notes = ["Classes counted by their start date in the period; attendees as recorded for each class."]
    return tuple(rows), notes, {}


def _milestones(uow: UnitOfWork, ask: Ask) -> Built:
    p, o = ask.period, ask.options
    triggers = (o.admission_trigger, o.ceremony_trigger, o.recognition_trigger, o.strike_off_trigger)
    counts = uow.reports.counted(ask.root, ask.tree_on, triggers, p.start, p.end)
    names = (o.ceremony_trigger, o.recognition_trigger, o.strike_off_trigger)
    concluded, on_time = uow.reports.recognised_on_time(
        ask.root, ask.tree_on, p.start, p.end, names, o.recognition_on_time_days
    )
    labels = ("admission_decisions", "ceremonies", "recognitions", "strike_offs")
    rows = [MilestoneRow(label, counts.get(t, 0)) for label, t in zip(labels, triggers, strict=True)]
    base_label = "probations concluded in the period (recognised + struck off)"
    rows.append(MilestoneRow("probations_concluded", concluded))
    recognised = counts.get(o.recognition_trigger, 0)
    rows.append(MilestoneRow("recognised", recognised, concluded, base_label, ask.pct(recognised, concluded)))
    rows.append(MilestoneRow("recognised_on_time", on_time, concluded, base_label, ask.pct(on_time, concluded)))
    notes = [
        "Each count: attempts with that event dated in the period (recognitions may exceed admissions: probation "
        "crosses period boundaries).",
        f"On time: the `{o.recognition_trigger}` decision is dated no later than {o.recognition_on_time_days} days "
        f"after probation ends (the `{o.ceremony_trigger}` date + 12 months): the cell's 30 and the committee's 30 "
        "working days. Base: the probations concluded in the period.",
        ask.rounding(),
    ]
    return tuple(rows), notes, {}


def _composition(uow: UnitOfWork, ask: Ask) -> Built:
    p, o = ask.period, ask.options
    if ask.base == "admitted":
        admitted, members = (o.counted_trigger, p.start, p.end), None
        label = f"admitted {p.label}"
    else:
        on = ask.on or p.end
        admitted, members = None, (MEMBER_STATES, on)
        label = f"members (probationary + full) on {on}"
    if ask.among is not None:
        label += f", among {ask.among}"
    size, counts = uow.reports.composition(ask.root, ask.tree_on, o, ask.among, admitted, members)
    rows = tuple(CompositionRow(g, GROUP_LABELS[g], counts[g], size, label, ask.pct(counts[g], size)) for g in GROUPS)
    notes = [
        f"Base: {size} = {label}." + (" " + _admitted_note(ask) if ask.base == "admitted" else ""),
        f"Groups: women (sex female); ethnic minority (any ethnicity but {o.majority_ethnicity}); religious (a "
        f"religion other than {', '.join(repr(r) for r in o.no_religion)}); students (occupation in "
        f"{', '.join(o.student_occupations)}); enterprise workers (occupation in "
        f"{', '.join(o.enterprise_occupations)}); university or higher (education in "
        f"{', '.join(o.university_levels)}); leaders and managers (manager).",
        "Groups overlap, so the shares do not sum to 100. " + ask.rounding(),
    ]
    return rows, notes, {"base": size, "base_label": label}


def _deadlines(uow: UnitOfWork, ask: Ask) -> Built:
    until = ask.today + timedelta(days=ask.options.upcoming_days)
    rows = tuple(DeadlineRow(*r) for r in uow.reports.deadlines(ask.root, ask.today, until))
    notes = [
        "Open deadlines (not reminders) of the stays the subtree's candidates are in now, as `deadlines list` "
        f"shows them (already swept ones included): overdue (due before {ask.today}) and upcoming (due "
        f"{ask.today}..{until}); the period does not apply."
    ]
    return rows, notes, {"today": ask.today}


def _durations(uow: UnitOfWork, ask: Ask) -> Built:
    found = sorted(
        uow.reports.durations(ask.root, ask.tree_on, ask.period.start, ask.period.end), key=lambda r: _state_key(r[0])
    )
    rows = tuple(
        DurationRow(s, n, Decimal(avg).quantize(Decimal("0.1"), ROUND_HALF_UP), p90) for s, n, avg, p90 in found
    )
    notes = [
        "A stay runs from the event that entered a state to the next event that changed the state (paper dates); "
        "only stays that ended in the period count.",
        "average_days: mean, one decimal half-up; p90_days: nearest-rank 90th percentile (the smallest stay that "
        "at least 90 % of the stays do not exceed).",
    ]
    return rows, notes, {}


BUILDERS: dict[str, Callable[[UnitOfWork, Ask], Built]] = {
    "attainment": _attainment,
    "sourcing": _sourcing,
    "pipeline": _pipeline,
    "classes": _classes,
    "milestones": _milestones,
    "composition": _composition,
    "deadlines": _deadlines,
    "durations": _durations,
}
