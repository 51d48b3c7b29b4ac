"""CompiledWorkflow: choosing the route, listing every refusal reason, and moving through one shared Machine."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from admission_flow.domain.values import CandidateFacts, DocumentRecord, OrgFacts
from admission_flow.engine.catalog import Catalog
from admission_flow.engine.machine import CompiledWorkflow, Plan
from admission_flow.errors import MachineFault, Reason
from admission_flow.guards import GuardContext, default_registry

TESTS = Path(__file__).resolve().parents[1]
REGISTRY = default_registry()
ON = date(2026, 3, 15)


@pytest.fixture(scope="module")
def minimal() -> CompiledWorkflow:
    return Catalog.from_folder(TESTS / "workflows" / "valid", REGISTRY).get("minimal", "1")


@pytest.fixture(scope="module")
def standard() -> CompiledWorkflow:
    return Catalog.from_folder(TESTS.parent / "workflows", REGISTRY).get("standard", "2021")


def ctx(
    trigger: str,
    *,
    born: date | None = date(1990, 5, 1),
    role: str | None = "cell",
    documents: Iterable[str] = ("application",),
    flags: Iterable[str] = ("reviewed",),
    dates: dict[str, date] | None = None,
    org: OrgFacts | None = None,
    **fields: Any,
) -> GuardContext:
    return GuardContext(
        trigger=trigger,
        occurred_on=ON,
        candidate=CandidateFacts(id="c1", full_name="Nguyễn Văn An", birth_date=born),
        org=org or OrgFacts(id="cell-1", kind="cell", parent_kind="grassroots_committee"),
        role=role,
        dates={"reviewed_on": date(2026, 3, 1)} if dates is None else dates,
        flags=frozenset(flags),
        documents={kind: [DocumentRecord(kind=kind, issued_on=date(2026, 2, 1))] for kind in documents},
        **fields,
    )


def codes(reasons: Iterable[Reason]) -> list[tuple[str, str]]:
    return [(r.code, r.guard) for r in reasons]


def planned(wf: CompiledWorkflow, state: str, trigger: str, **kwargs: Any) -> Plan:
    return wf.plan(state, trigger, ctx(trigger, **kwargs))


# ---------------------------------------------------------------- choosing the route


def test_plan_takes_the_first_alternative_whose_when_conditions_pass(minimal: CompiledWorkflow) -> None:
    older = planned(minimal, "applicant", "admit", born=date(1960, 1, 1))
    assert older.allowed and older.route is not None
    assert (older.route.index, older.dest) == (1, "awaiting_consent")
    younger = planned(minimal, "applicant", "admit", born=date(1990, 5, 1))
    assert younger.allowed and younger.route is not None
    assert (younger.route.index, younger.dest) == (2, "probationary")


def test_the_when_conditions_read_the_age_to_the_day(minimal: CompiledWorkflow) -> None:
    # Born 1966-03-15: 720 completed months on 2026-03-15 (still 18 to 60), 721 a month later.
    assert planned(minimal, "applicant", "admit", born=date(1966, 3, 15)).dest == "probationary"
    assert planned(minimal, "applicant", "admit", born=date(1966, 2, 15)).dest == "awaiting_consent"


def test_the_standard_workflow_routes_the_branch_vote_by_the_organisation(standard: CompiledWorkflow) -> None:
    def dest(org: OrgFacts, born: date = date(1990, 5, 1)) -> str:
        plan = planned(standard, "awaiting_branch_vote", "branch_vote_passed", org=org, born=born)
        assert plan.route is not None, plan.reasons
        return plan.dest

    under_partial = OrgFacts(id="c", kind="cell", parent_kind="partial_committee")
    cell = OrgFacts(id="c", kind="cell", parent_kind="grassroots_committee")
    grassroots_cell = OrgFacts(id="c", kind="grassroots_cell", parent_kind="district_committee")
    assert dest(under_partial) == "awaiting_partial_appraisal"
    assert dest(cell) == "awaiting_grassroots_vote"
    assert dest(grassroots_cell, born=date(1960, 1, 1)) == "awaiting_exception_consent"
    assert dest(grassroots_cell) == "awaiting_admission_decision"


def test_a_refused_plan_lists_every_reason_at_once(minimal: CompiledWorkflow) -> None:
    plan = planned(minimal, "applicant", "admit", role="committee", documents=(), flags=(), dates={})
    assert not plan.allowed
    assert plan.route is not None and plan.dest == "probationary"
    assert codes(plan.reasons) == [
        ("role_not_allowed", "roles"),
        ("document_missing", "requires_documents"),
        ("flag_missing", "flag_set"),
        ("date_missing", "date_not_before"),
    ]
    role, document = plan.reasons[0], plan.reasons[1]
    assert role.values == {"role": "committee", "allowed": ["cell"]}
    assert document.values == {"document": "application", "form": "1-KNĐ"}
    assert document.message_en == "missing document: Application to join the Party (1-KNĐ)"
    assert document.message_vi == "Thiếu tài liệu: Đơn xin vào Đảng (1-KNĐ)"


def test_an_unknown_trigger_is_refused_as_unknown(minimal: CompiledWorkflow) -> None:
    plan = planned(minimal, "applicant", "admitt")
    assert plan.route is None and not plan.allowed and plan.dest == "applicant"
    [reason] = plan.reasons
    assert (reason.code, reason.guard) == ("unknown_trigger", "workflow")
    assert reason.values == {"trigger": "admitt", "suggestions": ["admit"]}
    assert reason.message_en == "workflow minimal@1 has no trigger 'admitt'; did you mean 'admit'?"
    assert planned(minimal, "applicant", "zzz").reasons[0].message_en == "workflow minimal@1 has no trigger 'zzz'"


def test_a_trigger_from_the_wrong_state_lists_the_triggers_available_there(minimal: CompiledWorkflow) -> None:
    plan = planned(minimal, "probationary", "admit")
    [reason] = plan.reasons
    assert reason.code == "trigger_not_available"
    assert reason.values == {"state": "probationary", "trigger": "admit", "available": ["recognise", "withdraw"]}
    assert reason.message_en == "'admit' cannot happen in state 'probationary' (Probationary member)"


def test_a_final_state_offers_no_trigger_not_even_the_wildcard_ones(minimal: CompiledWorkflow) -> None:
    [reason] = planned(minimal, "withdrawn", "withdraw").reasons
    assert reason.code == "trigger_not_available"
    assert reason.values["available"] == []
    assert minimal.triggers_from("applicant") == ["review", "admit", "withdraw"]


def test_when_no_alternative_applies_the_failed_conditions_are_listed(minimal: CompiledWorkflow) -> None:
    plan = planned(minimal, "applicant", "admit", born=date(2010, 1, 1))
    assert plan.route is None and not plan.allowed
    [reason] = plan.reasons
    assert (reason.code, reason.guard) == ("no_route_matches", "when")
    assert [c["code"] for c in reason.values["conditions"]] == ["age_below_minimum", "age_below_minimum"]
    assert [c["values"]["min_months"] for c in reason.values["conditions"]] == [721, 216]


def test_when_conditions_that_cannot_be_read_are_listed_too(minimal: CompiledWorkflow) -> None:
    [reason] = planned(minimal, "applicant", "admit", born=None).reasons
    assert reason.code == "no_route_matches"
    assert [c["code"] for c in reason.values["conditions"]] == ["birth_date_missing", "birth_date_missing"]


# ---------------------------------------------------------------- moving


def test_apply_moves_to_the_planned_destination(minimal: CompiledWorkflow) -> None:
    assert minimal.apply(planned(minimal, "applicant", "admit")) == "probationary"
    assert minimal.apply(planned(minimal, "applicant", "admit", born=date(1960, 1, 1))) == "awaiting_consent"
    assert minimal.apply(planned(minimal, "probationary", "withdraw")) == "withdrawn"


def test_an_internal_event_keeps_the_state(minimal: CompiledWorkflow) -> None:
    plan = planned(minimal, "applicant", "review", flags=())
    assert plan.allowed and plan.route is not None and plan.route.dest is None
    assert plan.dest == "applicant"
    assert minimal.apply(plan) == "applicant"


def test_a_route_the_machine_cannot_take_is_a_machine_fault(minimal: CompiledWorkflow) -> None:
    plan = planned(minimal, "applicant", "admit")
    assert plan.allowed
    with pytest.raises(MachineFault, match="workflow minimal@1: machine") as raised:
        minimal.apply(replace(plan, state="withdrawn"))  # a plan made for another state: a defect, never input
    assert (raised.value.code, raised.value.exit_code, raised.value.http_status) == ("machine_fault", 1, 500)


def test_the_standard_workflow_moves_and_records_internally(standard: CompiledWorkflow) -> None:
    listed = planned(standard, "prospect", "admit_to_sympathizer_list")
    assert listed.allowed and standard.apply(listed) == "sympathizer"
    helper = planned(standard, "probationary", "assign_helper", data={"helper": "Trần Thị Bình"})
    assert helper.allowed and standard.apply(helper) == "probationary"


def test_the_shared_machine_keeps_no_model_after_many_events(
    minimal: CompiledWorkflow, standard: CompiledWorkflow
) -> None:
    machine = minimal.machine
    for _ in range(200):
        state = "applicant"
        for trigger, role in (("review", "cell"), ("admit", "cell"), ("recognise", "committee")):
            plan = planned(minimal, state, trigger, role=role, dates={"reviewed_on": ON, "probation_end_on": ON})
            assert plan.allowed, plan.reasons
            state = minimal.apply(plan)
        assert state == "full_member"
        assert standard.apply(planned(standard, "sympathizer", "withdraw")) == "withdrawn"
    assert minimal.machine is machine
    assert minimal.machine.models == []
    assert standard.machine.models == []


def test_one_machine_is_shared_per_workflow_version(minimal: CompiledWorkflow, standard: CompiledWorkflow) -> None:
    catalog = Catalog.from_folder(TESTS / "workflows" / "valid", REGISTRY)
    wf = catalog.get("minimal", "1")
    assert catalog.get("minimal") is wf and catalog.resolve("minimal@1") is wf
    assert wf.machine is catalog.get("minimal", "1").machine
    assert minimal.machine is not standard.machine
    assert wf.machine.name.startswith("minimal@1")


def test_the_machine_has_no_automatic_to_state_triggers(minimal: CompiledWorkflow, standard: CompiledWorkflow) -> None:
    for wf in (minimal, standard):
        assert not [name for name in wf.machine.events if name.startswith("to_")]
        assert set(wf.machine.events) == wf.triggers
    assert minimal.triggers == {"review", "admit", "grant_consent", "recognise", "withdraw"}
