"""The personal identification number at its boundaries: length, province code, century-and-sex digit, year."""

from __future__ import annotations

from datetime import date

import pytest

from admission_flow.domain.identity import card_number_problems, personal_id_problems


def codes(value: str, **known: object) -> list[str]:
    return [p.code for p in personal_id_problems(value, **known)]  # type: ignore[arg-type]


def test_a_well_formed_number_passes_with_and_without_the_persons_facts() -> None:
    assert codes("079090012345") == []
    assert codes("079090012345", birth_date=date(1990, 5, 1), sex="male") == []
    assert codes("001303000001", birth_date=date(2003, 1, 1), sex="female") == []


@pytest.mark.parametrize("value", ["07919001234", "0791900123456", "07919001234a", "", " 79190012345"])
def test_anything_but_twelve_digits_is_refused_once(value: str) -> None:
    assert codes(value) == ["personal_id_format"]


@pytest.mark.parametrize(
    ("prefix", "valid"), [("001", True), ("003", False), ("096", True), ("097", False), ("000", False)]
)
def test_the_first_three_digits_are_a_province_code(prefix: str, valid: bool) -> None:
    assert codes(prefix + "190012345") == ([] if valid else ["personal_id_province"])


def test_the_fourth_digit_carries_century_and_sex() -> None:
    # 0/1: born 1900–1999, man/woman; 2/3: born 2000–2099.
    assert codes("079099000001", birth_date=date(1999, 12, 31), sex="male") == []
    assert codes("079099000001", birth_date=date(2099, 1, 1)) == ["personal_id_birth_year"]
    assert codes("079200000001", birth_date=date(2000, 1, 1), sex="male") == []
    assert codes("079200000001", birth_date=date(1900, 1, 1)) == ["personal_id_birth_year"]
    assert codes("079090000001", sex="female") == ["personal_id_sex"]
    assert codes("079190000001", sex="female") == []
    assert codes("079390000001", birth_date=date(2090, 1, 1), sex="female") == []


def test_every_problem_is_reported_in_both_languages() -> None:
    problems = personal_id_problems("003190012345", birth_date=date(1991, 1, 1), sex="male")
    assert [p.code for p in problems] == ["personal_id_province", "personal_id_birth_year", "personal_id_sex"]
    assert all(p.en and p.vi for p in problems)


def test_card_numbers() -> None:
    assert card_number_problems("12.345-678/2016") == []
    assert [p.code for p in card_number_problems("-1")] == ["card_number_format"]
    assert card_number_problems("x" * 32) == [] and card_number_problems("x" * 33)
