"""The planning rules at their boundaries: the sourcing plan's 2–3× rule and the allocation of a quota."""

from __future__ import annotations

from datetime import date

import pytest

from admission_flow.domain.inputs import validated
from admission_flow.domain.planning import (
    NewClass,
    NewTarget,
    SourcingRule,
    allocation_status,
    allocation_warning,
    sourcing_warning,
)
from admission_flow.errors import InvalidInput

RULE = SourcingRule()


def code(admissions: int, plan: int | None, rule: SourcingRule = RULE) -> str | None:
    found = sourcing_warning("c1", admissions, plan, rule)
    return None if found is None else found.code


@pytest.mark.parametrize(
    ("plan", "expected"),
    [(439, "sourcing_plan_small"), (440, None), (500, None), (660, None), (661, "sourcing_plan_large")],
)
def test_a_sourcing_plan_from_exactly_twice_to_exactly_three_times_the_quota_raises_no_warning(
    plan: int, expected: str | None
) -> None:
    assert code(220, plan) == expected  # Ba Tri 2016: a quota of 220


def test_without_a_plan_or_without_a_quota_there_is_nothing_to_warn_about() -> None:
    assert code(220, None) is None
    assert code(0, 15) is None  # a cell without a quota may still source


def test_the_factors_are_configurable_and_read_exactly_as_written() -> None:
    rule = SourcingRule.of(2.5, 2.5)
    assert code(10, 25, rule) is None  # 2.5 × 10 is exactly 25, not a float a hair above
    assert code(10, 24, rule) == "sourcing_plan_small"
    assert code(10, 26, rule) == "sourcing_plan_large"
    assert code(3, 7, SourcingRule.of(2.3, 3)) is None  # 2.3 × 3 = 6.9 (binary 2.3 × 3 is 6.8999...)


def test_a_warning_says_why_in_both_languages_with_the_numbers_read() -> None:
    found = sourcing_warning("c1", 220, 400, RULE)
    assert found is not None
    assert "400" in found.message_vi and "220" in found.message_vi and "400" in found.message_en
    assert found.values == {"admissions": 220, "sourcing_plan": 400, "ratio": 1.82, "expected_at_least": "2"}


@pytest.mark.parametrize(
    ("allocated", "with_target", "status", "warning"),
    [
        (0, 0, "unallocated", None),
        (219, 3, "short", "allocation_short"),
        (220, 3, "balanced", None),
        (221, 3, "over", "allocation_over"),
    ],
)
def test_the_childrens_sum_against_the_parents_quota(
    allocated: int, with_target: int, status: str, warning: str | None
) -> None:
    assert allocation_status(220, allocated, with_target) == status
    found = allocation_warning("bt", 220, allocated, status)
    assert (None if found is None else found.code) == warning
    if found is not None:
        assert found.values["difference"] == allocated - 220


def test_a_target_needs_a_period_that_does_not_end_before_it_starts_and_counts_that_are_not_negative() -> None:
    base = {"org_id": "c1", "kind": "annual", "starts_on": date(2024, 1, 1), "ends_on": date(2024, 12, 31)}
    assert validated(NewTarget, {**base, "admissions": 0}).admissions == 0
    with pytest.raises(InvalidInput, match="before"):
        validated(NewTarget, {**base, "ends_on": date(2023, 12, 31), "admissions": 5})
    with pytest.raises(InvalidInput, match="admissions"):
        validated(NewTarget, {**base, "admissions": -1})
    with pytest.raises(InvalidInput, match="kind"):
        validated(NewTarget, {**base, "kind": "monthly", "admissions": 1})
    assert validated(NewTarget, {**base, "ends_on": date(2024, 1, 1), "admissions": 1}).ends_on == date(2024, 1, 1)


def test_a_class_is_of_a_known_kind_with_a_reference_and_a_count() -> None:
    base = {"org_id": "c1", "reference": "L1/2024", "starts_on": date(2024, 3, 1), "attendees": 77}
    assert validated(NewClass, {**base, "kind": "new_member"}).ends_on is None
    with pytest.raises(InvalidInput, match="kind"):
        validated(NewClass, {**base, "kind": "evening"})
    with pytest.raises(InvalidInput, match="reference"):
        validated(NewClass, {**base, "kind": "awareness", "reference": "  "})
