"""Age and education exceptions (issue 12, item 4; QĐ 294 Mục 1, HD 06-HD/TW Mục 1): ``over_60_ok`` (the basis,
health and standing of a candidate over 60), ``exception_consent_ok`` (the written consent before the decision)
and ``education_ok`` with ``named_exceptions`` (remote area, fisherman at sea, village elder), at their
boundaries: 59, 60 and 61 years (720 completed months is still 60, 721 is over); consent present or missing."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from admission_flow.domain.values import CandidateFacts, OrgFacts
from admission_flow.guards import GuardContext, default_registry

REGISTRY = default_registry()
DECLARED = {"dates": ["branch_resolution_on"], "flags": ["exception_consent"], "documents": []}
BORN = date(1965, 5, 10)
OVER_60_FACTS = {"over_60_basis": "no_party_member", "good_health": True, "good_reputation": "có"}


def codes(
    guard: str,
    *,
    on: date = date(2025, 9, 1),
    birth: date | None = BORN,
    education: str | None = "university",
    remote: bool = False,
    flags: frozenset[str] = frozenset(),
    dates: dict[str, date] | None = None,
    params: dict[str, Any] | None = None,
    **attributes: Any,
) -> list[str]:
    definition = REGISTRY.get(guard)
    assert definition is not None
    person = {"birth_date": birth, "education": education, "remote_area": remote}
    candidate = CandidateFacts(id="c1", full_name="Y Bhao Niê", attributes=attributes, **person)
    ctx = GuardContext(
        trigger="branch_vote_passed",
        occurred_on=on,
        candidate=candidate,
        org=OrgFacts(id="cell-1", kind="grassroots_cell"),
        dates=dates or {},
        flags=flags,
    )
    reasons = definition.evaluate(ctx, definition.params.model_validate(params or {}, context=DECLARED))
    assert all(r.message_en and r.message_vi for r in reasons)
    return [r.code for r in reasons]


# ---------------------------------------------------------------- over_60_ok: 59, 60, 61 years


@pytest.mark.parametrize(
    ("on", "months"),
    [(date(2024, 5, 10), 708), (date(2025, 5, 9), 719), (date(2025, 5, 10), 720), (date(2025, 6, 9), 720)],
)
def test_at_59_and_at_60_years_no_basis_is_asked(on: date, months: int) -> None:
    assert codes("over_60_ok", on=on) == []


@pytest.mark.parametrize("on", [date(2025, 6, 10), date(2026, 5, 10)])  # 721 months; 61 years
def test_over_60_the_basis_health_and_standing_are_each_asked_for(on: date) -> None:
    assert codes("over_60_ok", on=on) == [
        "over_60_basis_missing",
        "over_60_health_not_confirmed",
        "over_60_reputation_not_confirmed",
    ]
    assert codes("over_60_ok", on=on, **OVER_60_FACTS) == []


@pytest.mark.parametrize("basis", ["no_party_organisation", "no_party_member", "special_requirement"])
def test_each_basis_of_the_rule_is_accepted(basis: str) -> None:
    facts = OVER_60_FACTS | {"over_60_basis": basis}
    assert codes("over_60_ok", on=date(2026, 5, 10), **facts) == []


def test_an_unknown_basis_is_refused_with_its_own_code() -> None:
    facts = OVER_60_FACTS | {"over_60_basis": "long_service"}
    assert codes("over_60_ok", on=date(2026, 5, 10), **facts) == ["over_60_basis_unknown"]


def test_health_false_is_not_confirmed() -> None:
    facts = OVER_60_FACTS | {"good_health": False}
    assert codes("over_60_ok", on=date(2026, 5, 10), **facts) == ["over_60_health_not_confirmed"]


def test_without_a_birth_date_the_age_cannot_be_judged() -> None:
    assert codes("over_60_ok", birth=None) == ["birth_date_missing"]


# ---------------------------------------------------------------- exception_consent_ok


def consent(vote_on: date, *, consent_given: bool, **kwargs: Any) -> list[str]:
    flags = frozenset({"exception_consent"}) if consent_given else frozenset()
    return codes("exception_consent_ok", dates={"branch_resolution_on": vote_on}, flags=flags, **kwargs)


def test_consent_is_needed_when_the_candidate_was_over_60_on_the_vote_date_not_on_the_decision_date() -> None:
    assert consent(date(2025, 6, 9), consent_given=False, on=date(2025, 9, 1)) == []  # 720 months at the vote
    assert consent(date(2025, 6, 10), consent_given=False) == ["exception_consent_missing"]  # 721 months
    assert consent(date(2025, 6, 10), consent_given=True) == []


def test_a_village_elder_needs_the_consent_and_a_secondary_graduate_claiming_it_does_not() -> None:
    young = date(1990, 1, 1)
    elder = {"education_exception": "village_elder"}
    assert consent(date(2025, 6, 10), consent_given=False, birth=young, education="primary", **elder) == [
        "exception_consent_missing"
    ]
    assert consent(date(2025, 6, 10), consent_given=True, birth=young, education="primary", **elder) == []
    assert consent(date(2025, 6, 10), consent_given=False, birth=young, education="lower_secondary", **elder) == []


def test_the_area_exception_needs_the_consent_only_where_the_rule_set_lists_it() -> None:
    area = {"birth": date(1990, 1, 1), "education": "primary", "remote": True}
    assert consent(date(2025, 6, 10), consent_given=False, **area) == []  # default: (b) only
    listed = {"consent_for": ["remote_area", "fisherman_at_sea"]}
    assert consent(date(2025, 6, 10), consent_given=False, params=listed, **area) == ["exception_consent_missing"]


def test_the_vote_date_must_be_recorded() -> None:
    assert codes("exception_consent_ok") == ["date_missing"]


# ---------------------------------------------------------------- education_ok with named exceptions

NAMED = {"named_exceptions": True}


@pytest.mark.parametrize(("case", "remote"), [("remote_area", True), ("fisherman_at_sea", False)])
def test_area_exceptions_accept_primary_school_and_refuse_less(case: str, remote: bool) -> None:
    attrs = {"education_exception": case}
    assert codes("education_ok", education="primary", remote=remote, params=NAMED, **attrs) == []
    assert codes("education_ok", education="none", remote=remote, params=NAMED, **attrs) == ["education_below_minimum"]


def test_the_remote_area_field_alone_still_counts_as_the_area_exception() -> None:
    assert codes("education_ok", education="primary", remote=True, params=NAMED) == []
    assert codes("education_ok", education="primary", remote=False, params=NAMED) == ["education_below_minimum"]


@pytest.mark.parametrize("case", ["village_elder", "hamlet_head", "prestigious_person"])
def test_a_village_elder_needs_only_to_read_and_write_vietnamese(case: str) -> None:
    elder = {"education_exception": case, "reads_writes_vietnamese": True}
    assert codes("education_ok", education="none", remote=True, params=NAMED, **elder) == []
    elder["reads_writes_vietnamese"] = False
    assert codes("education_ok", education="none", remote=True, params=NAMED, **elder) == [
        "education_exception_literacy_missing"
    ]


def test_the_elder_exception_applies_only_in_remote_areas() -> None:
    elder = {"education_exception": "village_elder", "reads_writes_vietnamese": "yes"}
    assert codes("education_ok", education="none", remote=False, params=NAMED, **elder) == [
        "education_exception_area_missing"
    ]


def test_an_unknown_exception_is_named_in_the_refusal() -> None:
    attrs = {"education_exception": "veteran"}
    assert codes("education_ok", education="primary", remote=True, params=NAMED, **attrs) == [
        "education_exception_unknown"
    ]


def test_without_named_exceptions_the_released_rule_ignores_the_attribute() -> None:
    elder = {"education_exception": "village_elder", "reads_writes_vietnamese": True}
    assert codes("education_ok", education="none", remote=True, **elder) == ["education_below_minimum"]
    assert codes("education_ok", education="primary", remote=False, **{"education_exception": "fisherman_at_sea"}) == [
        "education_below_minimum"
    ]
