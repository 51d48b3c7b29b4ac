"""``readmission_ok`` at its boundaries (issue 12, item 2; QĐ 24 §3.5.1): 35 vs 36 months after leaving, 59 vs 60
months after a less-serious conviction was expunged, the never-re-admit list with its own code, once per person."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from admission_flow.domain.values import CandidateFacts, DocumentRecord, OrgFacts
from admission_flow.guards import GuardContext, default_registry
from admission_flow.guards.readmission import NEVER_READMITTED, READMISSION_ALLOWED

GUARD = default_registry().get("readmission_ok")
assert GUARD is not None
DECLARED = {"dates": ["left_party_on", "conviction_expunged_on"], "flags": [], "documents": ["previous_membership"]}
LEFT = date(2020, 3, 15)
EXPUNGED = date(2019, 6, 10)


def declaration(**attributes: Any) -> DocumentRecord:
    return DocumentRecord(kind="previous_membership", issued_on=date(2021, 1, 4), attributes=attributes)


def check(
    vote_on: date,
    *,
    papers: list[DocumentRecord] | None = None,
    attributes: dict[str, Any] | None = None,
    dates: dict[str, date] | None = None,
    **params: Any,
) -> list[str]:
    ctx = GuardContext(
        trigger="branch_vote_passed",
        occurred_on=vote_on,
        candidate=CandidateFacts(id="c1", full_name="Lê Văn Cường", attributes=attributes or {}),
        org=OrgFacts(id="cell-1", kind="cell"),
        dates={"left_party_on": LEFT} if dates is None else dates,
        documents={"previous_membership": [declaration(left_reason="expelled")] if papers is None else papers},
    )
    reasons = GUARD.evaluate(ctx, GUARD.params.model_validate(params, context=DECLARED))
    assert all(r.guard == "readmission_ok" and r.message_vi and r.message_en for r in reasons)
    json.dumps([r.as_dict() for r in reasons])
    return [r.code for r in reasons]


@pytest.mark.parametrize(
    ("vote_on", "codes"),
    [
        (date(2023, 3, 14), ["readmission_wait_not_over"]),  # 35 completed months
        (date(2023, 3, 15), []),  # 36 months to the day
        (date(2023, 3, 16), []),
    ],
)
def test_thirty_six_months_after_leaving_are_needed_on_the_vote_date(vote_on: date, codes: list[str]) -> None:
    assert check(vote_on) == codes


def test_the_wait_names_the_months_and_the_earliest_vote_date() -> None:
    ctx = GuardContext(
        trigger="branch_vote_passed",
        occurred_on=date(2023, 3, 14),
        candidate=CandidateFacts(id="c1", full_name="Lê Văn Cường"),
        org=OrgFacts(id="cell-1", kind="cell"),
        dates={"left_party_on": LEFT},
        documents={"previous_membership": [declaration(left_reason="struck_off")]},
    )
    (found,) = GUARD.evaluate(ctx, GUARD.params.model_validate({}, context=DECLARED))
    values = (found.values["months"], found.values["required"], found.values["earliest_on"])
    assert values == (35, 36, "2023-03-15")
    assert "35" in found.message_en and "36" in found.message_vi


@pytest.mark.parametrize(
    ("vote_on", "codes"),
    [
        (date(2024, 6, 9), ["readmission_expungement_wait_not_over"]),  # 59 completed months
        (date(2024, 6, 10), []),  # 60 months to the day
    ],
)
def test_sixty_months_after_an_expunged_less_serious_conviction(vote_on: date, codes: list[str]) -> None:
    papers = [declaration(left_reason="less_serious_crime")]
    dates = {"left_party_on": date(2017, 1, 2), "conviction_expunged_on": EXPUNGED}
    assert check(vote_on, papers=papers, dates=dates) == codes


def test_a_conviction_without_its_expungement_date_is_refused() -> None:
    papers = [declaration(left_reason="less_serious_crime")]
    assert check(date(2026, 1, 5), papers=papers) == ["conviction_expungement_missing"]


def test_an_expungement_date_matters_only_after_a_conviction() -> None:
    dates = {"left_party_on": LEFT, "conviction_expunged_on": date(2025, 1, 1)}
    assert check(date(2026, 1, 5), dates=dates) == []


@pytest.mark.parametrize("left_reason", NEVER_READMITTED)
def test_the_never_readmit_list_refuses_with_its_own_code_whatever_the_wait(left_reason: str) -> None:
    assert check(date(2035, 1, 1), papers=[declaration(left_reason=left_reason)]) == ["readmission_never_allowed"]


@pytest.mark.parametrize("left_reason", [r for r in READMISSION_ALLOWED if r != "less_serious_crime"])
def test_the_allowed_reasons_pass_once_the_wait_is_over(left_reason: str) -> None:
    assert check(date(2023, 3, 15), papers=[declaration(left_reason=left_reason)]) == []


@pytest.mark.parametrize("before", [True, "true", "yes", "có"])
def test_re_admission_happens_only_once(before: object) -> None:
    papers = [declaration(left_reason="expelled", readmitted_before=before)]
    assert check(date(2026, 1, 5), papers=papers) == ["readmission_only_once"]


def test_the_newest_declaration_wins_over_an_older_one_and_over_the_attributes() -> None:
    older = DocumentRecord("previous_membership", date(2020, 1, 1), attributes={"left_reason": "serious_crime"})
    newer = DocumentRecord("previous_membership", date(2022, 1, 1), attributes={"left_reason": "lost_contact"})
    assert check(date(2026, 1, 5), papers=[newer, older], attributes={"left_reason": "applied_to_leave"}) == []


def test_without_a_declaration_the_candidate_attributes_are_read() -> None:
    assert check(date(2026, 1, 5), papers=[], attributes={"left_reason": "applied_to_leave"}) == [
        "readmission_never_allowed"
    ]
    assert check(date(2026, 1, 5), papers=[], attributes={}) == ["left_reason_missing"]


def test_an_unknown_reason_and_a_missing_leaving_date_are_refused_with_their_codes() -> None:
    assert check(date(2026, 1, 5), papers=[declaration(left_reason="moved_abroad")], dates={}) == [
        "left_reason_unknown",
        "date_missing",
    ]


def test_without_the_waits_only_the_reason_and_once_are_checked() -> None:
    assert check(date(2020, 4, 1), waits=False) == []  # two weeks after leaving: the sympathiser list is fine
    assert check(date(2020, 4, 1), papers=[declaration(left_reason="serious_crime")], waits=False) == [
        "readmission_never_allowed"
    ]


def test_the_waits_and_the_lists_are_parameters() -> None:
    assert check(date(2022, 3, 15), wait_months=24) == []
    assert check(
        date(2026, 1, 5), never_reasons=["expelled"], allowed_reasons=["lost_contact"], conviction_reasons=[]
    ) == ["readmission_never_allowed"]
    with pytest.raises(ValidationError, match="both allowed and never"):
        GUARD.params.model_validate({"never_reasons": ["expelled"]}, context=DECLARED)
