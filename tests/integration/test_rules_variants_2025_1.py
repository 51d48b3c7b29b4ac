"""The variants under the revised 2025 rules (issue 12), on SQLite and PostgreSQL: students, enterprise_workers,
military_recruits, religious_believers and exceptions at 2025.1, re-admission at 2025.2, all extending
standard@2025.1. A bare id dated on or after 1/7/2025 starts there; each variant's own rule still holds; and the
revised rules apply to it as to the standard procedure: the personal identification number before the dossier is
complete, and the Youth Union's introduction for a candidate of Youth Union age where there is a Youth Union."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from helpers import migrated_flow

from admission_flow.dates import add_months
from admission_flow.domain.records import CandidateRecord
from admission_flow.domain.values import DocumentRecord, Votes
from admission_flow.errors import TransitionRefused
from admission_flow.flow import AdmissionFlow
from admission_flow.testing import ManualClock
from admission_flow.testing.scenario import add_sample_orgs, drive, sample_personal_id

START = date(2025, 7, 1)  # Quy định 294-QĐ/TW in force; drive() completes the dossier in October 2025
BORN = date(1998, 5, 15)  # 27 in 2025: of Youth Union age (at most 30)
VARIANTS = ["students", "enterprise_workers", "military_recruits", "religious_believers", "exceptions"]
UNIT = {"id": "ks.qs.c1", "name": "Chi bộ Đại đội 1", "kind": "cell", "parent_id": "ks.anmy", "has_youth_union": True}


@pytest.fixture
def orgs(database_url: str, clock: ManualClock) -> Iterator[AdmissionFlow]:
    flow = migrated_flow(database_url, clock)
    add_sample_orgs(flow)
    flow.add_org(**UNIT)
    yield flow
    assert flow.store.connections.in_use() == 0, "a connection was not returned to the pool"
    flow.close()


def enrol(flow: AdmissionFlow, workflow: str, on: date = START, **fields: Any) -> CandidateRecord:
    org = "ks" if workflow.startswith("enterprise_workers") else "ks.anmy.ap1"  # workers: no party organisation
    values: dict[str, Any] = {
        "full_name": "Nguyễn Văn An",
        "birth_date": BORN,
        "sex": "male",
        "education": "university",
        "youth_union_member": True,
        "personal_id": sample_personal_id(BORN, "male", 4321),
    }
    return flow.add_candidate(id="an", org_id=org, workflow=workflow, on=on, **(values | fields))


def last_on(flow: AdmissionFlow) -> date:
    return flow.history("an")[-1].occurred_on


def paper(kind: str, on: date) -> DocumentRecord:
    return DocumentRecord(kind, on, f"{kind}/{on.isoformat()}")


def own_steps(flow: AdmissionFlow, variant: str) -> None:
    """What the variant adds to the path, fired where its rule wants it; then drive() goes on."""
    if variant == "enterprise_workers":
        drive(flow, "an", START, until="awareness_certified")
        on = last_on(flow) + timedelta(days=2)
        flow.fire("an", "assign_cell", on=on, role="superior_committee", data={"to_org": "ks.anmy.ap1"})
    elif variant == "military_recruits":
        drive(flow, "an", START, until="awareness_certified")
        on = last_on(flow) + timedelta(days=2)
        flow.fire("an", "enlist", on=on, role="grassroots_committee", data={"to_org": "ks.qs.c1"})
    elif variant == "students":
        drive(flow, "an", START, until="dossier_in_progress")
        on = last_on(flow) + timedelta(days=3)
        flow.fire("an", "submit_transcript", on=on, role="candidate", documents=[paper("transcript", on)])
    elif variant == "religious_believers":
        drive(flow, "an", START, until="dossier_in_progress")
        on = last_on(flow) + timedelta(days=3)
        flow.fire(
            "an",
            "confirm_religious_conditions",
            on=on,
            role="grassroots_committee",
            documents=[paper("religious_conditions", on)],
        )
        flow.fire(
            "an",
            "submit_religious_activity_statement",
            on=on,
            role="candidate",
            documents=[paper("religious_activity_statement", on)],
        )


def resume(flow: AdmissionFlow, until: str | None = None) -> CandidateRecord:
    return drive(flow, "an", last_on(flow) + timedelta(days=1), until=until)


def dossier_refusal(flow: AdmissionFlow) -> list[str]:
    """The codes dossier_complete is refused with (every earlier dossier step passes); nothing is written."""
    with pytest.raises(TransitionRefused) as caught:
        resume(flow)
    assert caught.value.trigger == "dossier_complete"
    assert flow.candidate("an").state == "dossier_in_progress"
    return [r.code for r in caught.value.reasons]


# ---------------------------------------------------------------- which version a bare id starts on


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_bare_variant_id_from_the_first_of_july_2025_starts_on_the_revised_release(
    orgs: AdmissionFlow, variant: str
) -> None:
    record = enrol(orgs, variant)

    assert record.workflow == f"{variant}@2025.1"
    assert orgs.workflow(record.workflow).extends == "standard@2025.1"


def test_a_bare_variant_id_the_day_before_starts_on_the_2021_rules(orgs: AdmissionFlow) -> None:
    assert enrol(orgs, "students", on=date(2025, 6, 30)).workflow == "students@2021"


# ---------------------------------------------------------------- the variant's own rule, the whole path


@pytest.mark.parametrize("variant", ["students", "enterprise_workers", "military_recruits", "religious_believers"])
def test_the_revised_variant_reaches_full_member_with_its_own_steps(orgs: AdmissionFlow, variant: str) -> None:
    enrol(orgs, variant)
    own_steps(orgs, variant)

    record = resume(orgs)

    assert (record.state, record.workflow) == ("full_member", f"{variant}@2025.1")
    assert "youth_union_resolution" in record.documents  # introduced by the Youth Union and one member


def test_a_student_dossier_is_still_not_complete_without_the_transcript(orgs: AdmissionFlow) -> None:
    enrol(orgs, "students")
    drive(orgs, "an", START, until="dossier_in_progress")

    assert dossier_refusal(orgs) == ["document_missing"]


def test_a_religious_dossier_still_needs_both_papers(orgs: AdmissionFlow) -> None:
    enrol(orgs, "religious_believers")
    drive(orgs, "an", START, until="dossier_in_progress")

    assert dossier_refusal(orgs) == ["document_missing", "document_missing"]


def test_an_enterprise_worker_still_needs_an_assigned_cell_before_the_dossier(orgs: AdmissionFlow) -> None:
    enrol(orgs, "enterprise_workers")
    drive(orgs, "an", START, until="awareness_certified")

    with pytest.raises(TransitionRefused) as caught:
        orgs.fire("an", "authorise_dossier", on=last_on(orgs) + timedelta(days=7), role="cell")

    assert [(r.code, r.values) for r in caught.value.reasons] == [("flag_missing", {"flag": "cell_assigned"})]


def test_a_recruit_still_cannot_enlist_before_the_awareness_certificate(orgs: AdmissionFlow) -> None:
    enrol(orgs, "military_recruits")
    drive(orgs, "an", START, until="in_awareness_class")

    with pytest.raises(TransitionRefused) as caught:
        orgs.fire("an", "enlist", on=last_on(orgs), role="grassroots_committee", data={"to_org": "ks.qs.c1"})

    assert [(r.code, r.values) for r in caught.value.reasons] == [("date_missing", {"date": "certificate_issued_on"})]


def test_an_education_exception_still_routes_to_the_written_consent(orgs: AdmissionFlow) -> None:
    enrol(orgs, "exceptions", education="primary", remote_area=True)

    record = drive(orgs, "an", START, until="awaiting_grassroots_vote")

    assert record.state == "awaiting_grassroots_vote"
    vote_on = last_on(orgs) + timedelta(days=10)
    grassroots = [paper("grassroots_resolution", vote_on)]
    done = orgs.fire(
        "an", "grassroots_vote_passed", on=vote_on, role="grassroots_committee", documents=grassroots, votes=Votes(7, 9)
    )
    assert done.to_state == "awaiting_exception_consent"


# ---------------------------------------------------------------- the revised rules apply to every variant


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_personal_identification_number_is_required_before_the_dossier_is_complete(
    orgs: AdmissionFlow, variant: str
) -> None:
    enrol(orgs, variant, personal_id=None)
    own_steps(orgs, variant)

    assert dossier_refusal(orgs) == ["personal_id_missing"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_two_members_do_not_introduce_a_youth_age_candidate_where_there_is_a_youth_union(
    orgs: AdmissionFlow, variant: str
) -> None:
    # Not a Youth Union member: drive() has two full members introduce him, as the 2025 rules allowed.
    enrol(orgs, variant, youth_union_member=False)
    own_steps(orgs, variant)

    assert dossier_refusal(orgs) == ["youth_union_membership_required", "youth_union_introduction_required"]


# ---------------------------------------------------------------- re-admission: readmission@2025.2


def former_member(flow: AdmissionFlow, left_on: date, **fields: Any) -> CandidateRecord:
    born = date(1990, 2, 3)  # 35 in 2025: either introduction path is accepted (31-35, flagged)
    person = {"birth_date": born, "personal_id": sample_personal_id(born, "male", 8765)} | fields
    record = enrol(flow, "readmission", **person)
    flow.fire(
        "an",
        "declare_previous_membership",
        on=START,
        role="cell",
        documents=[DocumentRecord("previous_membership", START, "BK-01", {"left_reason": "expelled"})],
        data={"left_party_on": left_on.isoformat()},
    )
    flow.fire("an", "admit_to_sympathizer_list", on=START, role="cell", documents=[paper("previous_membership", START)])
    return record


def test_a_bare_readmission_from_the_first_of_july_2025_starts_on_the_revised_base(orgs: AdmissionFlow) -> None:
    record = former_member(orgs, date(2019, 1, 1))

    assert record.workflow == "readmission@2025.2"
    spec = orgs.workflow("readmission@2025.2")
    assert spec.extends == "standard@2025.1"
    assert orgs.workflow("readmission@2025.1").extends == "readmission@2025"  # kept for those pinned to it


def test_readmission_needs_the_personal_identification_number(orgs: AdmissionFlow) -> None:
    former_member(orgs, date(2019, 1, 1), personal_id=None)

    assert dossier_refusal(orgs) == ["personal_id_missing"]


def test_readmission_still_checks_the_36_month_wait_on_the_vote_date_and_then_needs_the_consent(
    orgs: AdmissionFlow,
) -> None:
    vote_on = date(2025, 11, 3)
    former_member(orgs, add_months(vote_on, -36))
    assert resume(orgs, until="awaiting_branch_vote").state == "awaiting_branch_vote"

    def vote(on: date) -> str:
        documents = [paper("branch_resolution", on)]
        return orgs.fire(
            "an", "branch_vote_passed", on=on, role="cell", documents=documents, votes=Votes(8, 10)
        ).to_state

    with pytest.raises(TransitionRefused) as caught:
        vote(vote_on - timedelta(days=1))  # 35 completed months
    assert [r.code for r in caught.value.reasons] == ["readmission_wait_not_over"]
    assert vote(vote_on) == "awaiting_grassroots_vote"
