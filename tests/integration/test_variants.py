"""Every shipped procedure variant on both databases: a happy path, and the rule that makes the variant.

Candidates start on the sample organisation tree (scenario.SAMPLE_ORGS: 'ks' holds admission and recognition,
'st' written consent) and walk the happy path with ``scenario.drive``, which names the competent body for the
deciding steps. Steps that only a variant knows are fired explicitly, then ``drive`` continues. Paper dates
start on 1/1/2025; the dossier is complete on 19/4/2025 and the cell votes on 16/6/2025 at the earliest used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from functools import partial
from typing import Any

import pytest
from helpers import INSTANCES, migrated_flow, snapshot
from sqlalchemy import select

from admission_flow.dates import add_months
from admission_flow.domain import stored as t
from admission_flow.domain.records import CandidateRecord, FireResult
from admission_flow.domain.values import DocumentRecord, Votes
from admission_flow.errors import TransitionRefused
from admission_flow.flow import AdmissionFlow
from admission_flow.store.schema import Timer, table
from admission_flow.testing import ManualClock
from admission_flow.testing.scenario import add_sample_orgs, drive

TIMERS = table(Timer)
START = date(2025, 1, 1)  # drive() from here: certificate 2025-02-11, dossier complete 2025-04-19
VOTE_ON = date(2025, 6, 16)  # a cell vote while every dossier paper is still fresh
FULL_PATH_TAIL = [
    "awaiting_admission_decision",
    "awaiting_ceremony",
    "probationary",
    "awaiting_recognition_vote",
    "awaiting_recognition_decision",
    "full_member",
]
UNIT_ORGS: list[dict[str, Any]] = [
    {"id": "ks.qs", "name": "Đảng ủy Quân sự huyện Kế Sách", "kind": "grassroots_committee", "parent_id": "ks"},
    {"id": "ks.qs.c1", "name": "Chi bộ Đại đội 1", "kind": "cell", "parent_id": "ks.qs"},
]


@pytest.fixture
def orgs(database_url: str, clock: ManualClock) -> Iterator[AdmissionFlow]:
    """The shipped workflows/ folder, the sample organisation tree and an army unit with its cell."""
    flow = migrated_flow(database_url, clock)
    add_sample_orgs(flow)
    for org in UNIT_ORGS:
        flow.add_org(**org)
    yield flow
    assert flow.store.connections.in_use() == 0, "a connection was not returned to the pool"
    flow.close()


# -------------------------------------------------------------------- helpers


def enrol(
    flow: AdmissionFlow, workflow: str, cid: str = "an", org_id: str = "ks.anmy.ap1", **fields: Any
) -> CandidateRecord:
    values: dict[str, Any] = {"full_name": "Nguyễn Văn An", "birth_date": date(1995, 5, 15), "education": "university"}
    record = flow.add_candidate(id=cid, org_id=org_id, workflow=workflow, **(values | fields))
    assert record.workflow == workflow
    return record


def last_on(flow: AdmissionFlow, cid: str = "an") -> date:
    """The paper date of the candidate's latest event."""
    return flow.history(cid)[-1].occurred_on


def resume(flow: AdmissionFlow, cid: str = "an", until: str | None = None) -> CandidateRecord:
    """drive() again, from the day after the latest event."""
    return drive(flow, cid, last_on(flow, cid) + timedelta(days=1), until=until)


def visited(flow: AdmissionFlow, cid: str = "an") -> list[str]:
    return [e.to_state for e in flow.history(cid) if e.to_state != e.from_state and e.to_state is not None]


def codes(fire: Callable[[], Any]) -> list[str]:
    """The reason codes of a refused call, or [] when it went through."""
    try:
        fire()
    except TransitionRefused as exc:
        return [r.code for r in exc.reasons]
    return []


def refusal(fire: Callable[[], Any]) -> TransitionRefused:
    with pytest.raises(TransitionRefused) as raised:
        fire()
    return raised.value


def doc(kind: str, on: date, **attributes: Any) -> DocumentRecord:
    return DocumentRecord(kind, on, f"{kind}/{on.isoformat()}", attributes)


def introduction(name: str, on: date) -> DocumentRecord:
    since = on.replace(year=on.year - 3).isoformat()
    return doc("introduction", on, introducer=name, full_member=True, together_since=since)


