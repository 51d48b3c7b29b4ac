"""Party age and the official date (issue 12, item 5; domain ref. §6.5 worked example and Stage L)."""

from __future__ import annotations

from datetime import date

from admission_flow.domain.membership import membership_dates

# The worked example: decision signed 25/8/2024, ceremony 15/9/2024, probation ends 15/9/2025.
WORKED = {"decision_signed_on": "2024-08-25", "ceremony_on": "2024-09-15", "probation_end_on": "2025-09-15"}


def test_the_worked_example_counts_party_age_from_the_decision_not_the_ceremony() -> None:
    found = membership_dates("an", WORKED | {"full_member_since": "2025-09-15"}, {}, True, date(2026, 8, 25))
    assert (found.admission_decided_on, found.ceremony_on) == (date(2024, 8, 25), date(2024, 9, 15))
    assert (found.official_on, found.party_age_from, found.party_age_months) == (
        date(2025, 9, 15),
        date(2024, 8, 25),
        24,
    )
    assert found.party_age == "2 năm 0 tháng / 2 years 0 months"
    assert membership_dates("an", WORKED, {}, True, date(2026, 8, 24)).party_age_months == 23


def test_a_late_recognition_keeps_the_official_date_at_the_end_of_probation() -> None:
    recorded = WORKED | {"recognition_decided_on": "2025-12-20", "full_member_since": "2025-09-15"}
    assert membership_dates("an", recorded, {}, True, date(2026, 1, 5)).official_on == date(2025, 9, 15)


def test_before_recognition_there_is_an_expected_official_date_and_no_party_age() -> None:
    found = membership_dates("an", WORKED, {}, False, date(2025, 1, 5))
    assert (found.official_on, found.recognised, found.party_age_months, found.party_age) == (
        date(2025, 9, 15),
        False,
        None,
        None,
    )


def test_a_readmitted_member_counts_from_the_first_decision_minus_the_months_outside() -> None:
    dates = WORKED | {"left_party_on": "2019-02-25"}  # left 2019-02-25, decided again 2024-08-25: 66 months
    found = membership_dates("an", dates, {"first_admitted_on": "2010-05-19"}, True, date(2026, 8, 25))
    assert (found.party_age_from, found.months_outside) == (date(2010, 5, 19), 66)
    assert found.party_age_months == (16 * 12 + 3) - 66  # 195 months since 19/5/2010, less 66
