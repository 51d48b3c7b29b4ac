"""The built-in guards, exercised through the default registry at the boundaries of each rule."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from admission_flow.dates import Duration
from admission_flow.domain.values import CandidateFacts, DocumentRecord, OrgFacts, Votes
from admission_flow.errors import Reason
from admission_flow.guards import GuardContext, GuardDef, GuardParams, default_registry

REGISTRY = default_registry()
DECLARED: dict[str, list[str]] = {
    "dates": ["certificate_issued_on", "application_on", "probation_end_on"],
    "flags": ["background_certified", "disqualified"],
    "documents": [
        "application",
        "background",
        "comments",
        "introduction",
        "youth_union_resolution",
        "trade_union_resolution",
    ],
}


def d(text: str) -> date:
    return date.fromisoformat(text)


def candidate(**fields: Any) -> CandidateFacts:
    return CandidateFacts(id="c1", full_name="Nguyễn Văn An", **fields)


def context(on: str = "2026-03-15", cand: CandidateFacts | None = None, **fields: Any) -> GuardContext:
    fields.setdefault("org", OrgFacts(id="cell-1", kind="cell", parent_kind="grassroots_committee"))
    return GuardContext(trigger="branch_vote_passed", occurred_on=d(on), candidate=cand or candidate(), **fields)


def guard(name: str) -> GuardDef[Any]:
    found = REGISTRY.get(name)
    assert found is not None, name
    return found


def params(name: str, **values: Any) -> GuardParams:
    validated: GuardParams = guard(name).params.model_validate(values, context=DECLARED)
    return validated


def run(name: str, ctx: GuardContext, **values: Any) -> list[Reason]:
    reasons = guard(name).evaluate(ctx, params(name, **values))
    assert all(r.guard == name and r.message_vi and r.message_en for r in reasons)
    json.dumps([r.as_dict() for r in reasons])  # values stay JSON-friendly
    return reasons


def codes(reasons: Sequence[Reason]) -> list[str]:
    return [r.code for r in reasons]


def only(reasons: Sequence[Reason], code: str) -> Reason:
    assert codes(reasons) == [code]
    return reasons[0]


def docs(**kinds: Sequence[DocumentRecord]) -> Mapping[str, Sequence[DocumentRecord]]:
    return kinds


# ---------------------------------------------------------------- registry


def test_the_default_registry_holds_every_builtin_guard_with_a_description() -> None:
    expected = {
        "age_in_range",
        "awareness_certificate_valid",
        "candidate_field",
        "competent_authority",
        "data_present",
        "date_not_before",
        "date_within",
        "months_since",
        "documents_fresh",
        "documents_present",
        "education_ok",
        "exception_consent_ok",
        "flag_not_set",
        "flag_set",
        "introducers_ok",
        "org_kind",
        "readmission_ok",
        "vote_ratio",
        "over_60_ok",
        "personal_id_recorded",
        "transfer_not_blocked",
    }
    assert set(REGISTRY.names()) == expected
    assert all(guard(name).description for name in expected)


def test_params_reject_unknown_keys() -> None:
    with pytest.raises(ValidationError, match="extra"):
        params("age_in_range", minimum=216)


# ---------------------------------------------------------------- age_in_range

BORN_2008 = candidate(birth_date=d("2008-03-15"))


def test_a_candidate_one_day_short_of_18_is_refused_with_the_age_in_months() -> None:
    r = only(run("age_in_range", context("2026-03-14", BORN_2008)), "age_below_minimum")
    assert r.values == {
        "birth_date": "2008-03-15",
        "on": "2026-03-14",
        "age_months": 215,
        "min_months": 216,
        "max_months": 720,
    }
    assert "215 tháng" in r.message_vi and "216 tháng (18 tuổi)" in r.message_vi


def test_a_candidate_is_18_on_the_same_day_of_the_month() -> None:
    assert run("age_in_range", context("2026-03-15", BORN_2008)) == []


def test_a_candidate_of_exactly_720_months_is_within_range() -> None:
    born = candidate(birth_date=d("1966-03-15"))
    assert run("age_in_range", context("2026-04-14", born)) == []


def test_a_candidate_of_721_months_is_above_the_maximum() -> None:
    born = candidate(birth_date=d("1966-03-15"))
    r = only(run("age_in_range", context("2026-04-15", born)), "age_above_maximum")
    assert r.values["age_months"] == 721 and r.values["max_months"] == 720
    assert "60 tuổi" in r.message_vi


def test_the_over_60_route_passes_at_721_months_and_not_at_720() -> None:
    born = candidate(birth_date=d("1966-03-15"))
    over_60 = {"min_months": 721, "max_months": None}
    assert run("age_in_range", context("2026-04-15", born), **over_60) == []
    assert codes(run("age_in_range", context("2026-04-14", born), **over_60)) == ["age_below_minimum"]


def test_someone_born_on_29_february_turns_18_on_28_february() -> None:
    leapling = candidate(birth_date=d("2008-02-29"))
    assert codes(run("age_in_range", context("2026-02-27", leapling))) == ["age_below_minimum"]
    assert run("age_in_range", context("2026-02-28", leapling)) == []


def test_age_can_be_measured_on_another_recorded_date() -> None:
    ctx = context("2030-01-01", BORN_2008, dates={"application_on": d("2026-03-14")})
    assert codes(run("age_in_range", ctx, on="application_on")) == ["age_below_minimum"]


def test_a_missing_birth_date_and_a_missing_reference_date_are_both_reported() -> None:
    reasons = run("age_in_range", context(), on="application_on")
    assert codes(reasons) == ["birth_date_missing", "date_missing"]
    assert reasons[1].values == {"date": "application_on"}


def test_age_params_reject_an_undeclared_date_and_an_inverted_range() -> None:
    with pytest.raises(ValidationError, match="unknown date 'vote_on'"):
        params("age_in_range", on="vote_on")
    with pytest.raises(ValidationError, match="max_months"):
        params("age_in_range", min_months=300, max_months=200)


# ---------------------------------------------------------------- education_ok


@pytest.mark.parametrize("level", ["lower_secondary", "upper_secondary", "university"])
def test_lower_secondary_education_or_higher_passes(level: str) -> None:
    assert run("education_ok", context(cand=candidate(education=level))) == []


def test_primary_education_outside_a_remote_area_is_below_the_minimum() -> None:
    r = only(run("education_ok", context(cand=candidate(education="primary"))), "education_below_minimum")
    assert r.values["level"] == "primary" and r.values["required"] == "lower_secondary"
    assert r.values["exception_considered"] is False
    assert "trung học cơ sở" in r.message_vi


def test_primary_education_in_a_remote_area_passes_by_the_exception() -> None:
    assert run("education_ok", context(cand=candidate(education="primary", remote_area=True))) == []


def test_no_schooling_fails_even_in_a_remote_area() -> None:
    ctx = context(cand=candidate(education="none", remote_area=True))
    r = only(run("education_ok", ctx), "education_below_minimum")
    assert r.values["exception_considered"] is True and r.values["exception_min_level"] == "primary"


def test_the_remote_area_exception_can_be_switched_off() -> None:
    ctx = context(cand=candidate(education="primary", remote_area=True))
    r = only(run("education_ok", ctx, allow_remote_area_exception=False), "education_below_minimum")
    assert r.values["exception_considered"] is False


@pytest.mark.parametrize("level", [None, "grade_9"])
def test_a_missing_or_unrecognised_education_is_reported_as_missing(level: str | None) -> None:
    r = only(run("education_ok", context(cand=candidate(education=level))), "education_missing")
    assert r.values["level"] == level


def test_education_params_reject_unknown_levels() -> None:
    with pytest.raises(ValidationError, match="unknown education level"):
        params("education_ok", min_level="high_school")


# ---------------------------------------------------------------- awareness_certificate_valid


def certificate(on: str, issued: str = "2020-01-15") -> GuardContext:
    return context(on, dates={"certificate_issued_on": d(issued)})


def test_a_certificate_59_months_old_is_still_valid() -> None:
    assert run("awareness_certificate_valid", certificate("2025-01-14")) == []


def test_a_certificate_expires_on_the_day_its_60th_month_completes() -> None:
    r = only(run("awareness_certificate_valid", certificate("2025-01-15")), "awareness_certificate_expired")
    assert r.values == {
        "issued_on": "2020-01-15",
        "on": "2025-01-15",
        "months_elapsed": 60,
        "limit_months": 60,
        "expired_on": "2025-01-15",
    }


def test_the_worked_example_vote_on_3_february_2025_finds_the_certificate_expired() -> None:
    r = only(run("awareness_certificate_valid", certificate("2025-02-03")), "awareness_certificate_expired")
    assert r.values["months_elapsed"] == 60 and "hết hạn" in r.message_vi


def test_a_certificate_61_months_old_is_expired() -> None:
    r = only(run("awareness_certificate_valid", certificate("2025-02-15")), "awareness_certificate_expired")
    assert r.values["months_elapsed"] == 61


def test_a_missing_certificate_is_reported() -> None:
    r = only(run("awareness_certificate_valid", context("2025-01-14")), "awareness_certificate_missing")
    assert r.values == {"date": "certificate_issued_on"}


def test_a_certificate_dated_after_the_vote_is_reported_as_future() -> None:
    r = only(run("awareness_certificate_valid", certificate("2020-01-14")), "awareness_certificate_future")
    assert r.values == {"issued_on": "2020-01-15", "on": "2020-01-14"}


def test_the_certificate_date_must_be_declared_by_the_workflow_even_when_defaulted() -> None:
    with pytest.raises(ValidationError, match="certificate_issued_on"):
        guard("awareness_certificate_valid").params.model_validate({}, context={"dates": ["other"]})


# ---------------------------------------------------------------- documents_present


def paper(kind: str, issued: str = "2025-01-10", **attributes: Any) -> DocumentRecord:
    return DocumentRecord(kind=kind, issued_on=d(issued), attributes=attributes)


def test_each_missing_document_is_reported_once() -> None:
    ctx = context(documents=docs(application=[paper("application")], background=[]))
    reasons = run("documents_present", ctx, documents=["application", "background", "comments"])
    assert codes(reasons) == ["document_missing", "document_missing"]
    assert [r.values["document"] for r in reasons] == ["background", "comments"]


def test_present_documents_pass() -> None:
    ctx = context(documents=docs(application=[paper("application")]))
    assert run("documents_present", ctx, documents=["application"]) == []


def test_documents_present_needs_at_least_one_declared_document() -> None:
    with pytest.raises(ValidationError):
        params("documents_present", documents=[])
    with pytest.raises(ValidationError, match="unknown document 'cv'"):
        params("documents_present", documents=["cv"])


# ---------------------------------------------------------------- documents_fresh

SIX_MONTHS = {"comments": Duration(months=6)}


def test_a_paper_valid_six_months_is_usable_through_the_day_before() -> None:
    ctx = context("2025-07-09", documents=docs(comments=[paper("comments")]), document_validity=SIX_MONTHS)
    assert run("documents_fresh", ctx) == []


def test_a_paper_valid_six_months_has_expired_on_the_same_day_six_months_later() -> None:
    ctx = context("2025-07-10", documents=docs(comments=[paper("comments")]), document_validity=SIX_MONTHS)
    r = only(run("documents_fresh", ctx), "document_expired")
    assert r.values == {
        "document": "comments",
        "issued_on": "2025-01-10",
        "valid_until": "2025-07-09",
        "expired_on": "2025-07-10",
        "validity": {"months": 6},
        "on": "2025-07-10",
    }


def test_the_newest_copy_of_a_paper_is_the_one_that_counts() -> None:
    copies = [paper("comments", "2025-01-10"), paper("comments", "2025-03-01"), paper("comments", "2024-12-01")]
    ctx = context("2025-08-01", documents=docs(comments=copies), document_validity=SIX_MONTHS)
    assert run("documents_fresh", ctx) == []


def test_validity_in_params_overrides_the_workflow_and_counts_days_and_weeks() -> None:
    ctx = context("2025-01-24", documents=docs(comments=[paper("comments")]), document_validity=SIX_MONTHS)
    assert codes(run("documents_fresh", ctx, validity={"comments": {"weeks": 2}})) == ["document_expired"]
    assert run("documents_fresh", ctx, validity={"comments": {"days": 15}}) == []
    assert codes(run("documents_fresh", ctx, validity={"comments": {"days": 14}})) == ["document_expired"]


def test_missing_papers_and_papers_without_validity_are_not_checked() -> None:
    ctx = context("2030-01-01", documents=docs(application=[paper("application")]), document_validity=SIX_MONTHS)
    assert run("documents_fresh", ctx) == []
    assert run("documents_fresh", ctx, documents=["application", "comments"]) == []


def test_listing_documents_limits_the_check_to_them() -> None:
    both = docs(comments=[paper("comments")], background=[paper("background")])
    validity = {**SIX_MONTHS, "background": Duration(months=12)}
    ctx = context("2025-08-01", documents=both, document_validity=validity)
    assert [r.values["document"] for r in run("documents_fresh", ctx)] == ["comments"]
    assert run("documents_fresh", ctx, documents=["background"]) == []


# ---------------------------------------------------------------- introducers_ok


def member(name: str, since: Any = "2024-01-01", full: Any = True) -> DocumentRecord:
    return paper("introduction", introducer=name, full_member=full, together_since=since)


def introductions(*members: DocumentRecord, union: str | None = None, on: str = "2025-01-01") -> GuardContext:
    papers: dict[str, Sequence[DocumentRecord]] = {"introduction": list(members)}
    if union:
        papers[union] = [paper(union)]
    return context(on, documents=papers)


def test_two_qualifying_full_members_are_enough() -> None:
    assert run("introducers_ok", introductions(member("Trần B"), member("Lê C"))) == []


def test_one_full_member_alone_is_not_enough() -> None:
    r = only(run("introducers_ok", introductions(member("Trần B"))), "introducers_insufficient")
    assert r.values == {"qualifying_members": 1, "union_introduction": False, "required": 2}


@pytest.mark.parametrize("union", ["youth_union_resolution", "trade_union_resolution"])
def test_one_full_member_with_a_union_resolution_is_enough(union: str) -> None:
    assert run("introducers_ok", introductions(member("Trần B"), union=union)) == []


def test_an_introducer_together_11_months_does_not_qualify_and_12_months_does() -> None:
    short = introductions(member("Trần B", since="2024-01-02"), union="youth_union_resolution")
    reasons = run("introducers_ok", short)
    assert codes(reasons) == ["introducers_insufficient", "introducer_too_short_together"]
    assert reasons[0].values["required"] == 1
    assert reasons[1].values["introducer"] == "Trần B"
    assert reasons[1].values["months_together"] == 11 and reasons[1].values["required"] == 12
    exact = introductions(member("Trần B", since="2024-01-01"), union="youth_union_resolution")
    assert run("introducers_ok", exact) == []


def test_a_probationary_member_cannot_introduce() -> None:
    reasons = run("introducers_ok", introductions(member("Trần B"), member("Lê C", full=False)))
    assert codes(reasons) == ["introducers_insufficient", "introducer_not_full_member"]
    assert reasons[1].values["introducer"] == "Lê C"


def test_introducer_attributes_may_be_text() -> None:
    both = introductions(
        member("Trần B", since="2023-05-01", full="yes"), member("Lê C", since=d("2023-01-01"), full="1")
    )
    assert run("introducers_ok", both) == []
    assert codes(run("introducers_ok", introductions(member("Trần B", full="no"), member("Lê C")))) == [
        "introducers_insufficient",
        "introducer_not_full_member",
    ]


def test_an_introducer_without_a_together_since_date_does_not_qualify() -> None:
    reasons = run("introducers_ok", introductions(member("Trần B", since=None), member("Lê C")))
    assert codes(reasons) == ["introducers_insufficient", "introducer_too_short_together"]
    assert reasons[1].values["months_together"] is None


def test_the_same_introducer_counts_once() -> None:
    r = run("introducers_ok", introductions(member("Trần B"), member("trần b ")))[0]
    assert r.code == "introducers_insufficient" and r.values["qualifying_members"] == 1


def test_the_months_together_are_counted_to_the_vote_date() -> None:
    ctx = introductions(member("Trần B", since="2024-06-01"), member("Lê C"), on="2025-05-31")
    assert codes(run("introducers_ok", ctx)) == ["introducers_insufficient", "introducer_too_short_together"]
    ctx = introductions(member("Trần B", since="2024-06-01"), member("Lê C"), on="2025-06-01")
    assert run("introducers_ok", ctx) == []


# ---------------------------------------------------------------- vote_ratio


def vote(in_favour: int, eligible: int, against: int | None = None) -> GuardContext:
    return context(votes=Votes(in_favour=in_favour, eligible=eligible, against=against))


def test_five_of_nine_is_below_two_thirds_and_six_are_needed() -> None:
    r = only(run("vote_ratio", vote(5, 9)), "vote_ratio_not_reached")
    assert r.values == {"in_favour": 5, "eligible": 9, "against": None, "required": "2/3", "needed": 6}
    assert "2/3" in r.message_vi and "6" in r.message_vi


@pytest.mark.parametrize(("in_favour", "eligible"), [(6, 9), (2, 3), (200, 300), (9, 9)])
def test_two_thirds_or_more_of_full_members_passes(in_favour: int, eligible: int) -> None:
    assert run("vote_ratio", vote(in_favour, eligible)) == []


def test_the_ratio_is_exact_not_floating_point() -> None:
    assert codes(run("vote_ratio", vote(199, 300))) == ["vote_ratio_not_reached"]
    assert codes(run("vote_ratio", vote(666_666, 1_000_000))) == ["vote_ratio_not_reached"]
    assert run("vote_ratio", vote(666_667, 1_000_000)) == []


def test_a_body_of_two_full_members_is_too_small_to_vote() -> None:
    r = only(run("vote_ratio", vote(1, 2)), "voting_body_too_small")
    assert r.values["eligible"] == 2 and r.values["min_eligible"] == 3


def test_a_missing_vote_is_reported() -> None:
    assert codes(run("vote_ratio", context())) == ["votes_missing"]


@pytest.mark.parametrize(("in_favour", "eligible", "against"), [(10, 9, None), (-1, 9, None), (0, 0, None), (6, 9, 4)])
def test_an_impossible_vote_result_is_invalid(in_favour: int, eligible: int, against: int | None) -> None:
    assert codes(run("vote_ratio", vote(in_favour, eligible, against))) == ["votes_invalid"]


@pytest.mark.parametrize("share", ["1/2", "0.5", 0.5])
def test_other_shares_can_be_written_as_fractions_or_decimals(share: object) -> None:
    assert run("vote_ratio", vote(2, 4), at_least=share) == []
    r = only(run("vote_ratio", vote(1, 3), at_least=share), "vote_ratio_not_reached")
    assert r.values["needed"] == 2


@pytest.mark.parametrize("share", ["3/2", "0", "-1/2", "two thirds", "1/0"])
def test_shares_outside_zero_to_one_or_unparsable_are_rejected(share: str) -> None:
    with pytest.raises(ValidationError):
        params("vote_ratio", at_least=share)


# ---------------------------------------------------------------- date_not_before


def dated(on: str, **dates: str) -> GuardContext:
    return context(on, dates={k: d(v) for k, v in dates.items()})


def test_a_date_equal_to_its_lower_bound_passes() -> None:
    assert (
        run("date_not_before", dated("2026-01-01", probation_end_on="2026-01-01"), not_before="probation_end_on") == []
    )


def test_a_date_before_its_lower_bound_is_too_early() -> None:
    ctx = dated("2025-12-31", probation_end_on="2026-01-01")
    r = only(run("date_not_before", ctx, not_before="probation_end_on"), "date_too_early")
    assert r.values == {
        "date": "occurred_on",
        "on": "2025-12-31",
        "not_before": "probation_end_on",
        "not_before_on": "2026-01-01",
    }


def test_missing_dates_are_reported_by_name() -> None:
    reasons = run("date_not_before", dated("2026-01-01"), date="application_on", not_before="probation_end_on")
    assert codes(reasons) == ["date_missing", "date_missing"]
    assert [r.values["date"] for r in reasons] == ["application_on", "probation_end_on"]


def test_date_not_before_requires_its_bound() -> None:
    with pytest.raises(ValidationError, match="not_before"):
        params("date_not_before")


# ---------------------------------------------------------------- flags


def test_flag_set_passes_only_when_the_flag_is_recorded() -> None:
    assert run("flag_set", context(flags=frozenset({"background_certified"})), flag="background_certified") == []
    r = only(run("flag_set", context(), flag="background_certified"), "flag_missing")
    assert r.values == {"flag": "background_certified"}


def test_flag_not_set_fails_when_the_flag_is_recorded() -> None:
    assert run("flag_not_set", context(), flag="disqualified") == []
    assert codes(run("flag_not_set", context(flags=frozenset({"disqualified"})), flag="disqualified")) == [
        "flag_present"
    ]


def test_flags_must_be_declared() -> None:
    with pytest.raises(ValidationError, match="unknown flag"):
        params("flag_set", flag="certified")


# ---------------------------------------------------------------- org_kind


def under(kind: str, parent: str | None) -> GuardContext:
    return context(org=OrgFacts(id="o1", kind=kind, parent_kind=parent))


def test_a_cell_under_a_partial_committee_is_routed_to_partial_appraisal() -> None:
    assert run("org_kind", under("cell", "partial_committee"), parent_kinds=["partial_committee"]) == []
    r = only(
        run("org_kind", under("cell", "grassroots_committee"), parent_kinds=["partial_committee"]), "org_kind_mismatch"
    )
    assert r.values["parent_kind"] == "grassroots_committee" and r.values["kind"] == "cell"


def test_org_kind_needs_both_lists_to_match_when_both_are_given() -> None:
    both = {"kinds": ["cell"], "parent_kinds": ["partial_committee"]}
    assert run("org_kind", under("cell", "partial_committee"), **both) == []
    assert codes(run("org_kind", under("grassroots_cell", "partial_committee"), **both)) == ["org_kind_mismatch"]


def test_org_kind_needs_at_least_one_list() -> None:
    with pytest.raises(ValidationError, match="kinds"):
        params("org_kind")


# ---------------------------------------------------------------- candidate_field


def test_candidate_field_compares_a_candidate_fact_with_equals() -> None:
    believer = context(cand=candidate(religion="Công giáo"))
    assert run("candidate_field", believer, field="religion", equals="Công giáo") == []
    r = only(run("candidate_field", context(), field="religion", equals="Công giáo"), "candidate_field_mismatch")
    assert r.values == {"field": "religion", "actual": None, "expected": "Công giáo"}


def test_candidate_field_checks_membership_with_in() -> None:
    student = context(cand=candidate(occupation="student"))
    assert run("candidate_field", student, field="occupation", **{"in": ["student", "pupil"]}) == []
    assert codes(run("candidate_field", student, field="occupation", **{"in": ["worker"]})) == [
        "candidate_field_mismatch"
    ]


def test_candidate_field_reads_booleans_and_free_attributes() -> None:
    ctx = context(cand=candidate(youth_union_member=True, attributes={"military": "recruit"}))
    assert run("candidate_field", ctx, field="youth_union_member", equals=True) == []
    assert run("candidate_field", ctx, field="military", equals="recruit") == []
    r = only(run("candidate_field", ctx, field="fisherman", equals=True), "candidate_field_mismatch")
    assert r.values["actual"] is None


def test_candidate_field_equals_null_matches_an_unset_fact() -> None:
    assert run("candidate_field", context(), field="religion", equals=None) == []


@pytest.mark.parametrize("tests", [{}, {"equals": "x", "in": ["x"]}])
def test_candidate_field_needs_exactly_one_of_equals_and_in(tests: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        params("candidate_field", field="sex", **tests)


# ---------------------------------------------------------------- data_present


def test_data_present_reports_each_absent_or_blank_key() -> None:
    ctx = context(data={"decision_number": "123-QĐ/ĐU", "signer": "", "note": None})
    reasons = run("data_present", ctx, keys=["decision_number", "signer", "note", "signed_on"])
    assert codes(reasons) == ["data_missing"] * 3
    assert [r.values["key"] for r in reasons] == ["signer", "note", "signed_on"]


def test_data_present_passes_when_every_key_has_a_value() -> None:
    assert (
        run("data_present", context(data={"decision_number": "123", "count": 0}), keys=["decision_number", "count"])
        == []
    )


def test_data_present_needs_at_least_one_key() -> None:
    with pytest.raises(ValidationError):
        params("data_present", keys=[])