def timers_of(flow: AdmissionFlow, cid: str = "an") -> list[dict[str, Any]]:
    ids = select(INSTANCES.c.id).where(INSTANCES.c.candidate_id == cid)
    with flow.store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(TIMERS).where(TIMERS.c.instance_id.in_(ids)))]


def pending(flow: AdmissionFlow, deadline: str, cid: str = "an") -> list[dict[str, Any]]:
    return sorted(
        (r for r in timers_of(flow, cid) if r["deadline_id"] == deadline and r["status"] == t.PENDING),
        key=lambda r: r["rung"],
    )


def fire_branch_vote(flow: AdmissionFlow, on: date, cid: str = "an") -> FireResult:
    return flow.fire(
        cid, "branch_vote_passed", on=on, role="cell", documents=[doc("branch_resolution", on)], votes=Votes(8, 10)
    )


# -------------------------------------------------------------------- standard@2021 and standard@2025


@pytest.mark.parametrize("workflow", ["standard@2021", "standard@2025"])
def test_the_standard_procedure_reaches_full_member_on_both_rule_sets(orgs: AdmissionFlow, workflow: str) -> None:
    enrol(orgs, workflow)

    record = drive(orgs, "an", START)

    assert (record.state, record.workflow) == ("full_member", workflow)
    assert visited(orgs)[-6:] == FULL_PATH_TAIL
    assert {e.workflow for e in orgs.history("an")} == {workflow}


def test_under_2025_the_admission_decision_is_refused_to_the_cell_and_to_an_unnamed_body(
    orgs: AdmissionFlow,
) -> None:
    enrol(orgs, "standard@2025")
    drive(orgs, "an", START, until="awaiting_admission_decision")
    on = last_on(orgs) + timedelta(days=20)
    decision = [doc("admission_decision", on)]

    def decide(acting_org: str | None) -> FireResult:
        return orgs.fire(
            "an", "decide_admission", on=on, role="competent_committee", documents=decision, acting_org=acting_org
        )

    before = snapshot(orgs, "an")
    for acting_org in ("ks.anmy.ap1", "ks.anmy", None):
        refused = refusal(partial(decide, acting_org))
        assert [r.code for r in refused.reasons] == ["not_competent_authority"]
        assert refused.reasons[0].values == {"power": "admission", "competent_org": "ks", "acting_org": acting_org}
    assert snapshot(orgs, "an") == before

    result = decide("ks")

    assert result.to_state == "awaiting_ceremony"
    assert orgs.history("an")[-1].org_id == "ks"  # the event records the acting organisation


def test_under_2021_the_admission_decision_needs_no_acting_organisation(orgs: AdmissionFlow) -> None:
    enrol(orgs, "standard@2021")
    drive(orgs, "an", START, until="awaiting_admission_decision")
    on = last_on(orgs) + timedelta(days=20)

    result = orgs.fire(
        "an", "decide_admission", on=on, role="competent_committee", documents=[doc("admission_decision", on)]
    )

    assert result.to_state == "awaiting_ceremony"
    assert orgs.history("an")[-1].org_id == "ks.anmy.ap1"


def test_under_2025_written_consent_belongs_to_the_province_not_the_district(orgs: AdmissionFlow) -> None:
    enrol(orgs, "standard@2025", birth_date=date(1960, 3, 8))  # over 60 on the vote: consent needed
    drive(orgs, "an", START, until="awaiting_exception_consent")
    on = last_on(orgs) + timedelta(days=20)

    def grant(acting_org: str | None) -> FireResult:
        return orgs.fire(
            "an",
            "grant_exception_consent",
            on=on,
            role="provincial_standing_board",
            documents=[doc("exception_consent", on)],
            acting_org=acting_org,
        )

    refused = refusal(lambda: grant("ks"))
    assert [r.code for r in refused.reasons] == ["not_competent_authority"]
    assert refused.reasons[0].values["competent_org"] == "st"
    assert codes(lambda: grant(None)) == ["not_competent_authority"]
    assert orgs.candidate("an").state == "awaiting_exception_consent"

    assert grant("st").to_state == "awaiting_admission_decision"
    assert orgs.history("an")[-1].org_id == "st"
    assert resume(orgs).state == "full_member"


