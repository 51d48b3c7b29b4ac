"""Calendar arithmetic on paper dates: month addition clamps to the month's end, months complete on the same day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from admission_flow.dates import add_months, completed_months


def d(text: str) -> date:
    return date.fromisoformat(text)


# ---------------------------------------------------------------- add_months


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        ("2024-01-31", 1, "2024-02-29"),  # leap year: clamped to 29 February
        ("2023-01-31", 1, "2023-02-28"),  # common year: clamped to 28 February
        ("2024-03-31", 1, "2024-04-30"),
        ("2024-01-31", 2, "2024-03-31"),  # the day comes back once the month is long enough
        ("2024-02-29", 12, "2025-02-28"),
        ("2024-02-29", 48, "2028-02-29"),
        ("2024-12-31", 1, "2025-01-31"),
        ("2024-12-15", 13, "2026-01-15"),
        ("2024-03-31", -1, "2024-02-29"),
        ("2024-01-15", -1, "2023-12-15"),
        ("2025-03-29", -12, "2024-03-29"),
        ("2008-03-15", 216, "2026-03-15"),
        ("2024-05-20", 0, "2024-05-20"),
    ],
)
def test_add_months_keeps_the_day_and_clamps_to_the_months_end(start: str, months: int, expected: str) -> None:
    assert add_months(d(start), months) == d(expected)


def test_adding_months_one_at_a_time_can_drift_but_adding_them_at_once_does_not() -> None:
    step = add_months(add_months(d("2024-01-31"), 1), 1)
    assert step == d("2024-03-29")
    assert add_months(d("2024-01-31"), 2) == d("2024-03-31")


# ---------------------------------------------------------------- completed_months


def test_a_candidate_born_on_15_march_2008_turns_216_months_on_15_march_2026() -> None:
    born = d("2008-03-15")
    assert completed_months(born, d("2026-03-14")) == 215
    assert completed_months(born, d("2026-03-15")) == 216
    assert completed_months(born, d("2026-04-14")) == 216
    assert completed_months(born, d("2026-04-15")) == 217


def test_someone_born_on_29_february_completes_a_year_on_28_february() -> None:
    born = d("2008-02-29")
    assert completed_months(born, d("2026-02-27")) == 215
    assert completed_months(born, d("2026-02-28")) == 216
    assert completed_months(born, d("2028-02-28")) == 239
    assert completed_months(born, d("2028-02-29")) == 240


def test_a_month_from_the_31st_completes_on_the_last_day_of_a_shorter_month() -> None:
    start = d("2024-01-31")
    assert completed_months(start, d("2024-02-28")) == 0
    assert completed_months(start, d("2024-02-29")) == 1
    assert completed_months(start, d("2024-03-30")) == 1
    assert completed_months(start, d("2024-03-31")) == 2
    assert completed_months(d("2023-01-31"), d("2023-02-28")) == 1
    assert completed_months(d("2024-03-31"), d("2024-04-30")) == 1


def test_the_same_day_is_zero_months() -> None:
    assert completed_months(d("2024-02-29"), d("2024-02-29")) == 0
    assert completed_months(d("2024-02-29"), d("2024-03-28")) == 0


def test_a_span_backwards_is_negative_and_mirrors_the_forward_span() -> None:
    assert completed_months(d("2026-03-15"), d("2008-03-15")) == -216
    assert completed_months(d("2026-03-14"), d("2008-03-15")) == -215
    assert completed_months(d("2024-03-01"), d("2024-02-29")) == 0
    assert completed_months(d("2024-02-29"), d("2024-01-31")) == -1


def test_completed_months_is_the_largest_count_that_add_months_does_not_overshoot() -> None:
    starts = [d("2023-12-01") + timedelta(days=i) for i in range(0, 450, 7)] + [d("2024-01-31"), d("2024-02-29")]
    for start in starts:
        for offset in range(0, 800, 13):
            end = start + timedelta(days=offset)
            months = completed_months(start, end)
            assert add_months(start, months) <= end < add_months(start, months + 1), (start, end, months)
            assert completed_months(end, start) == -months
