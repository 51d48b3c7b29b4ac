"""Re-admission (issue 12, item 2) on SQLite and PostgreSQL: the waits are conditions of admission, checked on the
cell's vote date and never earlier; the never-re-admit list refuses from the start with its own code; the
declaration of the previous membership is a paper whose attributes (reason, once) come with the event."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from helpers import migrated_flow

from admission_flow.dates import add_months
from admission_flow.domain.values import DocumentRecord, Votes
from admission_flow.errors import TransitionRefused
from admission_flow.flow import AdmissionFlow
from admission_flow.testing import ManualClock
from admission_flow.testing.scenario import add_sample_orgs, drive

START = date(2025, 1, 1)  # drive() reaches awaiting_branch_vote before 16/6/2025
VOTE_ON = date(2025, 6, 16)


@pytest.fixture
def orgs(database_url: str, clock: ManualClock) -> Iterator[AdmissionFlow]:
    flow = migrated_flow(database_url, clock)
    add_sample_orgs(flow)
    yield flow
    assert flow.store.connections.in_use() == 0, "a connection was not returned to the pool"
    flow.close()


def former_member(flow: AdmissionFlow, workflow: str, left_reason: str, **dates: date) -> str:
    """Enrolled on ``workflow`` on START, with the declaration of the previous membership filed that day."""
    person = {"full_name": "Lê Văn Cường", "birth_date": date(1980, 2, 3), "education": "university"}
    record = flow.add_candidate(id="cuong", org_id="ks.anmy.ap1", workflow=workflow, on=START, **person)
    paper = DocumentRecord("previous_membership", START, "BK-01", {"left_reason": left_reason})
    data = {name: value.isoformat() for name, value in dates.items()}
    flow.fire("cuong", "declare_previous_membership", on=START, role="cell", documents=[paper], data=data)
    return record.workflow


def vote(flow: AdmissionFlow, on: date) -> str:
    done = flow.fire(
        "cuong",
        "branch_vote_passed",
        on=on,
        role="cell",
        documents=[DocumentRecord("branch_resolution", on)],
        votes=Votes(8, 10),
    )
    return done.to_state


def refused_codes(flow: AdmissionFlow, on: date) -> list[str]:
    with pytest.raises(TransitionRefused) as refused:
        vote(flow, on)
    assert flow.candidate("cuong").state == "awaiting_branch_vote"  # nothing written
    return [r.code for r in refused.value.reasons]


def test_the_36_month_wait_is_checked_on_the_vote_date_and_never_refuses_an_earlier_step(
    orgs: AdmissionFlow,
) -> None:
    left = add_months(VOTE_ON, -36)  # 36 completed months on the vote date
    assert former_member(orgs, "readmission@2025.1", "expelled", left_party_on=left) == "readmission@2025.1"

    # The sympathiser list, the class and the dossier come 31 to 34 months after leaving: none is refused.
    assert drive(orgs, "cuong", START + timedelta(days=1), until="awaiting_branch_vote").state == "awaiting_branch_vote"
    assert refused_codes(orgs, VOTE_ON - timedelta(days=1)) == ["readmission_wait_not_over"]  # 35 months
    assert vote(orgs, VOTE_ON) == "awaiting_grassroots_vote"


def test_the_60_month_wait_after_an_expunged_less_serious_conviction_is_checked_on_the_vote_date(
    orgs: AdmissionFlow,
) -> None:
    expunged = add_months(VOTE_ON, -60)
    former_member(
        orgs, "readmission", "less_serious_crime", left_party_on=date(2012, 5, 4), conviction_expunged_on=expunged
    )
    drive(orgs, "cuong", START + timedelta(days=1), until="awaiting_branch_vote")

    assert orgs.candidate("cuong").workflow == "readmission@2021"  # a bare ID on 1/1/2025: the 2021 rules
    assert refused_codes(orgs, VOTE_ON - timedelta(days=1)) == ["readmission_expungement_wait_not_over"]  # 59
    assert vote(orgs, VOTE_ON) == "awaiting_grassroots_vote"


@pytest.mark.parametrize("workflow", ["readmission@2021", "readmission@2025.1"])
def test_the_never_readmit_list_refuses_the_sympathiser_list_with_its_own_code(
    orgs: AdmissionFlow, workflow: str
) -> None:
    former_member(orgs, workflow, "corruption_conviction", left_party_on=date(2010, 1, 1))

    with pytest.raises(TransitionRefused) as refused:
        orgs.fire("cuong", "admit_to_sympathizer_list", on=START + timedelta(days=3), role="cell")

    assert [r.code for r in refused.value.reasons] == ["readmission_never_allowed"]
    assert orgs.candidate("cuong").state == "prospect"


def test_check_ahead_warns_before_the_vote_and_refuses_nothing(orgs: AdmissionFlow) -> None:
    left = add_months(VOTE_ON, -36)
    former_member(orgs, "readmission@2025.1", "lost_contact", left_party_on=left)
    version = orgs.candidate("cuong").version

    early = orgs.check_ahead("cuong", on=VOTE_ON - timedelta(days=1))
    ready = orgs.check_ahead("cuong", on=VOTE_ON)

    assert (early.ok, early.guards, [r["code"] for r in early.reasons]) == (
        False,
        ["readmission_ok"],
        ["readmission_wait_not_over"],
    )
    assert early.reasons[0]["values"]["earliest_on"] == VOTE_ON.isoformat()
    assert (ready.ok, ready.reasons, ready.workflow) == (True, [], "readmission@2025.1")
    assert orgs.candidate("cuong").version == version  # nothing written


def test_check_ahead_on_a_workflow_without_the_rule_judges_nothing(orgs: AdmissionFlow) -> None:
    orgs.add_candidate(id="an", org_id="ks.anmy.ap1", full_name="Nguyễn Văn An", workflow="standard@2025")
    found = orgs.check_ahead("an")
    assert (found.ok, found.guards, found.on) == (True, [], date(2026, 1, 5))