def test_under_2025_a_tree_without_any_configured_authority_cannot_decide(orgs: AdmissionFlow) -> None:
    orgs.add_org(id="hg", name="Tỉnh ủy Hậu Giang", kind="province")
    orgs.add_org(id="hg.c1", name="Chi bộ 1", kind="cell", parent_id="hg")
    enrol(orgs, "standard@2025", org_id="hg.c1")
    drive(orgs, "an", START, until="awaiting_admission_decision")
    on = last_on(orgs) + timedelta(days=20)

    refused = refusal(
        lambda: orgs.fire(
            "an",
            "decide_admission",
            on=on,
            role="competent_committee",
            documents=[doc("admission_decision", on)],
            acting_org="hg",
        )
    )

    assert [r.code for r in refused.reasons] == ["no_competent_authority"]
    assert refused.reasons[0].values == {"power": "admission", "org": "hg.c1"}


# -------------------------------------------------------------------- students


def test_a_student_reaches_full_member_once_the_transcript_is_filed(orgs: AdmissionFlow) -> None:
    enrol(orgs, "students@2025")
    drive(orgs, "an", START, until="dossier_in_progress")
    on = last_on(orgs) + timedelta(days=3)
    orgs.fire("an", "submit_transcript", on=on, role="candidate", documents=[doc("transcript", on)])

    record = resume(orgs)

    assert (record.state, record.workflow) == ("full_member", "students@2025")
    assert "transcript" in record.documents


def test_a_student_dossier_is_not_complete_without_the_transcript(orgs: AdmissionFlow) -> None:
    enrol(orgs, "students@2025")
    drive(orgs, "an", START, until="dossier_in_progress")

    refused = refusal(lambda: resume(orgs))  # every standard dossier step passes; dossier_complete does not

    assert refused.trigger == "dossier_complete"
    assert [(r.code, r.values["document"]) for r in refused.reasons] == [("document_missing", "transcript")]
    assert orgs.candidate("an").state == "dossier_in_progress"
    on = last_on(orgs) + timedelta(days=1)
    orgs.fire("an", "submit_transcript", on=on, role="cell", documents=[doc("transcript", on)])
    result = orgs.fire("an", "dossier_complete", on=on + timedelta(days=1), role="cell")
    assert result.to_state == "awaiting_branch_vote"


def test_a_graduating_student_moves_to_another_cell_and_the_certificate_clock_keeps_its_date(
    orgs: AdmissionFlow,
) -> None:
    enrol(orgs, "students@2025")
    drive(orgs, "an", START, until="dossier_in_progress")
    validity = pending(orgs, "certificate_validity")
    assert [r["rung"] for r in validity] == [0, 1, 2, 3]
    certificate_due = add_months(date.fromisoformat(orgs.candidate("an").dates["certificate_issued_on"]), 60)
    assert validity[0]["due_on"] == certificate_due
    on = last_on(orgs) + timedelta(days=5)

    result = orgs.fire("an", "graduate", on=on, role="grassroots_committee", data={"to_org": "ks.anmy.ap2"})

    record = orgs.candidate("an")
    assert (result.from_state, result.to_state) == ("dossier_in_progress", "dossier_in_progress")
    assert (record.org_id, record.dates["graduated_on"]) == ("ks.anmy.ap2", on.isoformat())
    assert orgs.history("an")[-1].payload == {"to_org": "ks.anmy.ap2", "from_org": "ks.anmy.ap1"}
    after = pending(orgs, "certificate_validity")
    assert [(r["id"], r["due_on"], r["fire_at"]) for r in after] == [
        (r["id"], r["due_on"], r["fire_at"]) for r in validity
    ]
    assert after[0]["due_on"] == certificate_due


def test_a_student_cannot_graduate_into_a_committee_or_the_same_cell(orgs: AdmissionFlow) -> None:
    enrol(orgs, "students@2025")
    drive(orgs, "an", START, until="awareness_certified")
    before = snapshot(orgs, "an")

    def graduate(to_org: str) -> FireResult:
        return orgs.fire("an", "graduate", on=last_on(orgs), role="cell", data={"to_org": to_org})

    for target in ("ks.anmy", "ks.anmy.ap1", "nowhere"):
        refused = refusal(partial(graduate, target))
        assert [(r.code, r.values["to_org"]) for r in refused.reasons] == [("transfer_destination_invalid", target)]
    assert snapshot(orgs, "an") == before


