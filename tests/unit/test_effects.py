"""``decide``: an event's whole outcome as a value, tested without a database (engine/effects.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from admission_flow.calendar import WorkingCalendar
from admission_flow.domain.inputs import EventInput
from admission_flow.domain.records import OrgRecord
from admission_flow.domain.stored import PENDING, Instance, OrgNode, Person, TimerRow
from admission_flow.domain.values import DocumentRecord
from admission_flow.engine.catalog import Catalog
from admission_flow.engine.effects import Loaded, decide, transfers
from admission_flow.engine.machine import CompiledWorkflow
from admission_flow.engine.timing import TimeRules
from admission_flow.errors import InvalidInput, TransitionRefused
from admission_flow.guards import default_registry

TESTS = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)
ON = date(2026, 3, 15)
RULES = TimeRules(ZoneInfo("Asia/Ho_Chi_Minh"), time(8, 0), WorkingCalendar())
RESOLUTION = DocumentRecord("branch_resolution", ON, "NQ/1")


@pytest.fixture(scope="module")
def minimal() -> CompiledWorkflow:
    return Catalog.from_folder(TESTS / "workflows" / "valid", default_registry()).get("minimal", "1")


@pytest.fixture(scope="module")
def standard() -> CompiledWorkflow:
    return Catalog.from_folder(TESTS.parent / "workflows", default_registry()).get("standard", "2021")


PERSON = Person(
    "c1", "cell-1", "Nguyễn Văn An", date(1990, 5, 1), "male", None, None, "upper_secondary", False, None,
    False, False, None, {},
)  # fmt: skip
ORG = OrgNode("cell-1", "gr-1", "cell", "Chi bộ 1", False, False, {})


def instance(wf: CompiledWorkflow, state: str, **changes: object) -> Instance:
    inst = Instance(
        7, "c1", 1, wf.spec.id, wf.spec.version, wf.content_hash, state, 4, {}, [], {}, 4, date(2026, 1, 5), {},
        PERSON, ORG, "grassroots_committee",
    )  # fmt: skip
    return replace(inst, **changes)  # type: ignore[arg-type]


def applicant(wf: CompiledWorkflow) -> Instance:
    return instance(wf, "applicant", flags=["reviewed"], dates={"reviewed_on": "2026-03-01"})


APPLICATION = EventInput(role="cell", actor="bí thư", documents=(DocumentRecord("application", date(2026, 3, 2)),))


def test_a_state_change_is_one_versioned_update_and_one_audit_row_numbered_after_the_version(
    minimal: CompiledWorkflow,
) -> None:
    out = decide(Loaded(applicant(minimal)), minimal, "admit", APPLICATION, ON, NOW, RULES)
    assert (out.from_state, out.to_state, out.moved) == ("applicant", "probationary", True)
    assert (out.update.expected_version, out.update.state_epoch, out.update.state_entered_on) == (4, 5, ON)
    assert out.update.dates == {
        "reviewed_on": "2026-03-01",
        "ceremony_on": "2026-03-15",
        "probation_end_on": "2027-03-15",
    }
    assert (out.event["seq"], out.event["from_state"], out.event["to_state"]) == (5, "applicant", "probationary")
    assert (out.event["org_id"], out.event["actor"], out.event["role"]) == ("cell-1", "bí thư", "cell")
    assert [d["kind"] for d in out.documents] == ["application"] and out.event["documents"][0]["form"] == "1-KNĐ"
    assert out.update.documents["application"][0]["issued_on"] == "2026-03-02"


def test_an_event_in_a_workflow_without_deadlines_plans_no_timer_statement(minimal: CompiledWorkflow) -> None:
    out = decide(Loaded(applicant(minimal)), minimal, "admit", APPLICATION, ON, NOW, RULES)
    assert out.timers.empty and out.replan is None  # nothing to write, and nothing to read first


def test_a_refusal_lists_every_reason_and_decides_nothing(minimal: CompiledWorkflow) -> None:
    with pytest.raises(TransitionRefused) as refused:
        decide(Loaded(instance(minimal, "applicant")), minimal, "admit", EventInput(role="candidate"), ON, NOW, RULES)
    assert {(r.code, r.guard) for r in refused.value.reasons} == {
        ("role_not_allowed", "roles"),
        ("document_missing", "requires_documents"),
        ("flag_missing", "flag_set"),
        ("date_missing", "date_not_before"),
    }


def test_an_unknown_paper_is_bad_input_not_a_refusal(minimal: CompiledWorkflow) -> None:
    event = EventInput(role="cell", documents=(DocumentRecord("passport", ON),))
    with pytest.raises(InvalidInput, match="passport"):
        decide(Loaded(applicant(minimal)), minimal, "admit", event, ON, NOW, RULES)


def test_an_internal_event_keeps_the_state_its_epoch_and_its_entry_date(minimal: CompiledWorkflow) -> None:
    out = decide(Loaded(instance(minimal, "applicant")), minimal, "review", EventInput(role="cell"), ON, NOW, RULES)
    assert (out.to_state, out.moved, out.update.state_epoch) == ("applicant", False, 4)
    assert (out.update.flags, out.update.dates) == (["reviewed"], {"reviewed_on": "2026-03-15"})
    assert out.update.state_entered_on == date(2026, 1, 5) and out.event["seq"] == 5


APPRAISAL = EventInput(role="partial_committee", documents=(DocumentRecord("partial_appraisal", ON, "BC/1"),))


def appraising(wf: CompiledWorkflow) -> Instance:
    return instance(wf, "awaiting_partial_appraisal", dates={"branch_resolution_on": "2026-03-02"})


def test_entering_a_state_with_a_deadline_plans_its_due_row_and_every_reminder_rung(standard: CompiledWorkflow) -> None:
    out = decide(Loaded(appraising(standard)), standard, "partial_appraisal_done", APPRAISAL, ON, NOW, RULES)
    assert out.to_state == "awaiting_grassroots_vote"
    assert sorted((r["deadline_id"], r["rung"], r["state_epoch"]) for r in out.timers.inserts) == [
        ("admission_decision", 0, 5),
        ("admission_decision", 1, 5),
        ("admission_decision", 2, 5),
    ]
    due = next(r for r in out.timers.inserts if r["rung"] == 0)
    assert due["due_on"] > ON and due["status"] == PENDING


def test_leaving_a_stay_with_an_anchored_deadline_cancels_its_pending_rows(standard: CompiledWorkflow) -> None:
    # age_60_boundary counts from the birth date: the stay may hold pending rows.
    inst = instance(standard, "awaiting_branch_vote")
    out = decide(Loaded(inst), standard, "branch_vote_failed", EventInput(role="cell"), ON, NOW, RULES)
    assert out.timers.cancel_all


def test_leaving_a_stay_where_no_deadline_was_anchored_costs_no_cancel(standard: CompiledWorkflow) -> None:
    # No birth date and no certificate date: neither deadline of the state could have projected a row.
    inst = instance(standard, "awaiting_branch_vote", candidate=replace(PERSON, birth_date=None))
    out = decide(Loaded(inst), standard, "branch_vote_failed", EventInput(role="cell"), ON, NOW, RULES)
    assert out.moved and not out.timers.cancel_all


def test_a_deadline_waiting_for_a_clear_flag_holds_no_rows_to_cancel(standard: CompiledWorkflow) -> None:
    # transfer_arrival applies in every state but only while transfer_in_progress is set.
    inst = instance(
        standard, "sympathizer", candidate=replace(PERSON, birth_date=None), dates={"transfer_started_on": "2026-03-01"}
    )
    event = EventInput(role="cell")
    out = decide(Loaded(inst), standard, "nominate_for_class", event, ON, NOW, RULES)
    assert out.moved and not out.timers.cancel_all


def test_the_event_a_deadline_waits_for_cancels_that_deadline_only(standard: CompiledWorkflow) -> None:
    inst = instance(
        standard, "sympathizer", flags=["transfer_in_progress"], dates={"transfer_started_on": "2026-03-01"}
    )
    assert transfers(standard, "sympathizer", "complete_transfer")
    target = OrgRecord("cell-2", "Chi bộ 2", "cell", "gr-1", False, False, {}, {})
    event = EventInput(role="cell", data={"to_org": "cell-2"})
    out = decide(Loaded(inst, destination=target), standard, "complete_transfer", event, ON, NOW, RULES)
    out = out.with_stay_rows(())  # the event keeps the state: its plan is made from the stay's rows
    assert out.timers.cancel == (("transfer_arrival", "done: complete_transfer"),)
    assert out.move_to_org == "cell-2" and out.event["payload"] == {"to_org": "cell-2", "from_org": "cell-1"}


def test_a_transfer_to_no_existing_cell_is_refused_with_its_reason(standard: CompiledWorkflow) -> None:
    inst = instance(
        standard, "sympathizer", flags=["transfer_in_progress"], dates={"transfer_started_on": "2026-03-01"}
    )
    event = EventInput(role="cell", data={"to_org": "nowhere"})
    with pytest.raises(TransitionRefused) as refused:
        decide(Loaded(inst), standard, "complete_transfer", event, ON, NOW, RULES)
    assert [r.code for r in refused.value.reasons] == ["transfer_destination_invalid"]


def test_a_reminder_projected_one_microsecond_after_its_moment_is_skipped_and_one_projected_at_it_is_not(
    standard: CompiledWorkflow,
) -> None:
    inst = appraising(standard)
    first = decide(Loaded(inst), standard, "partial_appraisal_done", APPRAISAL, ON, NOW, RULES)
    moment = next(r for r in first.timers.inserts if r["rung"] == 1)["fire_at"]
    at_it = decide(Loaded(inst), standard, "partial_appraisal_done", APPRAISAL, ON, moment, RULES)
    after = decide(
        Loaded(inst), standard, "partial_appraisal_done", APPRAISAL, ON, moment + timedelta(microseconds=1), RULES
    )
    assert {r["rung"]: r["status"] for r in at_it.timers.inserts}[1] == PENDING
    assert {r["rung"]: r["status"] for r in after.timers.inserts}[1] == "skipped"


def stored(rows: tuple[dict[str, Any], ...]) -> tuple[TimerRow, ...]:
    """Planned inserts as the rows the store would hand back (ids 1, 2, ...)."""
    fields = [f for f in TimerRow.__dataclass_fields__ if f not in ("id", "instance_id")]
    return tuple(TimerRow(i, 7, **{f: r[f] for f in fields}) for i, r in enumerate(rows, start=1))


def test_an_internal_event_leaves_rows_whose_dates_did_not_change_alone(standard: CompiledWorkflow) -> None:
    entered = decide(Loaded(appraising(standard)), standard, "partial_appraisal_done", APPRAISAL, ON, NOW, RULES)
    inst = replace(
        appraising(standard), state="awaiting_grassroots_vote", version=5, state_epoch=5, dates=entered.update.dates
    )
    rows = stored(entered.timers.inserts)
    event = EventInput(role="cell", data={"to_org": "cell-2", "reason": "moved house"})
    unread = decide(Loaded(inst), standard, "start_transfer", event, ON, NOW, RULES)
    assert unread.timers.empty and unread.replan is not None  # the stay's rows are asked for, not guessed
    out = decide(Loaded(inst, timers=rows), standard, "start_transfer", event, ON, NOW, RULES)
    assert unread.with_stay_rows(rows).timers == out.timers
    assert not out.timers.moves and not out.timers.cancel and not out.timers.cancel_all
    # the flag starts transfer_arrival: only its rows are new
    assert {r["deadline_id"] for r in out.timers.inserts} == {"transfer_arrival"}


def test_a_corrected_anchor_moves_the_pending_rows_of_its_deadline(standard: CompiledWorkflow) -> None:
    entered = decide(Loaded(appraising(standard)), standard, "partial_appraisal_done", APPRAISAL, ON, NOW, RULES)
    inst = replace(
        appraising(standard), state="awaiting_grassroots_vote", version=5, state_epoch=5, dates=entered.update.dates
    )
    event = EventInput(role="cell", data={"branch_resolution_on": "2026-03-09", "reason": "typo on the form"})
    out = decide(Loaded(inst, timers=stored(entered.timers.inserts)), standard, "correct_dates", event, ON, NOW, RULES)
    assert {m.timer_id for m in out.timers.moves} == {1, 2, 3} and not out.timers.inserts
    before = {r["due_on"] for r in entered.timers.inserts}
    assert len(before) == 1 and {m.due_on for m in out.timers.moves} == {max(before) + timedelta(days=7)}


def test_an_internal_event_that_changes_nothing_a_deadline_reads_asks_for_no_timer_row(
    standard: CompiledWorkflow,
) -> None:
    entered = decide(Loaded(appraising(standard)), standard, "partial_appraisal_done", APPRAISAL, ON, NOW, RULES)
    inst = replace(
        appraising(standard), state="awaiting_grassroots_vote", version=5, state_epoch=5, dates=entered.update.dates
    )
    event = EventInput(role="cell", data={"branch_resolution_on": "2026-03-02", "reason": "checked: no change"})
    out = decide(Loaded(inst), standard, "correct_dates", event, ON, NOW, RULES)
    assert out.timers.empty and out.replan is None
