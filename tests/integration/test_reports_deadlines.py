"""The deadlines report counts what ``deadlines list`` calls open: a deadline the sweep has already acted on (its
overdue mail queued, status ``done``) is still overdue until the candidate leaves the state; rows of a stay the
candidate has left are not counted. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from admission_flow.flow import AdmissionFlow
from admission_flow.testing.scenario import add_sample_orgs, drive


def _overdue(flow: AdmissionFlow, org_id: str) -> dict[tuple[str, str], int]:
    report = flow.report("deadlines", org_id, year=2026)
    return {(r.state, r.deadline_id): r.overdue for r in report.rows if r.overdue}


def test_deadlines_report_still_counts_an_overdue_deadline_after_the_sweep_acted_on_it(flow: AdmissionFlow) -> None:
    add_sample_orgs(flow)
    flow.add_candidate(
        id="late",
        org_id="ks.anmy.ap1",
        full_name="Trễ Hạn",
        birth_date=date(1995, 5, 15),
        education="upper_secondary",
        workflow="standard@2021",
        on=date(2024, 1, 2),
    )
    drive(flow, "late", date(2024, 1, 2), until="awaiting_admission_decision")
    waiting = ("awaiting_admission_decision", "admission_decision")
    listed = {(d.state, d.deadline) for d in flow.deadlines(overdue=True, org_id="ks")}
    assert waiting in listed
    before = _overdue(flow, "ks")
    assert before[waiting] == 1

    swept = flow.sweep()
    assert swept.claimed > 0  # the overdue decision's row (and its reminders) are swept: done, mail queued
    assert {(d.state, d.deadline) for d in flow.deadlines(overdue=True, org_id="ks")} == listed
    assert _overdue(flow, "ks") == before  # regression: counted only while still pending, 0 after the sweep

    voted_on = flow.history("late")[-1].occurred_on
    drive(flow, "late", voted_on, until="awaiting_ceremony")  # the decision: the swept row's stay ends
    after = _overdue(flow, "ks")
    assert waiting not in after
    listed_after = {(d.state, d.deadline) for d in flow.deadlines(overdue=True, org_id="ks")}
    assert set(after) == listed_after
    assert _overdue(flow, "ks.anmy.ap2") == {}  # another cell of the subtree: nothing of this candidate