# -------------------------------------------------------------------- enterprise workers


def test_an_enterprise_worker_reaches_full_member_in_the_assigned_cell(orgs: AdmissionFlow) -> None:
    enrol(orgs, "enterprise_workers@2025", org_id="ks")
    drive(orgs, "an", START, until="awareness_certified")
    orgs.fire(
        "an",
        "assign_cell",
        on=last_on(orgs) + timedelta(days=2),
        role="superior_committee",
        data={"to_org": "ks.ctyxk"},
    )

    record = resume(orgs)

    assert (record.state, record.org_id) == ("full_member", "ks.ctyxk")
    assert "cell_assigned" in record.flags


def test_the_dossier_cannot_start_before_a_cell_is_assigned(orgs: AdmissionFlow) -> None:
    enrol(orgs, "enterprise_workers@2025", org_id="ks")
    drive(orgs, "an", START, until="awareness_certified")
    on = last_on(orgs) + timedelta(days=7)
    before = snapshot(orgs, "an")

    refused = refusal(lambda: orgs.fire("an", "authorise_dossier", on=on, role="cell"))

    assert [(r.code, r.values) for r in refused.reasons] == [("flag_missing", {"flag": "cell_assigned"})]
    assert snapshot(orgs, "an") == before
    orgs.fire("an", "assign_cell", on=on, role="grassroots_committee", data={"to_org": "ks.ctyxk"})
    record = orgs.candidate("an")
    assert (record.org_id, record.state, record.dates["cell_assigned_on"]) == (
        "ks.ctyxk",
        "awareness_certified",
        on.isoformat(),
    )
    assert orgs.fire("an", "authorise_dossier", on=on + timedelta(days=1), role="cell").to_state == (
        "dossier_in_progress"
    )


def test_the_assigned_cell_must_be_a_cell(orgs: AdmissionFlow) -> None:
    enrol(orgs, "enterprise_workers@2025", org_id="ks")

    assert codes(
        lambda: orgs.fire("an", "assign_cell", on=START, role="superior_committee", data={"to_org": "ks.anmy"})
    ) == ["transfer_destination_invalid"]
    assert orgs.candidate("an").org_id == "ks"


def dossier_with_one_member(flow: AdmissionFlow, on: date, *, trade_union: bool) -> date:
    """The dossier steps of drive(), with one member introducer and, if asked, the Trade Union resolution."""
    steps: list[tuple[str, str, list[DocumentRecord]]] = [
        ("file_application", "candidate", [doc("application", on)]),
        ("declare_background", "candidate", [doc("background", on)]),
        ("stamp_background", "cell", []),
        ("request_verification", "grassroots_committee", []),
        ("record_verification_result", "grassroots_committee", [doc("verification_result", on)]),
        ("certify_background", "grassroots_committee", []),
        ("submit_introduction", "cell", [introduction("Trần Văn Bình", on)]),
        ("record_residence_comment", "cell", [doc("residence_comment", on)]),
        ("compile_comments", "cell", [doc("comments_summary", on)]),
    ]
    if trade_union:
        steps.append(("submit_trade_union_resolution", "cell", [doc("trade_union_resolution", on)]))
    for trigger, role, documents in steps:
        flow.fire("an", trigger, on=on, role=role, documents=documents)
    return on


@pytest.mark.parametrize(
    ("trade_union", "refused"), [(True, []), (False, ["introducers_insufficient"])], ids=["with", "without"]
)
def test_one_member_and_the_trade_union_resolution_are_enough_introducers(
    orgs: AdmissionFlow, trade_union: bool, refused: list[str]
) -> None:
    enrol(orgs, "enterprise_workers@2025", org_id="ks", trade_union_member=True)
    drive(orgs, "an", START, until="awareness_certified")
    on = last_on(orgs) + timedelta(days=2)
    orgs.fire("an", "assign_cell", on=on, role="superior_committee", data={"to_org": "ks.ctyxk"})
    orgs.fire("an", "authorise_dossier", on=on + timedelta(days=1), role="cell")
    done_on = dossier_with_one_member(orgs, on + timedelta(days=10), trade_union=trade_union)

    assert codes(lambda: orgs.fire("an", "dossier_complete", on=done_on + timedelta(days=2), role="cell")) == refused
    if trade_union:
        assert orgs.candidate("an").state == "awaiting_branch_vote"
        assert resume(orgs).state == "full_member"


