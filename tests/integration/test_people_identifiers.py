"""People's identifiers in the database: each number is held by one person at most, a collision is refused
naming the field and not the holder, within a subtree too; a person is found by any one of their numbers."""

from __future__ import annotations

from datetime import date

import pytest

from admission_flow.errors import IdentifierTaken, InvalidInput, NotFound
from admission_flow.flow import AdmissionFlow
from admission_flow.testing.scenario import add_sample_orgs

FIRST = {"personal_id": "079098000123", "party_card_no": "79.012345", "old_card_no": "KS-0001"}


@pytest.fixture
def people(flow: AdmissionFlow) -> AdmissionFlow:
    add_sample_orgs(flow)
    flow.add_candidate(
        id="an",
        full_name="Nguyễn Văn An",
        org_id="ks.thpt.gv.toan",
        birth_date=date(1998, 5, 17),
        sex="male",
        manager=True,
        **FIRST,
    )
    return flow


def test_identifiers_and_the_manager_fact_are_stored_and_read_back(people: AdmissionFlow) -> None:
    record = people.candidate("an")
    assert (record.personal_id, record.party_card_no, record.old_card_no, record.manager) == (*FIRST.values(), True)


@pytest.mark.parametrize("field", list(FIRST))
def test_adding_a_person_with_a_number_another_holds_is_refused_naming_the_field(
    people: AdmissionFlow, field: str
) -> None:
    with pytest.raises(IdentifierTaken) as caught:
        people.add_candidate(id="binh", full_name="Trần Bình", org_id="ks.anmy.ap1", **{field: FIRST[field]})
    assert caught.value.field == field
    assert "an" not in str(caught.value).split() and "Nguyễn" not in str(caught.value)
    with pytest.raises(NotFound):
        people.candidate("binh")  # nothing was written


def test_a_caller_bound_to_another_subtree_gets_the_conflict_but_not_the_holder(people: AdmissionFlow) -> None:
    with pytest.raises(IdentifierTaken) as caught:
        people.add_candidate(
            id="binh", full_name="Trần Bình", org_id="ks.anmy.ap1", within="ks.anmy", personal_id=FIRST["personal_id"]
        )
    assert caught.value.http_status == 409 and caught.value.exit_code == 4
    assert "ks.thpt" not in str(caught.value) and "Nguyễn" not in str(caught.value)


@pytest.mark.parametrize("field", list(FIRST))
def test_correcting_a_number_to_one_another_holds_is_refused_and_changes_nothing(
    people: AdmissionFlow, field: str
) -> None:
    people.add_candidate(id="binh", full_name="Trần Bình", org_id="ks.anmy.ap1")
    with pytest.raises(IdentifierTaken) as caught:
        people.update_candidate("binh", **{field: FIRST[field]}, manager=True)
    assert caught.value.field == field
    after = people.candidate("binh")
    assert (getattr(after, field), after.manager, after.version) == (None, False, 1)


def test_a_correction_is_audited_and_frees_the_old_number_for_someone_else(people: AdmissionFlow) -> None:
    people.update_candidate("an", old_card_no=None, actor="clerk")
    change = people.history("an")[-1]
    assert change.trigger == "update_personal_data"
    assert change.payload["changes"] == {"old_card_no": {"from": "KS-0001", "to": None}}
    people.add_candidate(id="binh", full_name="Trần Bình", org_id="ks.anmy.ap1", old_card_no="KS-0001")
    assert people.candidate_by_identifier(old_card_no="KS-0001").id == "binh"


def test_a_correction_must_keep_the_personal_number_agreeing_with_sex_and_birth_date(people: AdmissionFlow) -> None:
    with pytest.raises(InvalidInput, match="personal_id_sex"):
        people.update_candidate("an", sex="female")
    with pytest.raises(InvalidInput, match="personal_id_birth_year"):
        people.update_candidate("an", personal_id="079099000123")
    people.update_candidate("an", personal_id="079099000123", birth_date=date(1999, 2, 3))
    assert people.candidate("an").personal_id == "079099000123"


def test_a_person_is_found_by_any_one_number_and_only_within_the_callers_subtree(people: AdmissionFlow) -> None:
    for field, value in FIRST.items():
        assert people.candidate_by_identifier(**{field: value}).id == "an"
    assert people.candidate_by_identifier(personal_id=FIRST["personal_id"], within="ks.thpt").id == "an"
    with pytest.raises(NotFound):
        people.candidate_by_identifier(personal_id=FIRST["personal_id"], within="ks.anmy")
    with pytest.raises(NotFound):
        people.candidate_by_identifier(personal_id="079098999999")
    with pytest.raises(InvalidInput, match="exactly one"):
        people.candidate_by_identifier(personal_id=FIRST["personal_id"], party_card_no=FIRST["party_card_no"])
