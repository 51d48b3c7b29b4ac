"""The revised 2025 rule set (issue 12, items 1, 4, 7) through the store, on SQLite and PostgreSQL:
``standard@2025.1`` and ``exceptions@2025.1``. Over 60 at the cell's vote (721 completed months, not 720)
needs a basis, health and standing, then the written consent before the decision; a village elder needs to
read and write Vietnamese and the consent; the dossier needs the personal identification number; no transfer
while an inspection is open; the transfer letter is due 30 working days after the introduction (not 30 days)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from helpers import migrated_flow

from admission_flow.domain.values import DocumentRecord, Votes
from admission_flow.errors import TransitionRefused
from admission_flow.flow import AdmissionFlow
from admission_flow.testing import ManualClock
from admission_flow.testing.scenario import add_sample_orgs, drive

STANDARD, EXCEPTIONS = "standard@2025.1", "exceptions@2025.1"
START = date(2025, 7, 1)  # drive() reaches awaiting_branch_vote before VOTE_ON
VOTE_ON = date(2025, 11, 3)
DECIDE_ON = date(2025, 12, 1)
OVER_60 = {"over_60_basis": "no_party_organisation", "good_health": True, "good_reputation": True}


@pytest.fixture
def orgs(database_url: str, clock: ManualClock) -> Iterator[AdmissionFlow]:
    flow = migrated_flow(database_url, clock)
    add_sample_orgs(flow)
    yield flow
    assert flow.store.connections.in_use() == 0, "a connection was not returned to the pool"
    flow.close()


def enrol(flow: AdmissionFlow, workflow: str, born: date, org: str = "ks.ctyxk", **person: Any) -> None:
    values: dict[str, Any] = {"education": "upper_secondary", "sex": "male"}
    values |= {"personal_id": f"0940{born.year % 100:02d}001234"} | person
    flow.add_candidate(
        id="x", full_name="Thạch Sa Rinh", org_id=org, workflow=workflow, on=START, birth_date=born, **values
    )


def vote(flow: AdmissionFlow, on: date = VOTE_ON) -> str:
    paper = [DocumentRecord("branch_resolution", on, "NQ-06")]
    return flow.fire("x", "branch_vote_passed", on=on, role="cell", documents=paper, votes=Votes(8, 10)).to_state


def refused(flow: AdmissionFlow, trigger: str, **kwargs: Any) -> list[str]:
    before = flow.candidate("x")
    with pytest.raises(TransitionRefused) as caught:
        if trigger == "branch_vote_passed":
            vote(flow)
        else:
            flow.fire("x", trigger, **kwargs)
    after = flow.candidate("x")
    assert (after.state, after.version) == (before.state, before.version)  # nothing written
    return [r.code for r in caught.value.reasons]


def decide(flow: AdmissionFlow) -> str:
    paper = [DocumentRecord("admission_decision", DECIDE_ON, "9-QĐ/HU")]
    kwargs: dict[str, Any] = {"on": DECIDE_ON, "role": "competent_committee", "documents": paper, "acting_org": "ks"}
    return flow.fire("x", "decide_admission", **kwargs).to_state


def consent(flow: AdmissionFlow, on: date = date(2025, 11, 20)) -> str:
    paper = [DocumentRecord("exception_consent", on, "CV-12/TU")]
    kwargs = {"on": on, "role": "provincial_standing_board", "documents": paper, "acting_org": "st"}
    return flow.fire("x", "grant_exception_consent", **kwargs).to_state


# ---------------------------------------------------------------- over 60 (item 4)


def test_at_721_months_on_the_vote_the_basis_and_then_the_consent_are_required(orgs: AdmissionFlow) -> None:
    enrol(orgs, STANDARD, date(1965, 10, 3))  # 60 years and 1 month on VOTE_ON: 721 completed months
    drive(orgs, "x", START, until="awaiting_branch_vote")
    assert refused(orgs, "branch_vote_passed") == [
        "over_60_basis_missing",
        "over_60_health_not_confirmed",
        "over_60_reputation_not_confirmed",
    ]
    orgs.update_candidate("x", attributes=OVER_60)
    assert vote(orgs) == "awaiting_exception_consent"
    assert consent(orgs) == "awaiting_admission_decision"
    assert decide(orgs) == "awaiting_ceremony"


def test_at_720_months_on_the_vote_no_basis_and_no_consent_are_asked(orgs: AdmissionFlow) -> None:
    enrol(orgs, STANDARD, date(1965, 10, 4))  # 60 years and 29 days: 720 completed months, not over 60
    drive(orgs, "x", START, until="awaiting_branch_vote")
    assert vote(orgs) == "awaiting_admission_decision"
    assert decide(orgs) == "awaiting_ceremony"


def test_a_birth_date_corrected_after_the_vote_makes_the_decision_wait_for_the_consent(orgs: AdmissionFlow) -> None:
    enrol(orgs, STANDARD, date(1965, 10, 4))
    drive(orgs, "x", START, until="awaiting_branch_vote")
    assert vote(orgs) == "awaiting_admission_decision"
    orgs.update_candidate("x", birth_date=date(1965, 10, 3))  # over 60 on the vote date after all
    decision = [DocumentRecord("admission_decision", DECIDE_ON, "9-QĐ/HU")]
    kwargs = {"on": DECIDE_ON, "role": "competent_committee", "documents": decision, "acting_org": "ks"}
    assert refused(orgs, "decide_admission", **kwargs) == ["exception_consent_missing"]


# ---------------------------------------------------------------- education exception (b) (item 4)


def test_a_village_elder_reads_and_writes_vietnamese_and_needs_the_consent(orgs: AdmissionFlow) -> None:
    elder = {"education_exception": "village_elder"}
    enrol(orgs, EXCEPTIONS, date(1972, 4, 1), education="none", remote_area=True, attributes=elder)
    drive(orgs, "x", START, until="awaiting_branch_vote")
    assert refused(orgs, "branch_vote_passed") == ["education_exception_literacy_missing"]
    orgs.update_candidate("x", attributes=elder | {"reads_writes_vietnamese": True})
    assert vote(orgs) == "awaiting_exception_consent"
    assert consent(orgs) == "awaiting_admission_decision"
    assert decide(orgs) == "awaiting_ceremony"


def test_a_fisherman_at_sea_with_primary_school_passes_the_vote(orgs: AdmissionFlow) -> None:
    enrol(
        orgs, EXCEPTIONS, date(1972, 4, 1), education="primary", attributes={"education_exception": "fisherman_at_sea"}
    )
    drive(orgs, "x", START, until="awaiting_branch_vote")
    assert vote(orgs) == "awaiting_exception_consent"  # (a) keeps the consent in this rule set [U]


# ---------------------------------------------------------------- the dossier and the youth path (items 7, 1)


def test_the_dossier_is_not_complete_without_the_personal_identification_number(orgs: AdmissionFlow) -> None:
    enrol(orgs, STANDARD, date(1980, 2, 3), personal_id=None)
    with pytest.raises(TransitionRefused) as caught:
        drive(orgs, "x", START, until="awaiting_branch_vote")
    assert [r.code for r in caught.value.reasons] == ["personal_id_missing"]
    orgs.update_candidate("x", personal_id="094080001234")
    assert drive(orgs, "x", START, until="awaiting_branch_vote").state == "awaiting_branch_vote"


def test_at_30_in_a_cell_with_a_youth_union_two_full_members_are_not_enough(orgs: AdmissionFlow) -> None:
    # drive() fires dossier_complete on 17/10/2025: 30 years old that day, 31 the day after
    enrol(orgs, STANDARD, date(1994, 10, 18), org="ks.anmy.ap1", youth_union_member=True)
    with pytest.raises(TransitionRefused) as caught:
        drive(orgs, "x", START, until="awaiting_branch_vote", youth_union=False)  # two full members introduce
    assert [r.code for r in caught.value.reasons] == ["youth_union_introduction_required"]


# ---------------------------------------------------------------- transfers (item 7)


def test_no_transfer_while_an_inspection_is_open(orgs: AdmissionFlow) -> None:
    enrol(orgs, STANDARD, date(1980, 2, 3), org="ks.anmy.ap1")
    on, data = date(2026, 3, 2), {"to_org": "ks.anmy.ap2", "reason": "chuyển nơi cư trú"}
    orgs.fire("x", "open_inspection", on=on, role="superior_committee", data={"reference": "QĐ-KT/12"})
    assert refused(orgs, "start_transfer", on=on, role="cell", data=data) == ["transfer_blocked"]
    orgs.fire("x", "close_inspection", on=on, role="superior_committee")
    orgs.fire("x", "start_transfer", on=on, role="cell", data=data)
    assert "transfer_in_progress" in orgs.candidate("x").flags


@pytest.mark.parametrize(
    ("workflow", "due_on"),
    [
        (STANDARD, date(2026, 4, 13)),  # 30 working days after Monday 2/3/2026 (no holiday in between)
        ("standard@2025", date(2026, 4, 1)),  # the released version keeps 30 calendar days
    ],
)
def test_the_transfer_letter_is_due_30_working_days_after_the_introduction(
    orgs: AdmissionFlow, workflow: str, due_on: date
) -> None:
    enrol(orgs, workflow, date(1980, 2, 3), org="ks.anmy.ap1")
    data = {"to_org": "ks.anmy.ap2", "reason": "chuyển nơi cư trú"}
    orgs.fire("x", "start_transfer", on=date(2026, 3, 2), role="cell", data=data)
    [arrival] = [d for d in orgs.deadlines(candidate_id="x") if d.deadline == "transfer_arrival"]
    assert arrival.due_on == due_on