# -------------------------------------------------------------------- exceptions


def test_a_remote_area_candidate_with_primary_education_needs_written_consent_before_the_decision(
    orgs: AdmissionFlow,
) -> None:
    enrol(orgs, "exceptions@2025", education="primary", remote_area=True)
    drive(orgs, "an", START, until="awaiting_branch_vote")

    assert fire_branch_vote(orgs, VOTE_ON).to_state == "awaiting_grassroots_vote"
    record = drive(orgs, "an", VOTE_ON, until="awaiting_admission_decision")
    # the grassroots vote routed the candidate through the written consent (drive() granted it as st)
    assert visited(orgs)[-3:] == [
        "awaiting_grassroots_vote",
        "awaiting_exception_consent",
        "awaiting_admission_decision",
    ]
    assert "exception_consent" in record.flags


def test_without_the_consent_the_exception_candidate_cannot_be_decided(orgs: AdmissionFlow) -> None:
    enrol(orgs, "exceptions@2025", education="primary", remote_area=True)
    drive(orgs, "an", START, until="awaiting_exception_consent")
    on = last_on(orgs) + timedelta(days=10)

    refused = refusal(
        lambda: orgs.fire(
            "an",
            "decide_admission",
            on=on,
            role="competent_committee",
            documents=[doc("admission_decision", on)],
            acting_org="ks",
        )
    )

    assert [r.code for r in refused.reasons] == ["trigger_not_available"]
    assert orgs.candidate("an").state == "awaiting_exception_consent"
    assert resume(orgs).state == "full_member"


def test_the_exception_happy_path_reaches_full_member_through_the_consent(orgs: AdmissionFlow) -> None:
    enrol(orgs, "exceptions@2025", education="primary", remote_area=True)

    record = drive(orgs, "an", START)

    assert (record.state, record.workflow) == ("full_member", "exceptions@2025")
    assert "awaiting_exception_consent" in visited(orgs)


def test_a_primary_educated_candidate_outside_remote_areas_fails_the_cell_vote(orgs: AdmissionFlow) -> None:
    enrol(orgs, "exceptions@2025", education="primary", remote_area=False)
    drive(orgs, "an", START, until="awaiting_branch_vote")

    assert codes(lambda: fire_branch_vote(orgs, VOTE_ON)) == ["education_below_minimum"]


def test_an_exceptions_candidate_with_secondary_education_needs_no_consent(orgs: AdmissionFlow) -> None:
    enrol(orgs, "exceptions@2025", education="upper_secondary")

    assert drive(orgs, "an", START).state == "full_member"
    assert "awaiting_exception_consent" not in visited(orgs)


# -------------------------------------------------------------------- readmission

LEFT_ON = date(2021, 11, 20)  # 36 completed months on 2024-11-20


def former_member(flow: AdmissionFlow, cid: str = "an", org_id: str = "ks.anmy.ap1", **attributes: Any) -> None:
    attrs = {"readmitted_before": False, "left_reason": "struck_off", "first_admitted_on": "2010-05-19"}
    enrol(flow, "readmission@2025", cid, org_id=org_id, attributes=attrs | attributes)


def declare(flow: AdmissionFlow, cid: str = "an", **dates: date) -> None:
    data = {k: v.isoformat() for k, v in ({"left_party_on": LEFT_ON} | dates).items()}
    flow.fire(cid, "declare_previous_membership", on=date(2024, 10, 1), role="organisation_department", data=data)


def admit(flow: AdmissionFlow, on: date, cid: str = "an") -> FireResult:
    return flow.fire(cid, "admit_to_sympathizer_list", on=on, role="cell")


def test_a_former_member_is_readmitted_through_written_consent_to_full_member(orgs: AdmissionFlow) -> None:
    former_member(orgs)
    declare(orgs)

    record = drive(orgs, "an", START)

    assert (record.state, record.workflow, record.dates["left_party_on"]) == (
        "full_member",
        "readmission@2025",
        LEFT_ON.isoformat(),
    )
    assert visited(orgs)[-8:-6] == ["awaiting_grassroots_vote", "awaiting_exception_consent"]
    assert "exception_consent" in record.flags


