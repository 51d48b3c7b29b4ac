"""Two 2025 rules (issue 12, item 7): ``transfer_not_blocked`` (no official transfer while under inspection or
complaint review, QĐ 294 §6.3.1) and ``personal_id_recorded`` (the 12-digit personal identification number on the
dossier, agreeing with the birth date and sex)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from admission_flow.domain.values import CandidateFacts, OrgFacts
from admission_flow.guards import GuardContext, default_registry

REGISTRY = default_registry()
DECLARED = {"dates": [], "flags": ["under_inspection", "under_complaint_review", "transfer_in_progress"]}


def codes(guard: str, candidate: CandidateFacts, flags: frozenset[str] = frozenset(), **params: Any) -> list[str]:
    definition = REGISTRY.get(guard)
    assert definition is not None
    ctx = GuardContext(
        trigger="start_transfer",
        occurred_on=date(2026, 3, 2),
        candidate=candidate,
        org=OrgFacts(id="cell-1", kind="cell"),
        flags=flags,
    )
    reasons = definition.evaluate(ctx, definition.params.model_validate(params, context=DECLARED | {"documents": []}))
    assert all(r.message_en and r.message_vi for r in reasons)
    return [r.code for r in reasons]


PERSON = CandidateFacts(id="c1", full_name="Lò Thị Mai", birth_date=date(1995, 4, 2), sex="female")


@pytest.mark.parametrize("flag", ["under_inspection", "under_complaint_review"])
def test_a_transfer_is_refused_while_an_inspection_or_a_review_is_open(flag: str) -> None:
    assert codes("transfer_not_blocked", PERSON, frozenset({flag, "transfer_in_progress"})) == ["transfer_blocked"]


def test_both_open_give_two_reasons_and_none_open_gives_none() -> None:
    both = frozenset({"under_inspection", "under_complaint_review"})
    assert codes("transfer_not_blocked", PERSON, both) == ["transfer_blocked", "transfer_blocked"]
    assert codes("transfer_not_blocked", PERSON, frozenset({"transfer_in_progress"})) == []


def test_the_blocking_flags_must_be_declared_by_the_workflow() -> None:
    definition = REGISTRY.get("transfer_not_blocked")
    assert definition is not None
    with pytest.raises(ValidationError, match="unknown flag 'under_audit'"):
        definition.params.model_validate({"flags": ["under_audit"]}, context=DECLARED)


# 0 = province 001 (Hà Nội); digit 4: 3 = a woman born 2000–2099, 1 = a woman born 1900–1999.
@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("001195012345", []),  # 12 digits, 1995, a woman
        (None, ["personal_id_missing"]),
        ("00119501234", ["personal_id_invalid"]),  # 11 digits
        ("0011950123456", ["personal_id_invalid"]),  # 13 digits
        ("001196012345", ["personal_id_invalid"]),  # born 1996 by the number
        ("001095012345", ["personal_id_invalid"]),  # a man by the number
    ],
)
def test_the_personal_identification_number_is_twelve_digits_agreeing_with_the_person(
    number: str | None, expected: list[str]
) -> None:
    person = CandidateFacts(**{**PERSON.__dict__, "personal_id": number})
    assert codes("personal_id_recorded", person) == expected
