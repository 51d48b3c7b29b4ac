"""``introducers_ok`` with ``youth_path`` (issue 12, item 1; ĐL Art. 4.1, QĐ 24 §3.1): a candidate of Youth Union age
(30 or under, a parameter) whose organisation has a Youth Union must be a Youth Union member introduced by the
Youth Union (Mẫu 4-KNĐ) plus one full member; two full members are not enough. 31–35 keep either path, flagged."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from admission_flow.domain.values import CandidateFacts, DocumentRecord, OrgFacts
from admission_flow.guards import GuardContext, default_registry

GUARD = default_registry().get("introducers_ok")
assert GUARD is not None
DECLARED = {"dates": [], "flags": [], "documents": ["introduction", "youth_union_resolution", "trade_union_resolution"]}
BORN = date(1996, 3, 15)


def member(name: str) -> DocumentRecord:
    attrs = {"introducer": name, "full_member": True, "together_since": "2020-01-01"}
    return DocumentRecord("introduction", date(2025, 1, 2), attributes=attrs)


TWO_MEMBERS = {"introduction": [member("Trần Văn Bình"), member("Lê Thị Cúc")]}
YOUTH = [DocumentRecord("youth_union_resolution", date(2025, 1, 3))]
TRADE = [DocumentRecord("trade_union_resolution", date(2025, 1, 3))]
YOUTH_AND_ONE = {"introduction": [member("Trần Văn Bình")], "youth_union_resolution": YOUTH}
TRADE_AND_ONE = {"introduction": [member("Trần Văn Bình")], "trade_union_resolution": TRADE}


def check(
    on: date,
    papers: dict[str, list[DocumentRecord]],
    *,
    youth_member: bool = True,
    youth_union_here: bool = True,
    **params: Any,
) -> list[str]:
    ctx = GuardContext(
        trigger="branch_vote_passed",
        occurred_on=on,
        candidate=CandidateFacts(id="c1", full_name="Phạm Thu Hà", birth_date=BORN, youth_union_member=youth_member),
        org=OrgFacts(id="cell-1", kind="cell", has_youth_union=youth_union_here),
        documents=papers,
    )
    values = {"youth_path": True} | params
    reasons = GUARD.evaluate(ctx, GUARD.params.model_validate(values, context=DECLARED))
    assert all(r.message_en and r.message_vi for r in reasons)
    return [r.code for r in reasons]


@pytest.mark.parametrize(
    ("on", "age"),
    [(date(2026, 3, 14), 29), (date(2026, 3, 15), 30)],
)
def test_at_29_and_30_two_full_members_are_not_enough(on: date, age: int) -> None:
    assert check(on, TWO_MEMBERS) == ["youth_union_introduction_required"]
    assert check(on, YOUTH_AND_ONE) == []


def test_at_31_two_full_members_are_enough_again_and_the_youth_path_still_counts() -> None:
    on = date(2027, 3, 15)
    assert check(on, TWO_MEMBERS) == []
    assert check(on, YOUTH_AND_ONE) == []


def test_at_30_the_candidate_must_be_a_youth_union_member() -> None:
    assert check(date(2026, 3, 15), YOUTH_AND_ONE, youth_member=False) == ["youth_union_membership_required"]


def test_at_30_the_youth_union_resolution_still_needs_one_qualifying_full_member() -> None:
    papers = {"youth_union_resolution": YOUTH}
    assert check(date(2026, 3, 15), papers) == ["introducers_insufficient"]


def test_at_30_a_trade_union_resolution_does_not_replace_the_youth_union() -> None:
    assert check(date(2026, 3, 15), TRADE_AND_ONE) == ["youth_union_introduction_required"]


def test_where_the_organisation_has_no_youth_union_the_usual_paths_apply_at_any_age() -> None:
    assert check(date(2021, 3, 15), TWO_MEMBERS, youth_union_here=False) == []
    assert check(date(2021, 3, 15), TRADE_AND_ONE, youth_union_here=False) == []  # the Trade Union path


def test_without_youth_path_the_released_rule_is_unchanged() -> None:
    assert check(date(2021, 3, 15), TWO_MEMBERS, youth_path=False) == []


@pytest.mark.parametrize(("on", "flagged"), [(date(2031, 3, 15), True), (date(2032, 3, 15), False)])
def test_from_31_to_35_a_refusal_carries_the_youth_age_flag(on: date, flagged: bool) -> None:
    ctx = GuardContext(
        trigger="branch_vote_passed",
        occurred_on=on,
        candidate=CandidateFacts(id="c1", full_name="Phạm Thu Hà", birth_date=BORN),
        org=OrgFacts(id="cell-1", kind="cell", has_youth_union=True),
        documents={"introduction": [member("Trần Văn Bình")]},
    )
    (found,) = GUARD.evaluate(ctx, GUARD.params.model_validate({"youth_path": True}, context=DECLARED))
    assert found.code == "introducers_insufficient"
    assert found.values.get("youth_age_flagged", False) is flagged


def test_the_youth_age_boundary_is_a_parameter() -> None:
    on = date(2027, 3, 15)  # 31
    assert check(on, TWO_MEMBERS, youth_max_age=35) == ["youth_union_introduction_required"]


def test_an_unknown_birth_date_cannot_be_judged_for_the_youth_path() -> None:
    ctx = GuardContext(
        trigger="dossier_complete",
        occurred_on=date(2026, 1, 5),
        candidate=CandidateFacts(id="c1", full_name="Phạm Thu Hà"),
        org=OrgFacts(id="cell-1", kind="cell", has_youth_union=True),
        documents=TWO_MEMBERS,
    )
    reasons = GUARD.evaluate(ctx, GUARD.params.model_validate({"youth_path": True}, context=DECLARED))
    assert [r.code for r in reasons] == ["birth_date_missing"]