def test_readmission_waits_36_completed_months_after_leaving(orgs: AdmissionFlow) -> None:
    former_member(orgs)
    declare(orgs)
    day_35 = add_months(LEFT_ON, 36) - timedelta(days=1)

    refused = refusal(lambda: admit(orgs, day_35))

    assert [r.code for r in refused.reasons] == ["too_soon"]
    assert refused.reasons[0].values == {
        "since": LEFT_ON.isoformat(),
        "months": 35,
        "at_least": 36,
        "earliest": add_months(LEFT_ON, 36).isoformat(),
    }
    assert admit(orgs, add_months(LEFT_ON, 36)).to_state == "sympathizer"


def test_readmission_without_the_date_of_leaving_is_refused_as_date_missing(orgs: AdmissionFlow) -> None:
    former_member(orgs)

    assert codes(lambda: admit(orgs, START)) == ["date_missing"]


@pytest.mark.parametrize("left_reason", ["abandoned_activity", "applied_to_leave", "corruption_conviction"])
def test_a_member_who_left_for_an_excluded_reason_is_never_readmitted(orgs: AdmissionFlow, left_reason: str) -> None:
    former_member(orgs, left_reason=left_reason)
    declare(orgs)

    refused = refusal(lambda: admit(orgs, START))

    assert [(r.code, r.values["field"], r.values["actual"]) for r in refused.reasons] == [
        ("candidate_field_mismatch", "left_reason", left_reason)
    ]


def test_a_person_already_readmitted_once_is_not_readmitted_again(orgs: AdmissionFlow) -> None:
    former_member(orgs, readmitted_before=True)
    declare(orgs)

    refused = refusal(lambda: admit(orgs, START))

    assert [(r.code, r.values["field"]) for r in refused.reasons] == [("candidate_field_mismatch", "readmitted_before")]
    assert orgs.candidate("an").state == "prospect"


def test_the_cell_vote_waits_60_months_after_an_expunged_conviction_then_routes_to_consent(
    orgs: AdmissionFlow,
) -> None:
    expunged = add_months(VOTE_ON, -59)
    former_member(orgs, org_id="ks.ctyxk")  # a grassroots cell: its vote goes straight to the superior
    declare(orgs, conviction_expunged_on=expunged)
    drive(orgs, "an", START, until="awaiting_branch_vote")
    before = snapshot(orgs, "an")

    refused = refusal(lambda: fire_branch_vote(orgs, VOTE_ON))

    assert [r.code for r in refused.reasons] == ["too_soon"]
    assert (refused.reasons[0].values["months"], refused.reasons[0].values["at_least"]) == (59, 60)
    assert snapshot(orgs, "an") == before
    sixty = add_months(expunged, 60)
    assert fire_branch_vote(orgs, sixty).to_state == "awaiting_exception_consent"


def test_a_cell_vote_without_any_conviction_only_counts_the_months_since_leaving(orgs: AdmissionFlow) -> None:
    former_member(orgs, org_id="ks.ctyxk")
    declare(orgs)
    drive(orgs, "an", START, until="awaiting_branch_vote")

    assert fire_branch_vote(orgs, VOTE_ON).to_state == "awaiting_exception_consent"


# -------------------------------------------------------------------- military recruits


def test_a_recruit_enlists_after_the_class_and_becomes_full_member_in_the_unit_cell(orgs: AdmissionFlow) -> None:
    enrol(orgs, "military_recruits@2025")
    drive(orgs, "an", START, until="awareness_certified")
    on = last_on(orgs) + timedelta(days=5)
    orgs.fire("an", "enlist", on=on, role="grassroots_committee", data={"to_org": "ks.qs.c1"})

    record = resume(orgs)

    assert (record.state, record.org_id, record.dates["enlisted_on"]) == ("full_member", "ks.qs.c1", on.isoformat())


