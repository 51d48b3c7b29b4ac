"""People's identifiers on the inputs: a candidate's personal number, card numbers and the manager fact."""

from __future__ import annotations

from datetime import date

import pytest

from admission_flow.domain.inputs import CandidateChanges, NewCandidate, validated
from admission_flow.errors import InvalidInput

BASE = {"id": "p1", "full_name": "Nguyễn Văn An", "org_id": "c1"}


def test_identifiers_are_optional_and_a_person_is_not_a_manager_unless_said() -> None:
    person = validated(NewCandidate, BASE)
    assert (person.personal_id, person.party_card_no, person.old_card_no, person.manager) == (None, None, None, False)


def test_a_personal_number_that_agrees_with_birth_date_and_sex_is_kept_without_surrounding_spaces() -> None:
    values = {**BASE, "birth_date": date(1998, 5, 17), "sex": "female", "personal_id": " 079198000123 "}
    assert validated(NewCandidate, values).personal_id == "079198000123"


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({"personal_id": "07919800012"}, "personal_id_format"),
        ({"personal_id": "003198000123"}, "personal_id_province"),
        ({"personal_id": "079198000123", "birth_date": date(1999, 1, 1)}, "personal_id_birth_year"),
        ({"personal_id": "079098000123", "sex": "female"}, "personal_id_sex"),
        ({"party_card_no": "12 345"}, "card_number_format"),
        ({"old_card_no": "-1"}, "card_number_format"),
    ],
)
def test_a_wrong_identifier_is_refused_naming_the_field_and_the_rule(extra: dict[str, object], code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validated(NewCandidate, {**BASE, **extra})
    field = next(k for k in extra if k.endswith(("_id", "_no")))
    assert str(caught.value).startswith(f"{field}:")
    assert code in str(caught.value)


def test_a_card_number_longer_than_its_column_is_refused() -> None:
    with pytest.raises(InvalidInput, match="party_card_no"):
        validated(NewCandidate, {**BASE, "party_card_no": "1" * 33})
    assert validated(NewCandidate, {**BASE, "party_card_no": "1" * 32}).party_card_no == "1" * 32


def test_corrections_may_set_or_clear_identifiers_and_set_the_manager_fact() -> None:
    changes = validated(CandidateChanges, {"personal_id": "079090000001", "old_card_no": None, "manager": True})
    assert changes.given() == {"manager": True, "old_card_no": None, "personal_id": "079090000001"}
    with pytest.raises(InvalidInput, match="personal_id_format"):
        validated(CandidateChanges, {"personal_id": "79090000001"})
    with pytest.raises(InvalidInput, match="manager"):
        validated(CandidateChanges, {"manager": None})