def test_a_recruit_cannot_enlist_before_the_awareness_certificate(orgs: AdmissionFlow) -> None:
    enrol(orgs, "military_recruits@2025")
    drive(orgs, "an", START, until="in_awareness_class")
    before = snapshot(orgs, "an")
    on = last_on(orgs)

    refused = refusal(
        lambda: orgs.fire("an", "enlist", on=on, role="grassroots_committee", data={"to_org": "ks.qs.c1"})
    )
    assert [(r.code, r.values) for r in refused.reasons] == [("date_missing", {"date": "certificate_issued_on"})]
    assert snapshot(orgs, "an") == before


def test_enlisting_from_sympathizer_is_refused_for_the_missing_certificate_date(orgs: AdmissionFlow) -> None:
    enrol(orgs, "military_recruits@2025")
    drive(orgs, "an", START, until="in_awareness_class")  # passes through sympathizer
    orgs.fire("an", "fail_class", on=last_on(orgs) + timedelta(days=3), role="political_centre")
    assert orgs.candidate("an").state == "sympathizer"

    refused = refusal(
        lambda: orgs.fire("an", "enlist", on=last_on(orgs), role="grassroots_committee", data={"to_org": "ks.qs.c1"})
    )

    assert [(r.code, r.values["date"]) for r in refused.reasons] == [("date_missing", "certificate_issued_on")]
    assert orgs.candidate("an").org_id == "ks.anmy.ap1"


def test_enlisting_moves_the_file_with_its_certificate_to_the_unit_cell(orgs: AdmissionFlow) -> None:
    enrol(orgs, "military_recruits@2025")
    drive(orgs, "an", START, until="awareness_certified")
    issued = orgs.candidate("an").dates["certificate_issued_on"]
    validity = pending(orgs, "certificate_validity")
    on = last_on(orgs) + timedelta(days=5)

    result = orgs.fire("an", "enlist", on=on, role="superior_committee", data={"to_org": "ks.qs.c1"})

    record = orgs.candidate("an")
    assert (result.to_state, record.org_id, record.dates["certificate_issued_on"]) == (
        "awareness_certified",
        "ks.qs.c1",
        issued,
    )
    assert "awareness_certificate" in record.documents
    assert orgs.history("an")[-1].payload["from_org"] == "ks.anmy.ap1"
    assert [(r["id"], r["due_on"]) for r in pending(orgs, "certificate_validity")] == [
        (r["id"], r["due_on"]) for r in validity
    ]


# -------------------------------------------------------------------- religious believers


def test_a_religious_believer_reaches_full_member_with_both_extra_papers(orgs: AdmissionFlow) -> None:
    enrol(orgs, "religious_believers@2025", religion="Phật giáo")
    drive(orgs, "an", START, until="dossier_in_progress")
    on = last_on(orgs) + timedelta(days=2)
    orgs.fire(
        "an",
        "confirm_religious_conditions",
        on=on,
        role="grassroots_committee",
        documents=[doc("religious_conditions", on)],
    )
    orgs.fire(
        "an",
        "submit_religious_activity_statement",
        on=on,
        role="candidate",
        documents=[doc("religious_activity_statement", on)],
    )

    assert resume(orgs).state == "full_member"


def test_a_religious_believer_dossier_is_complete_only_with_both_religious_papers(orgs: AdmissionFlow) -> None:
    enrol(orgs, "religious_believers@2025", religion="Công giáo")
    drive(orgs, "an", START, until="dossier_in_progress")

    refused = refusal(lambda: resume(orgs))
    assert refused.trigger == "dossier_complete"
    assert [(r.code, r.values["document"]) for r in refused.reasons] == [
        ("document_missing", "religious_conditions"),
        ("document_missing", "religious_activity_statement"),
    ]

    on = last_on(orgs) + timedelta(days=1)
    orgs.fire(
        "an",
        "confirm_religious_conditions",
        on=on,
        role="grassroots_committee",
        documents=[doc("religious_conditions", on)],
    )
    assert codes(lambda: orgs.fire("an", "dossier_complete", on=on, role="cell")) == ["document_missing"]

    orgs.fire(
        "an",
        "submit_religious_activity_statement",
        on=on,
        role="candidate",
        documents=[doc("religious_activity_statement", on)],
    )
    assert orgs.fire("an", "dossier_complete", on=on + timedelta(days=1), role="cell").to_state == (
        "awaiting_branch_vote"
    )
